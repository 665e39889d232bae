#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "report/baseline.hpp"

namespace brokerload::app {

struct CompareOptions {
  std::string out_dir;
  bool side_by_side = false;                       // default: one target after the other
  std::optional<std::chrono::nanoseconds> warmup;  // default: the config's run.warmup
  std::optional<std::string> baseline;             // an earlier report.json
  report::Tolerances tolerances;
  int repeat = 1;  // runs of the whole profile (1-20): the spread of each figure, for the gate
};

// brokerload compare: runs every stage of the (bounded) profile on every enabled target, writes
// report.md, report.json and report.html into out_dir (`repeat` times over, each figure's values
// in the report), and with a baseline exits kExitRegression when a figure is worse beyond the
// tolerance and, where both sides have 3 or more repetitions, beyond the noise
// (report/baseline.hpp). A progress line goes to stderr. The
// first SIGINT or SIGTERM stops the stages: the targets drain, the report has what was measured,
// marked interrupted, and the exit code is kExitInterrupted + the signal; a second exits at once.
int Compare(const config::Config& config, const CompareOptions& options);

}  // namespace brokerload::app
