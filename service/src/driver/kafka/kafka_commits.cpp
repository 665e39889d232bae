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

struct AdminOptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* options) const {
    rd_kafka_AdminOptions_destroy(options);
  }
};

std::int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::optional<std::int32_t> GroupCoordinator(rd_kafka_t* rk, const std::string& group,
                                             std::chrono::milliseconds timeout) {
  const int ms = static_cast<int>(std::max<std::int64_t>(timeout.count(), 1));
  std::unique_ptr<rd_kafka_AdminOptions_t, AdminOptionsDeleter> options(
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS));
  if (!options) return std::nullopt;
  std::array<char, 256> text{};
  rd_kafka_AdminOptions_set_request_timeout(options.get(), ms, text.data(), text.size());
  QueuePtr queue(rd_kafka_queue_new(rk));
  const char* groups[] = {group.c_str()};
  rd_kafka_DescribeConsumerGroups(rk, groups, 1, options.get(), queue.get());
  // The request's own timeout ends it; the extra 100 ms lets its answer (or error) arrive.
  const EventPtr event(rd_kafka_queue_poll(queue.get(), ms + 100));
  if (!event || rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::nullopt;
  }
  const rd_kafka_DescribeConsumerGroups_result_t* result =
      rd_kafka_event_DescribeConsumerGroups_result(event.get());
  if (result == nullptr) return std::nullopt;
  std::size_t count = 0;
  const rd_kafka_ConsumerGroupDescription_t** described =
      rd_kafka_DescribeConsumerGroups_result_groups(result, &count);
  if (count != 1 || rd_kafka_ConsumerGroupDescription_error(described[0]) != nullptr) {
    return std::nullopt;
  }
  const rd_kafka_Node_t* node = rd_kafka_ConsumerGroupDescription_coordinator(described[0]);
  if (node == nullptr) return std::nullopt;
  return rd_kafka_Node_id(node);
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
