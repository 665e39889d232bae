#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "driver/driver.hpp"

namespace brokerload::driver::nats {

// One ephemeral JetStream push consumer per topic (cnats 3.4.1's pull Fetch has a heap
// overflow), on a connection separate from the producer's, delivering only messages published
// after Start() to a subject of brokerload's own, `<inbox>.<topic index>`. Messages reach the
// listener on the connection's reader thread, as they are read (ReaderHandler: no hand-off to a
// delivery thread), one thread for every topic; when the listener MayWait(), on a cnats delivery
// thread per topic, whose queue holds the backlog. After a reconnect, Maintain adds each consumer
// the server has lost again, from the moment the connection was lost (at most 5 s a call, the next
// going on). Stop deletes the consumers (at most 10 s; any left, without interest, the server
// removes itself). Start adds the consumers one request after another, checking its `timeout` and
// `cancel` before each and giving each no more than the time left (a request in flight cannot be
// interrupted: a cancel takes effect when it returns, within a millisecond on a healthy server);
// when they end it, it undoes what it did (subscriptions closed at once, consumers deleted within
// 1 s more) and returns false with "consumers: timed out after <timeout> ms ..." or
// "consumers: cancelled ...".
std::unique_ptr<Consumer> CreateConsumer(const config::NatsTarget& target,
                                         const std::vector<std::string>& topics, Health& health,
                                         std::string& error, const config::Workload& workload = {});

}  // namespace brokerload::driver::nats
