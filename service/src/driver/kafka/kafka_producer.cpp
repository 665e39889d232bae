#include "driver/kafka/kafka_producer.hpp"

#include <array>
#include <atomic>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <string_view>
#include <thread>

#include "driver/kafka/kafka_admin.hpp"
#include "driver/kafka/kafka_client.hpp"
#include "driver/kafka/kafka_conf.hpp"
#include "driver/kafka/kafka_describe.hpp"
#include "log/log.hpp"
#include "message/message_headers.hpp"

namespace brokerload::driver::kafka {
namespace {

class KafkaProducer final : public Producer {
 public:
  KafkaProducer(AckListener& acks, Health& health, const config::Workload& workload)
      : acks_(acks),
        health_(health),
        header_in_message_(workload.brokerload_header == config::HeaderPlace::kMessageHeader),
        extra_(workload.extra_headers, workload.extra_header_size),
        extra_seed_(std::random_device{}()) {}

  // The poll thread is stopped before any member goes: no delivery report runs after this.
  ~KafkaProducer() override { StopPolling(); }

  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
    auto* self = static_cast<KafkaProducer*>(opaque);
    const std::span header =
        self->header_in_message_
            ? BrokerloadHeader(message)
            : std::span(static_cast<const std::byte*>(message->payload), message->len);
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (self->link_.SetUp()) LOG_INFO("kafka: producer delivering");
      self->acks_.OnAck(header, rd_kafka_message_broker_id(message));
    } else {
      self->acks_.OnAckFailed(header, MapError(message->err), rd_kafka_message_broker_id(message));
    }
  }

  // A producer that sends nothing (consume-only creates the topics with it) has no delivery to
  // tell it the brokers are back after an outage: ask them, once a second while down.
  void Maintain() override {
    if (!link_.Up() &&
        AskMetadata(rk_.get(), std::chrono::milliseconds(500)) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        link_.SetUp()) {
      LOG_INFO("kafka: producer reconnected");
    }
  }

  bool Init(const config::KafkaTarget& target, const config::Run& run,
            const std::vector<std::string>& topics, std::chrono::steady_clock::time_point deadline,
            const std::atomic<bool>& cancel, std::string& error) {
    const std::function<bool()> cancelled = [&cancel] { return cancel.load(); };
    // Each wait: at most 30 s, and never past the start's deadline (run.startup_timeout).
    auto wait = [deadline] { return SetupWait(deadline); };
    max_log_level_ = ForwardedLogLevel(target.producer);
    const config::Properties settings =
        ClientSettings(target, ClientKind::kProducer,
                       std::chrono::duration_cast<std::chrono::milliseconds>(run.publish_timeout));
    ConfPtr conf;
    if (!BuildConf(settings, conf, error)) return false;
    statistics_interval_ = std::chrono::milliseconds(
        std::atoll(ConfValue(conf.get(), "statistics.interval.ms").c_str()));
    rd_kafka_conf_set_dr_msg_cb(conf.get(), OnDelivery);
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_error_cb(conf.get(), OnClientError);
    rd_kafka_conf_set_log_cb(conf.get(), OnLog);
    rd_kafka_conf_set_stats_cb(conf.get(), OnStatistics);
    SetCertificateCallback(conf.get(), OnCertificate);
    rk_ = NewClient(RD_KAFKA_PRODUCER, std::move(conf), error);
    if (!rk_) {
      if (ClientSettingsRefused()) health_.refused.store(true);  // retrying cannot help
      return false;
    }
    // Credentials and certificates are checked here, before anything waits 30 s on a broker that
    // will never accept this client.
    if (!WaitForBroker(rk_.get(), fatal_, wait(), error, cancelled)) return false;
    link_.SetUp();
    target_ = target;
    if (target.topic.create) {
      const std::optional<int> partitions =
          PartitionsToCreate(rk_.get(), target.topic.partitions, wait(), error);
      if (!partitions) return false;
      target_.topic.partitions.count = *partitions;  // what Describe reports with per_broker
      if (!CreateTopics(rk_.get(), topics, target.topic, *partitions, wait(), fatal_, error)) {
        return Refuse();
      }
    }
    for (const std::string& name : topics) {
      topics_.emplace_back(rd_kafka_topic_new(rk_.get(), name.c_str(), nullptr));
      if (!topics_.back()) {
        error = "topic " + name + ": " + rd_kafka_err2str(rd_kafka_last_error());
        return false;
      }
    }
    // Ready means every partition has a leader and this producer knows it: no first send waits
    // for metadata.
    partitions_.resize(topics.size());
    for (std::size_t i = 0; i < topics.size(); ++i) {
      if (!WaitForLeaders(rk_.get(), topics_[i].get(), wait(), fatal_, partitions_[i], error,
                          cancelled)) {
        return Refuse();
      }
    }
    topic_names_ = topics;
    main_queue_.reset(rd_kafka_queue_get_main(rk_.get()));
    StartPolling();
    return true;
  }

