#include "driver/kafka/kafka_consumer.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "driver/kafka/kafka_admin.hpp"
#include "driver/kafka/kafka_client.hpp"
#include "driver/kafka/kafka_commits.hpp"
#include "driver/kafka/kafka_conf.hpp"
#include "driver/kafka/kafka_end_offsets.hpp"
#include "log/log.hpp"
#include "message/header.hpp"

namespace brokerload::driver::kafka {
namespace {

constexpr std::chrono::milliseconds kCloseWait{5'000};
static_assert(kCloseWait + std::chrono::milliseconds(1'500) <= kConsumerStopBound);

struct MessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};

class KafkaConsumer final : public Consumer {
 public:
  KafkaConsumer(std::vector<std::string> topics, Health& health, bool header_in_message)
      : header_in_message_(header_in_message),
        topic_names_(std::move(topics)),
        highest_offset_(topic_names_.size()),
        last_end_(topic_names_.size()),
        health_(health) {}

  // After Stop(), the client goes without a second close: Stop() closed it, or gave up waiting.
  ~KafkaConsumer() override {
    Stop();
    committer_.reset();  // its queue goes before the client: librdkafka's destroy waits for it
    if (closed_) rd_kafka_destroy_flags(rk_.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  }

  bool Init(const config::KafkaTarget& target, std::string& error) {
    const config::Properties settings = ClientSettings(target, ClientKind::kConsumer);
    ConfPtr conf;
    if (!BuildConf(settings, conf, error)) return false;
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_error_cb(conf.get(), OnClientError);
    SetCertificateCallback(conf.get(), OnCertificate);
    rd_kafka_conf_set_rebalance_cb(conf.get(), OnRebalance);
    rk_ = NewClient(RD_KAFKA_CONSUMER, std::move(conf), error);
    if (!rk_) {
      if (ClientSettingsRefused()) health_.refused.store(true);  // retrying cannot help
      return false;
    }
    rd_kafka_poll_set_consumer(rk_.get());
    committer_ = std::make_unique<TimedCommitter>(rk_.get());
    asker_ = CoordinatorAsker::Create(target, target.consumer_group, error);
    return asker_ != nullptr;
  }

  bool Start(MessageListener& listener, std::chrono::milliseconds timeout,
             const std::atomic<bool>& cancel, std::string& error) override {
    listener_ = &listener;
    std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter> subscription(
        rd_kafka_topic_partition_list_new(static_cast<int>(topic_names_.size())));
    for (const std::string& name : topic_names_) {
      rd_kafka_topic_partition_list_add(subscription.get(), name.c_str(), RD_KAFKA_PARTITION_UA);
    }
    if (const rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_.get(), subscription.get())) {
      error = std::string("subscribe: ") + rd_kafka_err2str(err);
      return false;
    }
    // The first assignment's end-offset lookup (poll thread) keeps to this start's deadline.
    start_deadline_ = std::chrono::steady_clock::now() + timeout;
    running_ = true;
    thread_ = std::thread([this] {
      log::NameThread("kafka-consume");
      PollLoop();
    });
    if (!WaitForAssignment(timeout, cancel, error)) {
      abandoned_.store(true);  // and the lookup, if under way, gives up at once
      return false;
    }
    const auto deadline = start_deadline_;
    // A fresh cluster creates its offsets topic (50 partitions by default) on the first group
    // join and goes on creating it after the assignment; measured here, produce latency on such a
    // broker grew to seconds until it was done. Ready means all of it has leaders.
    // Its metadata needs Describe on an internal topic, which docs/security.md does not ask for:
    // where the authorizer refuses it, the assignment (which needed the group's coordinator, a
    // partition of it) is as far as readiness can see.
    TopicPtr offsets(rd_kafka_topic_new(rk_.get(), "__consumer_offsets", nullptr));
    std::size_t partitions = 0;
    FatalError unauthorized;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!offsets ||
        !WaitForLeaders(rk_.get(), offsets.get(), std::max(left, std::chrono::milliseconds(1)),
                        unauthorized, partitions, error, [&] { return cancel.load(); })) {
      if (!unauthorized.Get().empty()) {
        LOG_DEBUG("kafka: not waiting for __consumer_offsets' leaders: %s",
                  unauthorized.Get().c_str());
        error.clear();
        return true;
      }
      if (error.empty()) error = "__consumer_offsets: cannot read its metadata";
      return false;
    }
    return true;
  }

  // Until an assignment covers every topic; false with `error` at the start's deadline, once
  // `cancel` is set or at an error that retrying cannot fix (each checked every 100 ms).
  bool WaitForAssignment(std::chrono::milliseconds timeout, const std::atomic<bool>& cancel,
                         std::string& error) {
    std::unique_lock lock(mutex_);
    while (!assigned_all_) {
      if (cancel.load()) {
        error = "cancelled while waiting for a partition assignment";
        return false;
      }
      if (std::string unfixable = fatal_.Get(); !unfixable.empty()) {
        error = std::move(unfixable);
        return false;
      }
      if (std::chrono::steady_clock::now() >= start_deadline_) {
        error = "no partition assignment covering every topic within " +
                std::to_string(timeout.count()) + " ms (is the group coordinator up?)";
        return false;
      }
      assigned_changed_.wait_for(lock, std::chrono::milliseconds(100));
    }
    return true;
  }

  // An idle consumer has no message to tell it the brokers are back after an outage: ask them,
  // once a second while down.
  void Maintain() override {
    if (rk_ && running_.load() && !link_.Up() &&
        AskMetadata(rk_.get(), std::chrono::milliseconds(500)) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        link_.SetUp()) {
      LOG_INFO("kafka: consumer reconnected");
    }
  }

  // Fresh end offsets (not the ones cached from fetches, which stop when a broker does) against
  // the positions the poll thread has handed over (a partition that handed over nothing yet: the
  // offset it was assigned at, when the assignment said one; no lower than the log start its
  // last fetch reported). rd_kafka_offsets_for_times with the "latest" timestamp asks for the
  // ends and keeps to its timeout, which rd_kafka_query_watermark_offsets (2.0.2) does not: it
  // waits out the socket timeout, a minute, on a broker that stopped.
  std::vector<std::optional<TopicBacklog>> Backlog() override {
    std::vector<std::optional<TopicBacklog>> result(topic_names_.size());
    PartitionListPtr positions;
    PartitionListPtr assigned;  // with the offsets each partition was assigned at
    {
      std::lock_guard lock(mutex_);
      if (assignment_) positions.reset(rd_kafka_topic_partition_list_copy(assignment_.get()));
      if (assignment_) assigned.reset(rd_kafka_topic_partition_list_copy(assignment_.get()));
    }
    // Down: nothing to ask (and no wait on housekeeping's thread for an answer that cannot come).
    if (!positions || positions->cnt == 0 || !running_.load() || !link_.Up() ||
        rd_kafka_position(rk_.get(), positions.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      for (auto& ends : last_end_) ends.clear();
      return result;
    }
    PartitionListPtr ends(rd_kafka_topic_partition_list_copy(positions.get()));
    for (int i = 0; i < ends->cnt; ++i) ends->elems[i].offset = RD_KAFKA_OFFSET_END;
    const auto asked = std::chrono::steady_clock::now();
    const bool answered =
        rd_kafka_offsets_for_times(rk_.get(), ends.get(), 500) == RD_KAFKA_RESP_ERR_NO_ERROR;
    for (std::size_t t = 0; t < topic_names_.size(); ++t) {
      TopicBacklog backlog;
      std::map<std::int32_t, std::int64_t> now;
      bool known = answered;
      bool reached = !last_end_[t].empty();
      for (int i = 0; known && i < positions->cnt; ++i) {
        const rd_kafka_topic_partition_t& p = positions->elems[i];
        const rd_kafka_topic_partition_t& e = ends->elems[i];
        if (topic_names_[t] != p.topic) continue;
        // Nothing handed over from the partition yet: the offset it was assigned at (the run's
        // first assignment starts at the ends), where it will start. Below the partition's log
        // start (records deleted or expired): at the log start, where the consumer resumes; its
        // position stays where it was until a record comes from past the gap.
        std::int64_t position = p.offset >= 0 ? p.offset : assigned->elems[i].offset;
        std::int64_t log_start = -1;
        std::int64_t cached_end = -1;
        if (position >= 0 &&
            rd_kafka_get_watermark_offsets(rk_.get(), p.topic, p.partition, &log_start,
                                           &cached_end) == RD_KAFKA_RESP_ERR_NO_ERROR) {
          position = std::max(position, log_start);
        }
        known = position >= 0 && e.err == RD_KAFKA_RESP_ERR_NO_ERROR && e.offset >= 0;
        backlog.messages +=
            static_cast<std::uint64_t>(std::max<std::int64_t>(e.offset - position, 0));
        now[p.partition] = e.offset;
        const auto then = last_end_[t].find(p.partition);
        reached = reached && then != last_end_[t].end() && position >= then->second;
      }
      if (!known || now.empty()) {
        last_end_[t].clear();
        continue;
      }
      if (reached) backlog.handed_stored_before = last_asked_;
      result[t] = backlog;
      last_end_[t] = std::move(now);
    }
    last_asked_ = asked;
    return result;
  }

  std::optional<std::int32_t> Coordinator(std::chrono::milliseconds timeout) override {
    // Down: no wait on housekeeping's thread for an answer that cannot come (as Backlog).
    if (!asker_ || !running_.load() || !link_.Up()) return std::nullopt;
    return asker_->Ask(timeout);
  }

  // Only while subscribed with an assignment: before it, or while revoked, librdkafka has nothing
  // to commit for this member.
  TimedCommitsAnswer TimedCommits(bool start) override {
    bool assigned = false;
    {
      std::lock_guard lock(mutex_);
      assigned = assignment_ && assignment_->cnt > 0;
    }
    return committer_->Take(start && assigned && running_.load() && link_.Up());
  }

  // The poll thread ends within a poll (100 ms) or the end-offset request under way (1 s); the
  // close (the final commit, leaving the group) is given kCloseWait, then abandoned: the broker
  // then drops this member after session.timeout.ms, and auto-commit has committed all but the
  // last 5 s of offsets. rd_kafka_consumer_close() has no bound of its own: it waits for
  // librdkafka's requests (with the broker frozen, its LeaveGroup timed out after 5 s here).
  void Stop() override {
    if (!running_.exchange(false)) return;
    committer_->Close();  // auto-commit's final commit in the close is what counts
    if (thread_.joinable()) thread_.join();
    Close(std::chrono::steady_clock::now() + kCloseWait);
  }

 private:
  static int OnCertificate(rd_kafka_t*, const char*, int32_t, int* x509_error, int, const char*,
                           size_t, char* errstr, size_t errstr_size, void* opaque) {
    return VerifyCertificate(x509_error, errstr, errstr_size,
                             static_cast<KafkaConsumer*>(opaque)->fatal_);
  }

  static void OnClientError(rd_kafka_t*, int err, const char* reason, void* opaque) {
    auto* self = static_cast<KafkaConsumer*>(opaque);
    ReportClientError(err, reason, self->health_, self->link_, self->fatal_);
  }

  // rd_kafka_consumer_close()'s work on librdkafka's thread, its rebalance served here, until
  // done or `deadline`.
  void Close(std::chrono::steady_clock::time_point deadline) {
    closed_ = true;
    QueuePtr queue(rd_kafka_queue_new(rk_.get()));
    if (rd_kafka_error_t* failed = rd_kafka_consumer_close_queue(rk_.get(), queue.get())) {
      LOG_WARN("kafka: consumer close: %s", rd_kafka_error_string(failed));
      rd_kafka_error_destroy(failed);
      return;
    }
    while (!rd_kafka_consumer_closed(rk_.get())) {
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left <= std::chrono::milliseconds::zero()) {
        LOG_WARN("kafka: consumer not closed within %lld ms; leaving it to the broker",
                 static_cast<long long>(kCloseWait.count()));
        return;
      }
      const EventPtr event(rd_kafka_queue_poll(
          queue.get(), static_cast<int>(std::min(left, std::chrono::milliseconds(100)).count())));
      if (event && rd_kafka_event_type(event.get()) == RD_KAFKA_EVENT_REBALANCE) {
        Rebalance(rk_.get(), rd_kafka_event_error(event.get()),
                  rd_kafka_event_topic_partition_list(event.get()));
      }
    }
  }

  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    static_cast<KafkaConsumer*>(opaque)->Rebalance(rk, err, partitions);
  }

  // Runs on the poll thread, or on Stop()'s once that thread has ended (the close's revocation).
  void Rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                 rd_kafka_topic_partition_list_t* partitions) {
    if (err != RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      LOG_INFO("kafka: consumer partitions revoked (%d)", partitions->cnt);
      rd_kafka_assign(rk, nullptr);
      std::lock_guard lock(mutex_);
      assignment_.reset();
      return;
    }
    std::set<std::string> covered;
    for (int i = 0; i < partitions->cnt; ++i) covered.insert(partitions->elems[i].topic);
    // A run reads what it publishes, not earlier runs' messages: its first assignment starts at
    // the ends. The lookup keeps to the start's deadline and ends early when Start gave up or
    // Stop() was called, so that Stop()'s join is bounded.
    if (first_assignment_) {
      StartAtEnds(rk, partitions, start_deadline_,
                  [this] { return !running_.load() || abandoned_.load(); });
    }
    rd_kafka_assign(rk, partitions);
    LOG_INFO("kafka: consumer assigned %d partitions", partitions->cnt);
    first_assignment_ = false;
    link_.SetUp();
    std::lock_guard lock(mutex_);
    assignment_.reset(rd_kafka_topic_partition_list_copy(partitions));
    assigned_all_ = covered.size() == topic_names_.size();
    assigned_changed_.notify_all();
  }

