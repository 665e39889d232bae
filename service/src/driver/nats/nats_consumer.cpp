#include "driver/nats/nats_consumer.hpp"

#include "driver/nats/nats_client.hpp"
#include "log/log.hpp"

namespace brokerload::driver::nats {
namespace {

class NatsConsumer final : public Consumer {
 public:
  NatsConsumer(const config::NatsTarget& target, std::vector<std::string> topics, Health& health)
      : ack_policy_(target.ack_policy),
        max_ack_pending_(target.max_ack_pending),
        topics_(std::move(topics)),
        health_(health),
        watch_(health) {}

  ~NatsConsumer() override {
    Stop();
    watch_.link.Close();        // closing is not an outage: no disconnect to report
    CloseAndWait(nc_, watch_);  // no callback of ours runs after this
  }

  bool Init(const config::NatsTarget& target, std::string& error) {
    // Acks, if any, may wait for the flusher: they are off the measured path.
    nc_ = Connect(target, "brokerload-consumer", false, watch_, error);
    if (!nc_) return false;
    jsCtx* js = nullptr;
    const natsStatus s = natsConnection_JetStream(&js, nc_.get(), nullptr);
    if (s != NATS_OK) {
      error = "JetStream context: " + LastError(s);
      return false;
    }
    js_.reset(js);
    return true;
  }

  bool Start(MessageListener& listener, std::chrono::milliseconds, const std::atomic<bool>&,
             std::string& error) override {
    listener_ = &listener;
    closures_.resize(topics_.size());
    subscriptions_.resize(topics_.size());
    for (std::size_t i = 0; i < topics_.size(); ++i) {
      closures_[i] = std::make_unique<Closure>();
      closures_[i]->self = this;
      closures_[i]->topic = i;
      if (!Subscribe(i, 0, error)) return false;
    }
    LOG_INFO("nats: subscribed to %zu streams", topics_.size());
    return true;
  }

  // After a reconnect, a restarted server has lost its ephemeral consumers: subscribe again,
  // from the moment the connection was lost, wherever the consumer is gone. The old
  // subscription is drained, not dropped: the messages the server had already delivered into
  // brokerload's client buffer still reach the workers (unsubscribing would discard them, and
  // the gap would count as the broker's loss).
  void Maintain() override {
    ReportClientDrops();
    std::erase_if(draining_, [](const SubscriptionPtr& sub) {
      return !natsSubscription_IsValid(sub.get());  // drained (or closed): it may go
    });
    if (!watch_.reconnected.load()) return;
    bool all_restored = true;
    for (std::size_t i = 0; i < subscriptions_.size(); ++i) {
      jsConsumerInfo* info = nullptr;
      jsErrCode code{};
      if (subscriptions_[i] && natsSubscription_GetConsumerInfo(&info, subscriptions_[i].get(),
                                                                nullptr, &code) == NATS_OK) {
        jsConsumerInfo_Destroy(info);
        continue;
      }
      std::string error;
      if (subscriptions_[i]) {
        natsSubscription_DrainTimeout(subscriptions_[i].get(), kDrainTimeoutMs);
        draining_.push_back(std::move(subscriptions_[i]));
      }
      subscriptions_[i].reset();
      if (i < dropped_.size()) dropped_[i] = 0;  // a new subscription counts from 0
      if (Subscribe(i, watch_.disconnected_at_ns.load(), error)) {
        LOG_INFO("nats: resubscribed to stream %s after reconnect", topics_[i].c_str());
      } else {
        all_restored = false;
        LOG_WARN("nats: after reconnect: %s; retrying", error.c_str());
      }
    }
    if (all_restored) watch_.reconnected.store(false);
  }

