#include "driver/nats/nats_consumer.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "driver/nats/consumer_admin.hpp"
#include "driver/nats/nats_connection.hpp"
#include "driver/nats/nats_status.hpp"
#include "driver/nats/nats_subjects.hpp"
#include "driver/nats/reader_handler.hpp"
#include "driver/nats/setup_budget.hpp"
#include "log/log.hpp"
#include "message/message_headers.hpp"

namespace brokerload::driver::nats {
namespace {

class NatsConsumer final : public Consumer, private ReaderHandler {
 public:
  NatsConsumer(const config::NatsTarget& target, std::vector<std::string> topics, Health& health,
               bool header_in_message)
      : header_in_message_(header_in_message),
        ack_policy_(target.ack_policy),
        max_ack_pending_(target.max_ack_pending),
        topics_(std::move(topics)),
        connection_(health),
        watch_(connection_.watch()) {}

  ~NatsConsumer() override {
    Stop();
    connection_.Close();  // joins the reader thread: no callback of ours runs after this
  }

  bool Init(const config::NatsTarget& target, std::string& error) {
    // Acks, if any, may wait for the flusher: they are off the measured path.
    if (!connection_.Open(target, "brokerload-consumer", false, error)) return false;
    if ((deliver_prefix_ = InboxPrefix("delivery inbox", error)).empty()) return false;
    topics_state_.reserve(topics_.size());
    for (std::size_t i = 0; i < topics_.size(); ++i) {
      topics_state_.push_back(std::make_unique<Topic>());
      topics_state_[i]->self = this;
      topics_state_[i]->index = i;
      topic_by_subject_.emplace(topics_[i], i);
    }
    return true;
  }

  // Subscribes and adds the consumers topic by topic while `timeout` and `cancel` allow; one
  // that does not finish is undone (Abandon).
  bool Start(MessageListener& listener, std::chrono::milliseconds timeout,
             const std::atomic<bool>& cancel, std::string& error) override {
    const SetupBudget budget(timeout, cancel);
    listener_ = &listener;
    // Messages are accounted as they are read, unless the listener may wait: then cnats' queue
    // per subscription holds the backlog (MessageListener::MayWait).
    if (!listener.MayWait()) HandleOnReader(connection_.connection(), *this);
    std::string step_error;
    const Steps steps =
        RunWithin(topics_.size(), budget, kRequestWait, [&](std::size_t i, std::int64_t wait_ms) {
          if (!Subscribe(i, step_error)) return Step::kFailed;
          return StepOf(AddConsumer(i, 0, wait_ms, step_error));
        });
    if (!steps.Complete(topics_.size())) {
      error = StepsError(steps, topics_.size(), budget, "consumers", "added", step_error);
      Abandon();
      return false;
    }
    LOG_INFO("nats: consuming %zu streams, messages taken on the %s", topics_.size(),
             listener.MayWait() ? "subscription callbacks (a listener that may wait)" : DataPath());
    return true;
  }

  // After a reconnect, a restarted server has lost its ephemeral consumers: add each one that is
  // gone again, delivering from the moment the connection was lost into the same subscription
  // (which cnats has renewed on the new connection), so nothing read before is dropped. At most
  // kMaintainBudget of housekeeping's time; the next call goes on with what is left.
  void Maintain() override {
    ReportClientDrops();
    if (!watch_.reconnected.load()) return;
    const SetupBudget budget(kMaintainBudget, kNeverCancelled);
    bool all_restored = true;
    for (std::size_t i = 0; i < topics_.size(); ++i) {
      if (budget.Check() != Cutoff::kNone) {
        LOG_WARN("nats: after reconnect: consumers of %zu streams left for the next pass",
                 topics_.size() - i);
        return;
      }
      std::string error;
      if (!Restore(i, budget, error)) {
        all_restored = false;
        LOG_WARN("nats: after reconnect: %s; retrying", error.c_str());
      }
    }
    if (all_restored) watch_.reconnected.store(false);
  }