  std::size_t Partitions(std::size_t topic) const override { return partitions_[topic]; }

  std::optional<Leadership> Leaders(std::chrono::milliseconds timeout) override {
    return PartitionLeaders(rk_.get(), topic_names_, timeout);
  }

  Status SendToPartition(std::size_t topic, std::size_t partition,
                         std::span<const std::byte> payload) override {
    return Produce(topic, {}, payload, static_cast<std::int32_t>(partition));
  }

  Description Describe() const override {
    // A connection's ApiVersions lines are all logged before it carries any request, and Describe
    // comes after the probes went through every partition leader: what is recorded is complete
    // for every broker this producer uses.
    return DescribeProducer(rk_.get(), target_, api_versions_.Brokers(), std::chrono::seconds(5));
  }

  Status Send(std::size_t topic, std::span<const std::byte> key,
              std::span<const std::byte> payload) override {
    return Produce(topic, key, payload, RD_KAFKA_PARTITION_UA);
  }

  // Delivery reports are served by the poll thread.

  // rd_kafka_flush() polls, and also sends what lingers at once; the poll thread is paused
  // meanwhile so that delivery reports never run on two threads at a time.
  bool Flush(std::chrono::milliseconds timeout) override {
    StopPolling();
    const bool flushed =
        rd_kafka_flush(rk_.get(), static_cast<int>(timeout.count())) == RD_KAFKA_RESP_ERR_NO_ERROR;
    StartPolling();
    return flushed;
  }

 private:
  // False, for Start; the target is refused (no retry) when the broker's authorizer said no.
  bool Refuse() {
    if (!fatal_.Get().empty()) health_.refused.store(true);
    return false;
  }

