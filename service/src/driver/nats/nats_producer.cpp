#include "driver/nats/nats_producer.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <charconv>
#include <cstring>
#include <random>
#include <thread>

#include "driver/nats/nats_connection.hpp"
#include "driver/nats/nats_status.hpp"
#include "driver/nats/nats_streams.hpp"
#include "driver/nats/nats_subjects.hpp"
#include "driver/nats/pending_window.hpp"
#include "driver/nats/reader_handler.hpp"
#include "driver/nats/server_info.hpp"
#include "log/log.hpp"
#include "message/message_headers.hpp"

namespace brokerload::driver::nats {
namespace {

class NatsProducer final : public Producer, private ReaderHandler {
 public:
  NatsProducer(AckListener& acks, Health& health, std::int64_t max_pending,
               const config::Workload& workload)
      : acks_(acks),
        health_(health),
        header_in_message_(workload.brokerload_header == config::HeaderPlace::kMessageHeader),
        extra_(workload.extra_headers, workload.extra_header_size),
        extra_seed_(std::random_device{}()),
        largest_message_(workload.max_size),
        connection_(health),
        max_pending_(static_cast<std::uint64_t>(max_pending)),
        // Twice the bound: a stuck slot is passed over, and there are always free ones.
        window_(2 * std::bit_ceil(static_cast<std::size_t>(max_pending))) {}

  ~NatsProducer() override {
    connection_.watch().link.Close();  // closing is not an outage: no disconnect to report
    // The closed callback does not mean a subscription's handler has returned: drain the PubAck
    // subscription first (bounded), after which OnReply is not called again.
    if (replies_ && natsSubscription_Drain(replies_.get()) == NATS_OK) {
      natsSubscription_WaitForDrainCompletion(replies_.get(), 5'000);
    }
    // A PubAck later than the drain is left to cnats (3.10 offers the hook even those).
    replies_live_.store(false);
    WaitForReader();
    connection_.Close();  // joins the reader thread: no callback of ours runs after this
    replies_.reset();
  }

  bool Init(const config::NatsTarget& target, const config::Run& run,
            const std::vector<std::string>& topics, std::chrono::steady_clock::time_point deadline,
            const std::atomic<bool>& cancel, std::string& error) {
    if (!connection_.Open(target, "brokerload-producer", target.send_asap, error)) return false;
    // cnats holds only a payload to the server's max_payload; the server counts the header block
    // too, and closes the connection over it: a workload that can get there is refused here.
    if (header_in_message_ || extra_.Count() > 0) {
      const std::int64_t limit = natsConnection_GetMaxPayload(connection_.connection());
      const std::size_t block = extra_.NatsBlockBytes(header_in_message_);
      const std::size_t largest = static_cast<std::size_t>(largest_message_) -
                                  (header_in_message_ ? message::kHeaderSize : 0) + block;
      if (limit > 0 && largest > static_cast<std::size_t>(limit)) {
        error = "the largest message with its headers (" + std::to_string(largest) +
                " B, of which " + std::to_string(block) +
                " B of header block: workload.brokerload_header, workload.headers) exceeds the "
                "server's max_payload (" +
                std::to_string(limit) + " B)";
        health_.refused.store(true);  // the server will not change its limit for a retry
        return false;
      }
    }
    const SetupBudget streams_budget(std::max(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                  deadline - std::chrono::steady_clock::now()),
                                              std::chrono::milliseconds(0)),
                                     cancel);
    if (target.stream.create && !EnsureStreams(connection_.connection(), connection_.js(),
                                               target.stream, topics, streams_budget, error)) {
      return false;
    }
    // One subscription for every PubAck: <inbox>.<slot number>.
    if ((reply_prefix_ = InboxPrefix("reply inbox", error)).empty()) return false;
    natsSubscription* sub = nullptr;
    const natsStatus s = natsConnection_Subscribe(&sub, connection_.connection(),
                                                  (reply_prefix_ + "*").c_str(), OnReply, this);
    if (s != NATS_OK) {
      error = "PubAck subscription: " + LastError(s);
      return false;
    }
    replies_.reset(sub);
    // The window bounds what can arrive; cnats' own limit would drop PubAcks as a slow consumer.
    natsSubscription_SetPendingLimits(sub, -1, -1);
    // PubAcks settled as they are read.
    on_reader_ = HandleOnReader(connection_.connection(), *this);
    subjects_ = topics;
    create_streams_ = target.stream.create;
    stream_settings_ = target.stream;
    target_ = target;
    publish_timeout_ns_ = run.publish_timeout.count();
    return true;
  }