  void Stop() override {
    ReportClientDrops();
    for (SubscriptionPtr& sub : subscriptions_) {
      if (sub) natsSubscription_Unsubscribe(sub.get());
    }
    subscriptions_.clear();
    for (SubscriptionPtr& sub : draining_) {
      natsSubscription_WaitForDrainCompletion(sub.get(), 5'000);  // bounded
    }
    draining_.clear();
  }

 private:
  // Messages cnats discarded over a subscription's pending limits (slow consumer) were delivered
  // to brokerload: its loss, not the broker's.
  void ReportClientDrops() {
    dropped_.resize(subscriptions_.size(), 0);
    for (std::size_t i = 0; i < subscriptions_.size(); ++i) {
      int64_t dropped = 0;
      if (!subscriptions_[i] ||
          natsSubscription_GetDropped(subscriptions_[i].get(), &dropped) != NATS_OK ||
          dropped <= dropped_[i]) {
        continue;
      }
      LOG_WARN("nats: client dropped %lld messages of %s over its pending limits",
               static_cast<long long>(dropped - dropped_[i]), topics_[i].c_str());
      listener_->OnClientDropped(i, static_cast<std::uint64_t>(dropped - dropped_[i]));
      dropped_[i] = dropped;
    }
  }

  // How long a replaced subscription may take to hand its buffered messages to the workers.
  static constexpr int64_t kDrainTimeoutMs = 120'000;

  // Subscribes topic i: to new messages, or to those since `start_ns` (Unix ns) when not 0.
  bool Subscribe(std::size_t i, std::int64_t start_ns, std::string& error) {
    jsSubOptions options;
    jsSubOptions_Init(&options);
    options.Stream = topics_[i].c_str();
    options.Config.DeliverPolicy = start_ns == 0 ? js_DeliverNew : js_DeliverByStartTime;
    options.Config.OptStartTime = start_ns;
    options.Config.AckPolicy = ack_policy_ == config::AckPolicy::kNone  ? js_AckNone
                               : ack_policy_ == config::AckPolicy::kAll ? js_AckAll
                                                                        : js_AckExplicit;
    if (ack_policy_ != config::AckPolicy::kNone) options.Config.MaxAckPending = max_ack_pending_;
    natsSubscription* sub = nullptr;
    jsErrCode code{};
    const natsStatus s = js_Subscribe(&sub, js_.get(), topics_[i].c_str(), OnMessage,
                                      closures_[i].get(), nullptr, &options, &code);
    if (s != NATS_OK) {
      error = "subscribe to stream " + topics_[i] + ": " + LastError(s) + " (JetStream error " +
              std::to_string(static_cast<int>(code)) + ")";
      return false;
    }
    natsSubscription_SetPendingLimits(sub, 1'000'000, 1 << 30);
    subscriptions_[i].reset(sub);
    return true;
  }

  struct Closure {
    NatsConsumer* self = nullptr;
    std::size_t topic = 0;
    // The highest stream sequence delivered on this topic; atomic because a replaced subscription
    // may still be draining on its own thread while the new one delivers.
    std::atomic<std::uint64_t> highest_sequence{0};
  };

  // See MessageListener::OnMessage. A message without JetStream metadata counts as new.
  static bool Replayed(Closure& c, natsMsg* msg) {
    const char* reply = natsMsg_GetReply(msg);
    const std::optional<AckPlace> place = reply ? ParseAckReply(reply) : std::nullopt;
    if (!place) return false;
    std::uint64_t highest = c.highest_sequence.load(std::memory_order_relaxed);
    while (place->stream_sequence > highest &&
           !c.highest_sequence.compare_exchange_weak(highest, place->stream_sequence,
                                                     std::memory_order_relaxed)) {
    }
    return place->delivered > 1 || place->stream_sequence <= highest;
  }

  // Runs on the subscription's own cnats thread.
  static void OnMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    auto* c = static_cast<Closure*>(closure);
    thread_local const bool named = (log::NameThread("nats-consume"), true);
    (void)named;
    c->self->listener_->OnMessage(
        c->topic,
        std::span(reinterpret_cast<const std::byte*>(natsMsg_GetData(msg)),
                  static_cast<std::size_t>(natsMsg_GetDataLength(msg))),
        Replayed(*c, msg));
    natsMsg_Destroy(msg);
  }

  config::AckPolicy ack_policy_;
  int max_ack_pending_;
  std::vector<std::string> topics_;
  Health& health_;
  ConnectionWatch watch_;
  MessageListener* listener_ = nullptr;
  std::vector<std::unique_ptr<Closure>> closures_;
  std::vector<int64_t> dropped_;  // per subscription, already reported
  // Teardown order: subscriptions, then the JetStream context, then the connection.
  ConnectionPtr nc_;
  JsPtr js_;
  std::vector<SubscriptionPtr> subscriptions_;
  std::vector<SubscriptionPtr> draining_;  // replaced after a reconnect, handing over their rest
};

}  // namespace

std::unique_ptr<Consumer> CreateConsumer(const config::NatsTarget& target,
                                         const std::vector<std::string>& topics, Health& health,
                                         std::string& error) {
  auto consumer = std::make_unique<NatsConsumer>(target, topics, health);
  if (!consumer->Init(target, error)) return nullptr;
  return consumer;
}

}  // namespace brokerload::driver::nats
