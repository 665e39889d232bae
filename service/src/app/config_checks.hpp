#pragma once

#include <optional>
#include <string>

#include "config/config.hpp"

// The checks of a config that need modules above config, for config::LoadFile and every reload.
namespace brokerload::app {

// The accounting memory a workload needs grows with topics x keys (and targets, and in
// consume-only with the producers it may track); a typo like keys: 1000000 on 1,000 topics would
// need gigabytes before the first message. Refused above 1 GiB, with the estimate
// (config::WorkloadCheck).
std::optional<std::string> CheckTrackingMemory(const config::Config& config);

}  // namespace brokerload::app
