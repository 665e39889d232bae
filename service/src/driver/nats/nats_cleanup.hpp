#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"
#include "driver/driver.hpp"

namespace brokerload::driver::nats {

// Deletes the streams named `topics` (brokerload's streams are named as its topics), with their
// consumers. With `dry_run`, lists what it would delete. False with `error` when it cannot
// connect or JetStream refuses as a whole; a stream it may not delete is reported as kept.
bool Cleanup(const config::NatsTarget& target, const std::vector<std::string>& topics, bool dry_run,
             CleanupReport& report, std::string& error);

// What still uses `topics`: streams with consumers (brokerload's are ephemeral, deleted when a
// run stops), and the streams' last sequences, summed (a stream not there adds nothing).
bool Activity(const config::NatsTarget& target, const std::vector<std::string>& topics,
              UseReport& use, std::string& error);

}  // namespace brokerload::driver::nats