  Status Send(std::size_t topic, std::span<const std::byte>,
              std::span<const std::byte> payload) override {
    if (window_.Outstanding() >= max_pending_) return Status::kQueueFull;
    const std::optional<std::uint64_t> number = window_.Reserve(payload, SteadyNs());
    if (!number) return Status::kQueueFull;  // the oldest slot's PubAck is still awaited
    std::array<char, 128> reply{};
    const std::size_t prefix = std::min(reply_prefix_.size(), reply.size() - 21);
    std::memcpy(reply.data(), reply_prefix_.data(), prefix);
    std::to_chars(reply.data() + prefix, reply.data() + reply.size() - 1, *number);
    const natsStatus s =
        header_in_message_ || extra_.Count() > 0
            ? PublishWithHeaders(subjects_[topic].c_str(), reply.data(), payload, *number)
            : natsConnection_PublishRequest(connection_.connection(), subjects_[topic].c_str(),
                                            reply.data(), payload.data(),
                                            static_cast<int>(payload.size()));
    if (s == NATS_OK) return Status::kOk;
    window_.Cancel(*number);
    return MapError(s, jsErrCode{});
  }

  // PubAcks that never came fail as timeouts; a restarted server has lost its memory streams:
  // re-create them, within kMaintainBudget a pass (the next pass tries again). Housekeeping
  // thread: the JetStream API requests wait for the server, which the publisher must never do.
  void Maintain() override {
    ExpireTimedOut();
    ConnectionWatch& watch = connection_.watch();
    if (!create_streams_ || !watch.reconnected.load(std::memory_order_relaxed)) return;
    std::string error;
    if (EnsureStreams(connection_.connection(), connection_.js(), stream_settings_, subjects_,
                      SetupBudget(kMaintainBudget, kNeverCancelled), error)) {
      watch.reconnected.store(false);
      LOG_INFO("nats: streams checked after reconnect");
    } else {
      LOG_WARN("nats: after reconnect: %s; retrying", error.c_str());
    }
  }

  Description Describe() const override {
    return DescribeTarget(connection_.connection(), target_);
  }

  std::optional<Leadership> Leaders(std::chrono::milliseconds timeout) override {
    return StreamLeaders(connection_.js(), subjects_, SetupBudget(timeout, kNeverCancelled));
  }

  std::optional<std::uint64_t> SentBytes() const override {
    natsStatistics* stats = nullptr;
    if (natsStatistics_Create(&stats) != NATS_OK) return std::nullopt;
    std::uint64_t out_bytes = 0;
    const bool got =
        natsConnection_GetStats(connection_.connection(), stats) == NATS_OK &&
        natsStatistics_GetCounts(stats, nullptr, nullptr, nullptr, &out_bytes, nullptr) == NATS_OK;
    natsStatistics_Destroy(stats);
    return got ? std::optional<std::uint64_t>(out_bytes) : std::nullopt;
  }

