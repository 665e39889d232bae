#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "driver/driver.hpp"

namespace brokerload::driver::kafka {

// Deletes `topics` and the consumer groups brokerload's runs joined: `<consumer_group>-<run id>`
// and their lanes' `-c<k>` (16 hex digits of run id; no other name is touched). A group with
// members (a run still going) is kept and reported. With `dry_run`, lists what it would delete.
// False with `error` when no broker answered within `timeout` or the request failed as a whole.
bool Cleanup(const config::KafkaTarget& target, const std::vector<std::string>& topics,
             bool dry_run, std::chrono::milliseconds timeout, CleanupReport& report,
             std::string& error);

// What still uses `topics`: the run groups with members (and the coordinators that did not
// answer), and the sum of the topics' end offsets.
// False with `error` as Cleanup.
bool Activity(const config::KafkaTarget& target, const std::vector<std::string>& topics,
              std::chrono::milliseconds timeout, UseReport& use, std::string& error);

// True when `group` is one that a run of `prefix` (targets.kafka.consumer_group) joined.
bool IsRunGroup(const std::string& prefix, const std::string& group);

}  // namespace brokerload::driver::kafka
