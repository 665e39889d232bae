#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "driver/driver.hpp"

namespace brokerload::driver::nats {

// An asynchronous JetStream publisher on its own connection: each Send is one core-NATS publish
// with a reply subject naming a slot of a PendingWindow, and one subscription receives every
// PubAck (no per-message allocation, hash or JSON decoding on brokerload's side; cnats still
// allocates each received reply). PubAcks are settled, and reach `acks`, on the connection's
// reader thread as they are read when the reader hook is in use (ReaderHandler, HandleOnReader:
// no hand-off to a delivery thread), otherwise on cnats' delivery thread of the PubAck
// subscription; never on both in one producer. A publish whose PubAck has not come within
// run.publish_timeout fails as kTimeout from the housekeeping thread's Maintain (so up to a
// second later) or from Flush. At most `max_pending` publishes are outstanding: past that Send()
// answers kQueueFull at once. Creates the streams first when configured, within `deadline` and
// until `cancel` is set (SetupBudget: a request in flight finishes first). `workload`: where
// brokerload's header goes and the extra headers (Producer::Send); a message with headers costs a
// message that cnats allocates and copies into.
std::unique_ptr<Producer> CreateProducer(const config::NatsTarget& target, const config::Run& run,
                                         const std::vector<std::string>& topics, AckListener& acks,
                                         Health& health,
                                         std::chrono::steady_clock::time_point deadline,
                                         const std::atomic<bool>& cancel, std::string& error,
                                         const config::Workload& workload = {});

}  // namespace brokerload::driver::nats
