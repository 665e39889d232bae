#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "driver/driver.hpp"
#include "driver/kafka/kafka_handles.hpp"

// A consumer group's coordinator and the commits brokerload times against it, beside librdkafka's
// auto-commit (which goes on as before: it commits on its interval, on revoke and on close).
namespace brokerload::driver::kafka {

// The broker id of `group`'s coordinator: the one broker that lists the group when every broker
// is asked (librdkafka's rd_kafka_list_groups: ListGroups to each broker, DescribeGroups where
// it is listed), waiting up to `timeout`; nullopt without an answer, with an error for the group,
// or while two brokers list it (a move under way). Not the admin API's DescribeConsumerGroups:
// librdkafka's coordinator-targeted admin requests abort the process when the broker's
// connection fails while one is in flight (`rd_kafka_enq_once_del_source_return: Assertion
// eonce->refcnt > 0`, seen here with a frozen broker on 2.0.2; still open upstream, librdkafka
// PR #5397); list_groups was made to be timed out and returned from.
std::optional<std::int32_t> GroupCoordinator(rd_kafka_t* rk, const std::string& group,
                                             std::chrono::milliseconds timeout);

// Asks which broker coordinates one group, on a small client of its own (its metadata at most
// 1 s old, so that its broker list is current), so that a blocking ask never waits on the
// consumer's client. Its threads and a connection or two are the cost. One thread at a time
// (housekeeping).
class CoordinatorAsker {
 public:
  // Nullptr with `error` when the client cannot be made (the settings the consumer's were made
  // with: the same failure would have stopped it first).
  static std::unique_ptr<CoordinatorAsker> Create(const config::KafkaTarget& target,
                                                  std::string group, std::string& error);
  std::optional<std::int32_t> Ask(std::chrono::milliseconds timeout);

 private:
  CoordinatorAsker(KafkaPtr rk, std::string group) : rk_(std::move(rk)), group_(std::move(group)) {}
  KafkaPtr rk_;
  std::string group_;
};

// Timed asynchronous commits of a consumer's stored offsets (what the poll thread handed over:
// the offsets auto-commit commits at its next tick), one outstanding at a time, on a queue of
// their own. The answer is timed on librdkafka's thread the moment it is queued (the queue's
// event callback only stamps the time), so housekeeping's once-a-second pickup adds nothing to
// the figure. Not a second committer with other offsets: a timed commit only brings auto-commit's
// next commit forward. Start and Take from one thread (housekeeping), Close from any; not on
// the message path.
class TimedCommitter {
 public:
  // `rk` (a consumer) must outlive this, or Close() must be called before it is destroyed.
  explicit TimedCommitter(rd_kafka_t* rk);
  ~TimedCommitter() { Close(); }
  TimedCommitter(const TimedCommitter&) = delete;
  TimedCommitter& operator=(const TimedCommitter&) = delete;

  // The answers that arrived since the last call (at most one: one commit is outstanding at a
  // time); then, when `start` and none is outstanding, one more commit (`started`). Never waits. A
  // commit that had nothing new to commit (librdkafka's __NO_OFFSET: no request was sent) is no
  // result.
  Consumer::TimedCommitsAnswer Take(bool start);
  // Stops: no further commit; an answer still outstanding is dropped. Idempotent; before `rk` is
  // destroyed (librdkafka's destroy waits for the application's queues).
  void Close();

 private:
  static void OnAnswer(rd_kafka_t*, void* opaque);

  rd_kafka_t* rk_;
  std::mutex mutex_;
  QueuePtr queue_;                              // mutex_; null once closed
  bool outstanding_ = false;                    // mutex_
  std::chrono::steady_clock::time_point sent_;  // mutex_
  // When the outstanding commit's answer was queued, as steady_clock ns; 0 until then.
  std::atomic<std::int64_t> answered_ns_{0};
};

}  // namespace brokerload::driver::kafka
