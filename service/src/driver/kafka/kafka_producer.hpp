#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "driver/driver.hpp"

namespace brokerload::driver::kafka {

// A librdkafka producer. Delivery reports reach `acks` on a poll thread of the producer's own,
// as soon as librdkafka has the broker's answer, and during Flush() on the thread that calls it
// (the poll thread is paused meanwhile, so calls never overlap); none after destruction, which
// joins that thread. Creates the topics first when the config asks for it.
// Returns nullptr with `error` when the client or the topics cannot be set up. Each wait for the
// broker (an answer, topic creation, leaders) lasts at most 30 s and never past `deadline`; the
// waits for an answer and for leaders end within about half a second of `cancel` being set.
// `workload`: where brokerload's header goes and the extra headers (Producer::Send).
std::unique_ptr<Producer> CreateProducer(const config::KafkaTarget& target, const config::Run& run,
                                         const std::vector<std::string>& topics, AckListener& acks,
                                         Health& health,
                                         std::chrono::steady_clock::time_point deadline,
                                         const std::atomic<bool>& cancel, std::string& error,
                                         const config::Workload& workload = {});

}  // namespace brokerload::driver::kafka
