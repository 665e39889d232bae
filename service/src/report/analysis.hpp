#pragma once

#include <string>
#include <vector>

#include "report/results.hpp"

// Everything the report says beyond the raw figures: averages over stages, a winner per metric,
// trends across stages and findings. All of it derived from the results; no canned sentences.
// Pure functions, thread-safe.
namespace brokerload::report {

struct Averages {
  std::string target;
  double achieved_rate = 0;
  double e2e_mean_ms = 0;
  double e2e_p99_ms = 0;
  double publish_p99_ms = 0;
  double success_rate = 0;
  double memory_delta_mb = 0;
  double cpu_us_per_message = 0;
  int stages_behind = 0;  // stages where brokerload fell behind its schedule
};

struct Winner {
  std::string metric;  // e.g. "throughput"
  std::string target;  // the better target, or "tie"
  std::string detail;  // the figures behind it
};

// Two values within this relative distance are a tie.
inline constexpr double kTieTolerance = 0.02;

std::vector<Averages> AveragesByTarget(const Comparison& comparison);
std::vector<Winner> Winners(const Comparison& comparison);
std::vector<std::string> Trends(const Comparison& comparison);
std::vector<std::string> Findings(const Comparison& comparison);

}  // namespace brokerload::report