  // The consumer's own view from the server (delivered and pending stream sequences) against the
  // last sequence handed to the listener, which trails what was delivered by brokerload's queue;
  // with acks, the server's count of those delivered and not acknowledged (num_ack_pending).
  std::vector<std::optional<TopicBacklog>> Backlog() override {
    std::vector<std::optional<TopicBacklog>> result(topics_.size());
    jsOptions options;
    jsOptions_Init(&options);
    options.Wait = 500;
    bool asking = !watch_.reconnected.load() && listener_ != nullptr && watch_.link.Up();
    // At most 500 ms of housekeeping's time in all; topics past it are unknown this time, and
    // the next pass starts with them.
    const auto budget_end = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
    for (std::size_t n = 0; n < topics_.size(); ++n) {
      const std::size_t i = (next_backlog_topic_ + n) % topics_.size();
      Topic& t = *topics_state_[i];
      const auto asked = std::chrono::steady_clock::now();
      if (asking && asked >= budget_end) {
        asking = false;
        next_backlog_topic_ = i;
      }
      jsConsumerInfo* info = nullptr;
      asking = asking && !t.consumer.empty() &&
               js_GetConsumerInfo(&info, connection_.js(), topics_[i].c_str(), t.consumer.c_str(),
                                  &options, nullptr) == NATS_OK;
      if (!asking) {
        jsConsumerInfo_Destroy(info);
        t.last_end.reset();
        continue;
      }
      const std::uint64_t end = info->Delivered.Stream + info->NumPending;
      const std::int64_t ack_pending = info->NumAckPending;
      jsConsumerInfo_Destroy(info);
      const std::uint64_t handed = t.last_handed.load(std::memory_order_relaxed);
      TopicBacklog backlog{end > handed ? end - handed : 0, std::nullopt, std::nullopt};
      if (ack_policy_ != config::AckPolicy::kNone) {
        backlog.ack_pending = static_cast<std::uint64_t>(std::max<std::int64_t>(ack_pending, 0));
      }
      if (t.last_end && handed >= t.last_end->second)
        backlog.handed_stored_before = t.last_end->first;
      result[i] = backlog;
      t.last_end.emplace(asked, end);
    }
    return result;
  }

  void Stop() override { StopWithin(kStopBudget); }