  bool Flush(std::chrono::milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    natsConnection_FlushTimeout(connection_.connection(),
                                std::max<std::int64_t>(1, timeout.count()));
    while (window_.Outstanding() > 0 && std::chrono::steady_clock::now() < deadline) {
      ExpireTimedOut();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return window_.Outstanding() == 0;
  }

 private:
  static constexpr std::chrono::milliseconds kMaintainBudget{5'000};

  static std::int64_t SteadyNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  // A publish with headers (HPUB): cnats takes them only on a message of its own, which it
  // allocates and copies into, headers as text (brokerload's header in base64).
  natsStatus PublishWithHeaders(const char* subject, const char* reply,
                                std::span<const std::byte> payload, std::uint64_t number) {
    const std::span body = header_in_message_ && payload.size() >= message::kHeaderSize
                               ? payload.subspan(message::kHeaderSize)
                               : payload;
    natsMsg* msg = nullptr;
    natsStatus s = natsMsg_Create(&msg, subject, reply, reinterpret_cast<const char*>(body.data()),
                                  static_cast<int>(body.size()));
    if (s == NATS_OK && body.size() != payload.size()) {
      s = natsMsgHeader_Set(msg, message::kHeaderName.data(),
                            message::HeaderText(payload.first(message::kHeaderSize)).data());
    }
    if (s == NATS_OK && extra_.Count() > 0) {
      // The publisher's thread, and the setup's for probes: a buffer per thread, sized once.
      thread_local std::vector<char> values;
      values.resize(extra_.FilledSize());
      extra_.Fill(extra_seed_, number, values);
      for (std::size_t i = 0; i < extra_.Count() && s == NATS_OK; ++i) {
        s = natsMsgHeader_Set(msg, extra_.Name(i).c_str(), extra_.Value(values, i));
      }
    }
    if (s == NATS_OK) s = natsConnection_PublishMsg(connection_.connection(), msg);
    natsMsg_Destroy(msg);
    return s;
  }

  void ExpireTimedOut() {
    window_.Expire(SteadyNs() - publish_timeout_ns_, [this](std::span<const std::byte> header) {
      acks_.OnAckFailed(header, Status::kTimeout, kUnknownBroker);
    });
  }

  // PubAcks, on the connection's reader thread; the rest (JetStream API replies) goes on.
  bool TakeOnReader(natsMsg* msg) override {
    if (!replies_live_.load(std::memory_order_relaxed)) return false;
    const std::optional<std::uint64_t> number = NumberAfter(reply_prefix_, natsMsg_GetSubject(msg));
    if (!number) return false;
    thread_local const bool named = (log::NameThread("nats-acks"), true);
    (void)named;
    Settle(*number, msg);
    return true;
  }

  // The reply subscription's own callback: every PubAck without the reader hook; with it, only
  // what the handler left (a subject without a slot number, which answers no publish).
  static void OnReply(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    auto* self = static_cast<NatsProducer*>(closure);
    if (!self->on_reader_) {
      if (const auto number = NumberAfter(self->reply_prefix_, natsMsg_GetSubject(msg))) {
        self->Settle(*number, msg);
      }
    }
    natsMsg_Destroy(msg);
  }

  void Settle(std::uint64_t number, natsMsg* msg) {
    const Status status = ParsePubAck(std::string_view(
        natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg))));
    window_.Complete(number, [&](std::span<const std::byte> header) {
      if (status == Status::kOk) {
        acks_.OnAck(header, kUnknownBroker);
      } else {
        acks_.OnAckFailed(header, status, kUnknownBroker);
      }
    });
  }

  AckListener& acks_;
  Health& health_;
  const bool header_in_message_;  // workload.brokerload_header: message_header
  const message::ExtraHeaders extra_;
  const std::uint64_t extra_seed_;
  const int largest_message_;  // workload.message_size's largest, header included
  // Teardown order: the PubAck subscription, then the connection (closed in the destructor).
  JetStreamConnection connection_;
  const std::uint64_t max_pending_;
  PendingWindow window_;
  bool create_streams_ = false;
  config::NatsStreamSettings stream_settings_;
  config::NatsTarget target_;
  std::vector<std::string> subjects_;
  std::string reply_prefix_;
  bool on_reader_ = false;                // set before any PubAck can arrive (Init)
  std::atomic<bool> replies_live_{true};  // false once the PubAck subscription has drained
  std::int64_t publish_timeout_ns_ = 0;
  SubscriptionPtr replies_;
};

}  // namespace

std::unique_ptr<Producer> CreateProducer(const config::NatsTarget& target, const config::Run& run,
                                         const std::vector<std::string>& topics, AckListener& acks,
                                         Health& health,
                                         std::chrono::steady_clock::time_point deadline,
                                         const std::atomic<bool>& cancel, std::string& error,
                                         const config::Workload& workload) {
  auto producer = std::make_unique<NatsProducer>(acks, health, target.max_pending, workload);
  if (!producer->Init(target, run, topics, deadline, cancel, error)) return nullptr;
  return producer;
}

}  // namespace brokerload::driver::nats
