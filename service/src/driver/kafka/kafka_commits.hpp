#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "driver/driver.hpp"
#include "driver/kafka/kafka_handles.hpp"

// A consumer group's coordinator and the commits brokerload times against it, beside librdkafka's
// auto-commit (which goes on as before: it commits on its interval, on revoke and on close).
namespace brokerload::driver::kafka {

// The broker id of `group`'s coordinator as Kafka describes the group (FindCoordinator, then
// DescribeGroups at the coordinator found), waiting up to `timeout`; nullopt without an answer
// or with an error for the group.
std::optional<std::int32_t> GroupCoordinator(rd_kafka_t* rk, const std::string& group,
                                             std::chrono::milliseconds timeout);

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