 private:
  static constexpr std::chrono::milliseconds kMaintainBudget{5'000};
  static constexpr std::chrono::milliseconds kStopBudget{10'000};
  // How long an abandoned Start may go on deleting the consumers it added.
  static constexpr std::chrono::milliseconds kAbandonGrace{1'000};

  struct Topic {
    NatsConsumer* self = nullptr;
    std::size_t index = 0;
    // The highest stream sequence delivered on this topic (reader thread only, but atomic for the
    // subscription's own callback).
    std::atomic<std::uint64_t> highest_sequence{0};
    // The stream sequence last handed to the listener (delivery order is stream order), and the
    // stream's end at the last Backlog() and when it was asked (housekeeping thread).
    std::atomic<std::uint64_t> last_handed{0};
    // Subscribed and not stopped: the reader handler takes its messages only then.
    std::atomic<bool> live{false};
    std::optional<std::pair<std::chrono::steady_clock::time_point, std::uint64_t>> last_end;
    std::int64_t dropped = 0;  // by cnats over the pending limits, already reported
    std::string consumer;      // the server's name for the current consumer
    SubscriptionPtr subscription;
  };

  // Messages cnats discarded over a subscription's pending limits (slow consumer) were delivered
  // to brokerload: its loss, not the broker's. (None are queued while the reader handler takes
  // every message; kept for what it leaves.)
  void ReportClientDrops() {
    for (const std::unique_ptr<Topic>& t : topics_state_) {
      int64_t dropped = 0;
      if (!t->subscription ||
          natsSubscription_GetDropped(t->subscription.get(), &dropped) != NATS_OK ||
          dropped <= t->dropped) {
        continue;
      }
      LOG_WARN("nats: client dropped %lld messages of %s over its pending limits",
               static_cast<long long>(dropped - t->dropped), topics_[t->index].c_str());
      listener_->OnClientDropped(t->index, static_cast<std::uint64_t>(dropped - t->dropped));
      t->dropped = dropped;
    }
  }

  // Topic i's subscription to `<deliver_prefix_><i>`, live before its consumer exists: the
  // consumer's first deliveries are handed over.
  bool Subscribe(std::size_t i, std::string& error) {
    Topic& t = *topics_state_[i];
    const std::string deliver = deliver_prefix_ + std::to_string(i);
    natsSubscription* sub = nullptr;
    const natsStatus s =
        natsConnection_Subscribe(&sub, connection_.connection(), deliver.c_str(), OnMessage, &t);
    if (s != NATS_OK) {
      error = "subscribe to " + deliver + " for stream " + topics_[i] + ": " + LastError(s);
      return false;
    }
    natsSubscription_SetPendingLimits(sub, 1'000'000, 1 << 30);
    t.subscription.reset(sub);
    t.live.store(true);
    return true;
  }

  // Adds the ephemeral push consumer of topic i, delivering to `<deliver_prefix_><i>` new
  // messages, or those since `start_ns` (Unix ns) when not 0.
  natsStatus AddConsumer(std::size_t i, std::int64_t start_ns, std::int64_t wait_ms,
                         std::string& error) {
    const std::string deliver = deliver_prefix_ + std::to_string(i);
    AddedConsumer added;
    const natsStatus s = AddPushConsumer(
        connection_.js(), {topics_[i], deliver, ack_policy_, max_ack_pending_, start_ns}, wait_ms,
        added, error);
    if (s != NATS_OK) return s;
    topics_state_[i]->consumer = added.name;
    // Where the new consumer starts: its backlog counts from there, not from the stream's first.
    topics_state_[i]->last_handed.store(added.start_sequence, std::memory_order_relaxed);
    return NATS_OK;
  }

  // Topic i's consumer after a reconnect: still there, or added again from the moment the
  // connection was lost.
  bool Restore(std::size_t i, const SetupBudget& budget, std::string& error) {
    const std::int64_t find_wait_ms = budget.RequestWaitMs(kRequestWait);
    if (find_wait_ms == 0) {
      error = "consumer of stream " + topics_[i] + ": no time left to look for it";
      return false;
    }
    switch (FindConsumer(connection_.js(), topics_[i], topics_state_[i]->consumer, find_wait_ms,
                         error)) {
      case ConsumerPresence::kPresent:
        return true;
      case ConsumerPresence::kUnknown:
        return false;
      case ConsumerPresence::kGone:
        break;
    }
    const std::int64_t wait_ms = budget.RequestWaitMs(kRequestWait);
    if (wait_ms == 0) {
      error = "consumer of stream " + topics_[i] + ": no time left to add it again";
      return false;
    }
    if (AddConsumer(i, watch_.disconnected_at_ns.load(), wait_ms, error) != NATS_OK) return false;
    LOG_INFO("nats: consumer of stream %s added again after reconnect", topics_[i].c_str());
    return true;
  }

  // Stops delivering at once, then deletes the consumers within `budget`: the server would
  // delete an ephemeral consumer without interest on its own, seconds later, and does so with
  // those left.
  void StopWithin(std::chrono::milliseconds budget) {
    if (listener_) ReportClientDrops();
    const bool connected =
        connection_.connection() &&
        natsConnection_Status(connection_.connection()) == NATS_CONN_STATUS_CONNECTED;
    // Nothing is handed over from now on: the reader hook and the subscriptions' callbacks
    // leave what arrives (cnats 3.10 offers the hook even the messages of a subscription it no
    // longer knows), and cnats drops it once unsubscribed.
    for (const std::unique_ptr<Topic>& t : topics_state_) t->live.store(false);
    WaitForReader();
    for (const std::unique_ptr<Topic>& t : topics_state_) {
      if (t->subscription) natsSubscription_Unsubscribe(t->subscription.get());
      t->subscription.reset();
    }
    const SetupBudget deleting(budget, kNeverCancelled);
    std::size_t left = 0;
    for (const std::unique_ptr<Topic>& t : topics_state_) {
      if (t->consumer.empty()) continue;
      const std::int64_t wait_ms = deleting.RequestWaitMs(kRequestWait);
      if (connected && wait_ms > 0) {
        DeleteConsumer(connection_.js(), topics_[t->index], t->consumer, wait_ms);
      } else if (connected) {
        ++left;
      }
      t->consumer.clear();
    }
    if (left > 0) {
      LOG_INFO("nats: %zu consumers not deleted within %lld ms: the server removes them", left,
               static_cast<long long>(budget.count()));
    }
  }

  // Undoes a Start that did not finish: nothing goes on receiving, and the consumers it added
  // are deleted, if they can be within kAbandonGrace.
  void Abandon() { StopWithin(kAbandonGrace); }

  // See MessageListener::OnMessage. A message without JetStream metadata counts as new.
  static bool Replayed(Topic& t, const char* reply) {
    const std::optional<AckPlace> place = reply ? ParseAckReply(reply) : std::nullopt;
    if (!place) return false;
    t.last_handed.store(place->stream_sequence, std::memory_order_relaxed);
    std::uint64_t highest = t.highest_sequence.load(std::memory_order_relaxed);
    while (place->stream_sequence > highest &&
           !t.highest_sequence.compare_exchange_weak(highest, place->stream_sequence,
                                                     std::memory_order_relaxed)) {
    }
    return place->delivered > 1 || place->stream_sequence <= highest;
  }

  void Deliver(Topic& t, natsMsg* msg) {
    const char* reply = natsMsg_GetReply(msg);
    const std::span payload(reinterpret_cast<const std::byte*>(natsMsg_GetData(msg)),
                            static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
    if (header_in_message_) {
      // The header's base64 in the message header "brokerload" (cnats parses the headers then).
      std::array<std::byte, message::kHeaderSize> header{};
      const char* text = nullptr;
      const bool found = natsMsgHeader_Get(msg, message::kHeaderName.data(), &text) == NATS_OK &&
                         text != nullptr && message::HeaderFromText(text, header);
      // Without it (a producer in payload mode, as during a change of mode), the payload's start.
      listener_->OnMessage(t.index, 0, kUnknownBroker,
                           found ? std::span<const std::byte>(header) : payload,
                           payload.size() + (found ? message::kHeaderSize : 0), Replayed(t, reply));
    } else {
      listener_->OnMessage(t.index, 0, kUnknownBroker, payload, payload.size(), Replayed(t, reply));
    }
    if (ack_policy_ != config::AckPolicy::kNone && reply != nullptr) {
      natsConnection_Publish(connection_.connection(), reply, "+ACK", 4);  // as cnats' natsMsg_Ack
    }
  }

  // The topics' messages, on the connection's reader thread; the rest (JetStream API replies)
  // goes on. JetStream delivers a message under the subject it was published to, not the
  // subscription's: the topic is found by that (a hash of a short string, where cnats' hand-off
  // to a delivery thread costs a thread wake).
  bool TakeOnReader(natsMsg* msg) override {
    const auto topic = topic_by_subject_.find(natsMsg_GetSubject(msg));
    if (topic == topic_by_subject_.end() || !topics_state_[topic->second]->live.load()) {
      return false;
    }
    thread_local const bool named = (log::NameThread("nats-consume"), true);
    (void)named;
    Deliver(*topics_state_[topic->second], msg);
    return true;
  }

  // A subscription's own callback, on its cnats delivery thread: every message when the listener
  // may wait (no reader handler), otherwise only what the handler left (none of the topics').
  static void OnMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    auto* t = static_cast<Topic*>(closure);
    thread_local const bool named = (log::NameThread("nats-consume"), true);
    (void)named;
    if (t->live.load()) t->self->Deliver(*t, msg);  // (not after Stop: see there)
    natsMsg_Destroy(msg);
  }

  const bool header_in_message_;  // workload.brokerload_header: message_header
  config::AckPolicy ack_policy_;
  int max_ack_pending_;
  std::vector<std::string> topics_;
  // Teardown order: subscriptions (in topics_state_), then the connection (closed in the
  // destructor) with its JetStream context.
  JetStreamConnection connection_;
  ConnectionWatch& watch_;  // connection_'s
  MessageListener* listener_ = nullptr;
  std::string deliver_prefix_;          // "<inbox>.": topic i's messages come to "<inbox>.<i>"
  std::size_t next_backlog_topic_ = 0;  // Backlog's first topic (housekeeping thread)
  std::vector<std::unique_ptr<Topic>> topics_state_;
  std::unordered_map<std::string_view, std::size_t> topic_by_subject_;  // views of topics_
};

}  // namespace

std::unique_ptr<Consumer> CreateConsumer(const config::NatsTarget& target,
                                         const std::vector<std::string>& topics, Health& health,
                                         std::string& error, const config::Workload& workload) {
  auto consumer = std::make_unique<NatsConsumer>(
      target, topics, health, workload.brokerload_header == config::HeaderPlace::kMessageHeader);
  if (!consumer->Init(target, error)) return nullptr;
  return consumer;
}

}  // namespace brokerload::driver::nats
