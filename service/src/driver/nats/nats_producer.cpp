#include "driver/nats/nats_producer.hpp"

#include <atomic>
#include <thread>

#include "driver/nats/nats_client.hpp"
#include "log/log.hpp"

namespace brokerload::driver::nats {
namespace {

class NatsProducer final : public Producer {
 public:
  NatsProducer(AckListener& acks, Health& health, std::int64_t max_pending)
      : acks_(acks), health_(health), watch_(health), max_pending_(max_pending) {}

  ~NatsProducer() override {
    health_.connected.store(false);  // closing is not an outage: no disconnect to report
    CloseAndWait(nc_, watch_);       // no callback of ours runs after this
    js_.reset();
    nc_.reset();
  }

  bool Init(const config::NatsTarget& target, const config::Run& run,
            const std::vector<std::string>& topics, std::string& error) {
    nc_ = Connect(target, "brokerload-producer", target.send_asap, watch_, error);
    if (!nc_) return false;
    jsOptions options;
    jsOptions_Init(&options);
    // cnats' own bound only backs up ours (Send checks in_flight_ first); its default of 0 is
    // unbounded and its stall would block the publisher for 200 ms.
    options.PublishAsync.MaxPending = max_pending_ + 1024;
    options.PublishAsync.StallWait = 1;
    options.PublishAsync.AckHandler = OnAck;
    options.PublishAsync.AckHandlerClosure = this;
    jsCtx* js = nullptr;
    const natsStatus s = natsConnection_JetStream(&js, nc_.get(), &options);
    if (s != NATS_OK) {
      error = "JetStream context: " + LastError(s);
      return false;
    }
    js_.reset(js);
    if (target.stream.create && !EnsureStreams(js, target.stream, topics, error)) return false;
    subjects_ = topics;
    create_streams_ = target.stream.create;
    stream_settings_ = target.stream;
    target_ = target;
    jsPubOptions_Init(&publish_options_);
    publish_options_.MaxWait =
        std::chrono::duration_cast<std::chrono::milliseconds>(run.publish_timeout).count();
    return true;
  }

  Status Send(std::size_t topic, std::span<const std::byte>,
              std::span<const std::byte> payload) override {
    if (in_flight_.load(std::memory_order_relaxed) >= max_pending_) return Status::kQueueFull;
    in_flight_.fetch_add(1, std::memory_order_relaxed);
    const natsStatus s = js_PublishAsync(js_.get(), subjects_[topic].c_str(), payload.data(),
                                         static_cast<int>(payload.size()), &publish_options_);
    if (s == NATS_OK) return Status::kOk;
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    return MapError(s, jsErrCode{});
  }

  // A restarted server has lost its memory streams: re-create them. Housekeeping thread: the
  // JetStream API requests wait for the server, which the publisher must never do.
  void Maintain() override {
    if (!create_streams_ || !watch_.reconnected.load(std::memory_order_relaxed)) return;
    std::string error;
    if (EnsureStreams(js_.get(), stream_settings_, subjects_, error)) {
      watch_.reconnected.store(false);
      LOG_INFO("nats: streams checked after reconnect");
    } else {
      LOG_WARN("nats: after reconnect: %s; retrying", error.c_str());
    }
  }

  Description Describe() const override { return DescribeTarget(nc_.get(), target_); }

  bool Flush(std::chrono::milliseconds timeout) override {
    jsPubOptions options;
    jsPubOptions_Init(&options);
    options.MaxWait = timeout.count();
    return js_PublishAsyncComplete(js_.get(), &options) == NATS_OK;
  }

 private:
  // Runs on cnats' thread for the reply subscription.
  static void OnAck(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* failure, void* closure) {
    auto* self = static_cast<NatsProducer*>(closure);
    thread_local const bool named = (log::NameThread("nats-acks"), true);
    (void)named;
    const std::span payload(reinterpret_cast<const std::byte*>(natsMsg_GetData(msg)),
                            static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
    if (ack != nullptr) {
      self->acks_.OnAck(payload);
    } else {
      self->acks_.OnAckFailed(payload,
                              failure ? MapError(failure->Err, failure->ErrCode) : Status::kOther);
    }
    self->in_flight_.fetch_sub(1, std::memory_order_relaxed);
    natsMsg_Destroy(msg);
  }

  AckListener& acks_;
  Health& health_;
  ConnectionWatch watch_;
  const std::int64_t max_pending_;
  bool create_streams_ = false;
  config::NatsStreamSettings stream_settings_;
  config::NatsTarget target_;
  std::atomic<std::int64_t> in_flight_{0};
  std::vector<std::string> subjects_;
  jsPubOptions publish_options_{};
  ConnectionPtr nc_;
  JsPtr js_;
};

}  // namespace

std::unique_ptr<Producer> CreateProducer(const config::NatsTarget& target, const config::Run& run,
                                         const std::vector<std::string>& topics, AckListener& acks,
                                         Health& health, std::string& error) {
  auto producer = std::make_unique<NatsProducer>(acks, health, target.max_pending);
  if (!producer->Init(target, run, topics, error)) return nullptr;
  return producer;
}

}  // namespace brokerload::driver::nats
