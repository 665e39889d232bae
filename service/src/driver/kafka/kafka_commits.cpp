#include "driver/kafka/kafka_commits.hpp"

#include <algorithm>
#include <array>
#include <memory>

#include "driver/kafka/kafka_client.hpp"
#include "driver/kafka/kafka_conf.hpp"
#include "driver/kafka/kafka_errors.hpp"
#include "log/log.hpp"

namespace brokerload::driver::kafka {
namespace {

std::int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::optional<std::int32_t> GroupCoordinator(rd_kafka_t* rk, const std::string& group,
                                             std::chrono::milliseconds timeout) {
  const rd_kafka_group_list* list = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_list_groups(
      rk, group.c_str(), &list, static_cast<int>(std::max<std::int64_t>(timeout.count(), 1)));
  if (list == nullptr) return std::nullopt;
  const std::unique_ptr<const rd_kafka_group_list, void (*)(const rd_kafka_group_list*)> owned(
      list, rd_kafka_group_list_destroy);
  // __PARTIAL: a broker did not answer in time, but the group's coordinator did. Two brokers
  // listing it (a move under way): no answer.
  if ((err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__PARTIAL) ||
      list->group_cnt != 1 || list->groups[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::nullopt;
  }
  return list->groups[0].broker.id;
}

std::unique_ptr<CoordinatorAsker> CoordinatorAsker::Create(const config::KafkaTarget& target,
                                                           std::string group, std::string& error) {
  config::Properties settings = ClientSettings(target, ClientKind::kAdmin);
  settings.emplace_back("metadata.max.age.ms", "1000");
  ConfPtr conf;
  if (!BuildConf(settings, conf, error)) return nullptr;
  KafkaPtr rk = NewClient(RD_KAFKA_PRODUCER, std::move(conf), error);
  if (!rk) return nullptr;
  return std::unique_ptr<CoordinatorAsker>(new CoordinatorAsker(std::move(rk), std::move(group)));
}

std::optional<std::int32_t> CoordinatorAsker::Ask(std::chrono::milliseconds timeout) {
  rd_kafka_poll(rk_.get(), 0);  // serves what its client queued (errors are logged by librdkafka)
  return GroupCoordinator(rk_.get(), group_, timeout);
}

TimedCommitter::TimedCommitter(rd_kafka_t* rk) : rk_(rk), queue_(rd_kafka_queue_new(rk)) {
  rd_kafka_queue_cb_event_enable(queue_.get(), OnAnswer, this);
}

// librdkafka's thread, as the answer is queued: only the time (Take falls back to its own
// reading in the rare case it sees the event before the stamp).
void TimedCommitter::OnAnswer(rd_kafka_t*, void* opaque) {
  static_cast<TimedCommitter*>(opaque)->answered_ns_.store(SteadyNs());
}

Consumer::TimedCommitsAnswer TimedCommitter::Take(bool start) {
  Consumer::TimedCommitsAnswer results;
  const std::lock_guard lock(mutex_);
  if (!queue_) return results;
  while (const EventPtr event{rd_kafka_queue_poll(queue_.get(), 0)}) {
    if (rd_kafka_event_type(event.get()) != RD_KAFKA_EVENT_OFFSET_COMMIT) continue;
    std::int64_t answered = answered_ns_.exchange(0);
    if (answered == 0) answered = SteadyNs();  // an upper bound
    outstanding_ = false;
    rd_kafka_resp_err_t err = rd_kafka_event_error(event.get());
    if (err == RD_KAFKA_RESP_ERR__NO_OFFSET) continue;  // nothing new: no request was sent
    // The request's error, else the first partition's.
    if (const rd_kafka_topic_partition_list_t* offsets =
            rd_kafka_event_topic_partition_list(event.get());
        err == RD_KAFKA_RESP_ERR_NO_ERROR && offsets != nullptr) {
      for (int i = 0; i < offsets->cnt && err == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
        err = offsets->elems[i].err;
      }
    }
    const auto sent_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(sent_.time_since_epoch());
    results.answered.push_back({std::chrono::nanoseconds(answered) - sent_ns, MapCommitError(err)});
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      LOG_DEBUG("kafka: timed offset commit failed: %s", rd_kafka_err2str(err));
    }
  }
  if (start && !outstanding_) {
    answered_ns_.store(0);
    sent_ = std::chrono::steady_clock::now();
    const rd_kafka_resp_err_t err =
        rd_kafka_commit_queue(rk_, nullptr, queue_.get(), nullptr, nullptr);
    outstanding_ = err == RD_KAFKA_RESP_ERR_NO_ERROR;
    results.started = outstanding_;
    if (!outstanding_) {
      LOG_DEBUG("kafka: timed offset commit not started: %s", rd_kafka_err2str(err));
    }
  }
  return results;
}

void TimedCommitter::Close() {
  const std::lock_guard lock(mutex_);
  if (!queue_) return;
  rd_kafka_queue_cb_event_enable(queue_.get(), nullptr, nullptr);
  queue_.reset();
}

}  // namespace brokerload::driver::kafka
