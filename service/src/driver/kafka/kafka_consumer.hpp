#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "driver/driver.hpp"

namespace brokerload::driver::kafka {

// How long its Stop() may take (Consumer::Stop): the poll thread's current request (at most 1 s)
// and 5 s for the close; a listener's OnMessage under way comes on top.
inline constexpr std::chrono::milliseconds kConsumerStopBound{7'000};

// A consumer-group member on its own client connection and its own poll thread, which delivers
// every message to the listener. Its first assignment starts at each partition's end, so a run
// reads only what it publishes; later assignments resume from committed offsets.
// `workload`: where messages carry brokerload's header (MessageListener::OnMessage).
std::unique_ptr<Consumer> CreateConsumer(const config::KafkaTarget& target,
                                         const std::vector<std::string>& topics, Health& health,
                                         std::string& error, const config::Workload& workload = {});

}  // namespace brokerload::driver::kafka