  std::size_t TopicIndex(const rd_kafka_topic_t* rkt) {
    for (std::size_t i = 0; i < topic_handles_.size(); ++i) {
      if (topic_handles_[i] == rkt) return i;
    }
    const std::string name = rd_kafka_topic_name(rkt);
    for (std::size_t i = 0; i < topic_names_.size(); ++i) {
      if (topic_names_[i] == name) {
        topic_handles_.resize(topic_names_.size(), nullptr);
        topic_handles_[i] = rkt;
        return i;
      }
    }
    return 0;
  }

  // True when `offset` is at or below the highest offset read so far on that partition: the
  // consumer went back (a restart from committed offsets, a rebalance). Poll thread only.
  bool Replayed(std::size_t topic, std::int32_t partition, std::int64_t offset) {
    if (partition < 0) return false;
    const auto p = static_cast<std::size_t>(partition);
    std::vector<std::int64_t>& highest = highest_offset_[topic];
    if (p >= highest.size()) highest.resize(p + 1, -1);  // once per partition, not per message
    if (offset <= highest[p]) return true;
    highest[p] = offset;
    return false;
  }

  void PollLoop() {
    while (running_.load(std::memory_order_relaxed)) {
      std::unique_ptr<rd_kafka_message_t, MessageDeleter> message(
          rd_kafka_consumer_poll(rk_.get(), 100));
      if (!message) continue;
      if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
          health_.client_errors.fetch_add(1, std::memory_order_relaxed);
          LOG_DEBUG("kafka: consume error: %s", rd_kafka_message_errstr(message.get()));
        }
        continue;
      }
      link_.SetUp();  // one load once up: back after an outage without a new assignment
      const std::size_t topic = TopicIndex(message->rkt);
      const std::span payload(static_cast<const std::byte*>(message->payload), message->len);
      // Without the record header (a producer in payload mode, as during a change of mode), the
      // header is looked for at the payload's start, as in payload mode.
      const std::span header =
          header_in_message_ ? BrokerloadHeader(message.get()) : std::span<const std::byte>();
      listener_->OnMessage(topic, static_cast<std::uint32_t>(std::max(message->partition, 0)),
                           rd_kafka_message_broker_id(message.get()),
                           header.empty() ? payload : header,
                           payload.size() + (header.empty() ? 0 : message::kHeaderSize),
                           Replayed(topic, message->partition, message->offset));
    }
  }

  const bool header_in_message_;  // workload.brokerload_header: message_header
  std::vector<std::string> topic_names_;
  std::vector<const rd_kafka_topic_t*> topic_handles_;     // poll thread only
  std::vector<std::vector<std::int64_t>> highest_offset_;  // [topic][partition]; poll thread
  // [topic]: partition -> end offset at the last Backlog(), asked at last_asked_; housekeeping
  std::vector<std::map<std::int32_t, std::int64_t>> last_end_;
  std::chrono::steady_clock::time_point last_asked_;
  Health& health_;
  // Up at an assignment; down on a transport error or every broker down, up again on a message
  // or a metadata answer (Maintain).
  Link link_{health_};
  FatalError fatal_;  // outlives rk_ (declared before it): the error callback writes it
  MessageListener* listener_ = nullptr;
  bool first_assignment_ = true;  // poll thread only
  bool closed_ = false;           // Stop() closed it or gave up (Stop()'s thread)
  // Set by Start before the poll thread exists; read by it.
  std::chrono::steady_clock::time_point start_deadline_;
  std::atomic<bool> abandoned_{false};  // Start returned false
  std::mutex mutex_;
  std::condition_variable assigned_changed_;
  bool assigned_all_ = false;
  PartitionListPtr assignment_;  // the current assignment (mutex_), for Backlog
  std::atomic<bool> running_{false};
  std::unique_ptr<CoordinatorAsker> asker_;  // a client of its own (CoordinatorAsker)
  KafkaPtr rk_;
  std::unique_ptr<TimedCommitter> committer_;  // on rk_; closed before rk_ is destroyed
  std::thread thread_;
};

}  // namespace

std::unique_ptr<Consumer> CreateConsumer(const config::KafkaTarget& target,
                                         const std::vector<std::string>& topics, Health& health,
                                         std::string& error, const config::Workload& workload) {
  auto consumer = std::make_unique<KafkaConsumer>(
      topics, health, workload.brokerload_header == config::HeaderPlace::kMessageHeader);
  if (!consumer->Init(target, error)) return nullptr;
  return consumer;
}

}  // namespace brokerload::driver::kafka
