#pragma once

#include <string>
#include <vector>

#include "report/results.hpp"

// The CI gate for broker or client upgrades: compares a comparison with an earlier one.
namespace brokerload::report {

struct Tolerances {
  double throughput_drop = 0.10;  // a fall of more than 10% is a regression
  double p99_rise = 0.20;         // a rise of more than 20% is a regression
};

struct Regression {
  std::string target;
  std::string stage;
  std::string metric;  // "throughput" | "p99 end-to-end latency"
  double baseline = 0;
  double current = 0;

  std::string ToString() const;
};

// Every (target, stage) present in both; stages missing from either side are ignored.
std::vector<Regression> FindRegressions(const Comparison& current, const Comparison& baseline,
                                        const Tolerances& tolerances);

}  // namespace brokerload::report
