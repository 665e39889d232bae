#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "driver/driver.hpp"

namespace brokerload::driver::nats {

// An asynchronous JetStream publisher on its own connection. Acknowledgements reach `acks` on
// cnats' reply thread. At most `max_pending` publishes are outstanding: past that Send() answers
// kQueueFull at once instead of stalling in cnats. Creates the streams first when configured.
std::unique_ptr<Producer> CreateProducer(const config::NatsTarget& target, const config::Run& run,
                                         const std::vector<std::string>& topics, AckListener& acks,
                                         Health& health, std::string& error);

}  // namespace brokerload::driver::nats