  // One produceva call: a key when given, the partitioner's choice unless `partition` is set;
  // brokerload's header as the payload's start or as the record header "brokerload", and the
  // workload's extra headers (librdkafka copies each, as it copies the payload).
  Status Produce(std::size_t topic, std::span<const std::byte> key,
                 std::span<const std::byte> payload, std::int32_t partition) {
    // Only the first `count` are read: left uninitialised, not cleared on every send.
    std::array<rd_kafka_vu_t, 5 + config::kMaxExtraHeaders> fields;
    fields[0].vtype = RD_KAFKA_VTYPE_RKT;
    fields[0].u.rkt = topics_[topic].get();
    fields[1].vtype = RD_KAFKA_VTYPE_VALUE;
    fields[1].u.mem = {const_cast<std::byte*>(payload.data()), payload.size()};
    fields[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    fields[2].u.i = RD_KAFKA_MSG_F_COPY;
    std::size_t count = 3;
    if (header_in_message_ && payload.size() >= message::kHeaderSize) {
      fields[1].u.mem = {const_cast<std::byte*>(payload.data()) + message::kHeaderSize,
                         payload.size() - message::kHeaderSize};
      fields[count].vtype = RD_KAFKA_VTYPE_HEADER;
      fields[count++].u.header = {message::kHeaderName.data(), payload.data(),
                                  static_cast<ssize_t>(message::kHeaderSize)};
    }
    if (extra_.Count() > 0) {
      // The publisher's thread, and the setup's for probes: a buffer per thread, sized once.
      thread_local std::vector<char> values;
      values.resize(extra_.FilledSize());
      extra_.Fill(extra_seed_, extra_index_.fetch_add(1, std::memory_order_relaxed), values);
      for (std::size_t i = 0; i < extra_.Count(); ++i) {
        fields[count].vtype = RD_KAFKA_VTYPE_HEADER;
        fields[count++].u.header = {extra_.Name(i).c_str(), extra_.Value(values, i),
                                    static_cast<ssize_t>(extra_.ValueSize())};
      }
    }
    if (!key.empty()) {
      fields[count].vtype = RD_KAFKA_VTYPE_KEY;
      fields[count++].u.mem = {const_cast<std::byte*>(key.data()), key.size()};
    }
    if (partition != RD_KAFKA_PARTITION_UA) {
      fields[count].vtype = RD_KAFKA_VTYPE_PARTITION;
      fields[count++].u.i32 = partition;
    }
    rd_kafka_error_t* error = rd_kafka_produceva(rk_.get(), fields.data(), count);
    if (error == nullptr) return Status::kOk;
    const Status status = MapError(rd_kafka_error_code(error));
    rd_kafka_error_destroy(error);
    return status;
  }

  std::chrono::milliseconds SentBytesDelay() const override { return statistics_interval_; }

  std::optional<std::uint64_t> SentBytes() const override {
    const std::int64_t sent = sent_bytes_.load(std::memory_order_relaxed);
    return sent < 0 ? std::nullopt : std::optional<std::uint64_t>(static_cast<std::uint64_t>(sent));
  }

  // On the polling thread (rd_kafka_poll serves it): the top-level "tx_bytes" of librdkafka's
  // statistics, a name no nested object uses, searched from the end (it follows the brokers' and
  // topics' objects). 0: librdkafka frees the JSON.
  static int OnStatistics(rd_kafka_t*, char* json, size_t length, void* opaque) {
    const std::string_view text(json, length);
    constexpr std::string_view kKey = "\"tx_bytes\":";
    if (const std::size_t at = text.rfind(kKey); at != std::string_view::npos) {
      std::int64_t value = 0;
      const char* first = text.data() + at + kKey.size();
      const char* end = text.data() + text.size();
      while (first != end && *first == ' ') ++first;
      if (std::from_chars(first, end, value).ec == std::errc()) {
        static_cast<KafkaProducer*>(opaque)->sent_bytes_.store(value, std::memory_order_relaxed);
      }
    }
    return 0;
  }

  static int OnCertificate(rd_kafka_t*, const char*, int32_t, int* x509_error, int, const char*,
                           size_t, char* errstr, size_t errstr_size, void* opaque) {
    return VerifyCertificate(x509_error, errstr, errstr_size,
                             static_cast<KafkaProducer*>(opaque)->fatal_);
  }

  // On librdkafka's threads (log.queue is off), so it calls nothing of librdkafka but
  // rd_kafka_opaque(), a read of the conf's pointer (librdkafka's own C++ binding does the same in
  // its log callback). `rk` is null for lines logged before the client exists.
  static void OnLog(const rd_kafka_t* rk, int level, const char* facility, const char* line) {
    auto* self = rk == nullptr ? nullptr : static_cast<KafkaProducer*>(rd_kafka_opaque(rk));
    if (self != nullptr && level == 7 && std::strcmp(facility, "APIVERSION") == 0) {
      self->api_versions_.Record(line);
    }
    if (level <= (self != nullptr ? self->max_log_level_ : 6)) {
      ForwardClientLog(level, facility, line);
    }
  }

  static void OnClientError(rd_kafka_t*, int err, const char* reason, void* opaque) {
    auto* self = static_cast<KafkaProducer*>(opaque);
    ReportClientError(err, reason, self->health_, self->link_, self->fatal_);
  }

  // A blocking poll returns as soon as librdkafka queues a delivery report, so an ack is
  // timestamped when the broker's answer is in, not when the publisher next looks.
  // (rd_kafka_message_latency() would not help: librdkafka 2.0.2 computes it as the time of that
  // call minus the time of produce(), so it carries the same wait for a poll.)
  void StartPolling() {
    stop_polling_.store(false);
    poller_ = std::thread([this] {
      log::NameThread("kafka-acks");
      while (!stop_polling_.load(std::memory_order_relaxed)) rd_kafka_poll(rk_.get(), 100);
    });
  }

  // Bounded: the yield wakes a poll that is waiting, and a pending one returns at once.
  void StopPolling() {
    if (!poller_.joinable()) return;
    stop_polling_.store(true);
    rd_kafka_queue_yield(main_queue_.get());
    poller_.join();
  }

  AckListener& acks_;
  Health& health_;
  const bool header_in_message_;
  const message::ExtraHeaders extra_;
  const std::uint64_t extra_seed_;
  std::atomic<std::uint64_t> extra_index_{0};
  // Up once a broker answered at setup; down on a transport error or every broker down, up again
  // on a delivery or a metadata answer (Maintain).
  Link link_{health_};
  FatalError fatal_;             // outlives rk_: the error callback writes it
  ApiVersionsLog api_versions_;  // outlives rk_: the log callback writes it
  int max_log_level_ = 6;        // set before rk_ exists
  // librdkafka's tx_bytes as its statistics last said; -1 before the first. Outlives rk_: the
  // statistics callback writes it.
  std::atomic<std::int64_t> sent_bytes_{-1};
  std::chrono::milliseconds statistics_interval_{0};  // set before rk_ exists
  config::KafkaTarget target_;
  std::vector<std::string> topic_names_;
  std::vector<std::size_t> partitions_;
  // Member order is teardown order: topic handles and the queue handle go before the client
  // that owns them; the poll thread is joined by the destructor before all of them.
  KafkaPtr rk_;
  QueuePtr main_queue_;
  std::vector<TopicPtr> topics_;
  std::atomic<bool> stop_polling_{false};
  std::thread poller_;
};

}  // namespace

std::unique_ptr<Producer> CreateProducer(const config::KafkaTarget& target, const config::Run& run,
                                         const std::vector<std::string>& topics, AckListener& acks,
                                         Health& health,
                                         std::chrono::steady_clock::time_point deadline,
                                         const std::atomic<bool>& cancel, std::string& error,
                                         const config::Workload& workload) {
  auto producer = std::make_unique<KafkaProducer>(acks, health, workload);
  if (!producer->Init(target, run, topics, deadline, cancel, error)) return nullptr;
  return producer;
}

}  // namespace brokerload::driver::kafka
