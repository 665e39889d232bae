#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "driver/driver.hpp"

namespace brokerload::driver::kafka {

// A librdkafka producer. Delivery reports reach `acks` only from Poll() and Flush(), so on the
// publisher's own thread. Creates the topics first when the config asks for it. Returns nullptr
// with `error` when the client or the topics cannot be set up.
std::unique_ptr<Producer> CreateProducer(const config::KafkaTarget& target, const config::Run& run,
                                         const std::vector<std::string>& topics, AckListener& acks,
                                         Health& health, std::string& error);

}  // namespace brokerload::driver::kafka
