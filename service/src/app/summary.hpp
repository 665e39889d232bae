#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "app/target_runtime.hpp"

namespace brokerload::app {

// Prints the one-screen end-of-run summary on stdout, saying what `role` did not measure.
void PrintSummary(const std::vector<std::unique_ptr<TargetRuntime>>& targets,
                  std::int64_t elapsed_ns, std::int64_t warmup_ns,
                  config::Role role = config::Role::kFull);

}  // namespace brokerload::app
