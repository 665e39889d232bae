#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "driver/driver.hpp"

namespace brokerload::driver::nats {

// One ephemeral JetStream push consumer per topic (cnats 3.4.1's pull Fetch has a heap
// overflow), on a connection separate from the producer's, delivering only messages published
// after Start(). Each subscription calls the listener from its own cnats thread.
std::unique_ptr<Consumer> CreateConsumer(const config::NatsTarget& target,
                                         const std::vector<std::string>& topics, Health& health,
                                         std::string& error);

}  // namespace brokerload::driver::nats
