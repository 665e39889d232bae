#pragma once

// A fake broker with a fake producer and consumer, and the client factory that hands them to an
// Engine: for the engine's, the run loop's and compare's unit tests.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "app/target_runtime.hpp"
#include "driver/driver.hpp"

namespace brokerload::app::fakes {

using Clock = std::chrono::steady_clock;

// Acknowledges every message, then hands it to the consumer when one listens and it is not
// stuck. Every callback comes from its own thread, none after Detach returned.
class FakeBroker {
 public:
  FakeBroker() : thread_([this] { Serve(); }) {}
  ~FakeBroker() {
    {
      const std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

  void Push(driver::AckListener& acks, std::size_t topic, std::span<const std::byte> payload) {
    {
      const std::lock_guard lock(mutex_);
      queue_.push_back({&acks, topic, {payload.begin(), payload.end()}});
    }
    wake_.notify_all();
  }
  void Attach(driver::MessageListener& listener) {
    const std::lock_guard lock(mutex_);
    listener_ = &listener;
  }
  void Detach() {
    const std::lock_guard lock(mutex_);
    listener_ = nullptr;
  }
  void SetStuck(bool stuck) {
    const std::lock_guard lock(mutex_);
    stuck_ = stuck;
  }
  // True once every message pushed was acknowledged, by `deadline`.
  bool WaitAcked(Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    return wake_.wait_until(lock, deadline, [&] { return queue_.empty() && !busy_; });
  }

  // The next Send holds its caller this long, once (a client that stalls the publisher).
  std::atomic<int> stall_next_send_ms{0};

 private:
  struct Message {
    driver::AckListener* acks;
    std::size_t topic;
    std::vector<std::byte> payload;
  };

  void Serve() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      Message m = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
      // Callbacks under the lock: Detach waits for one under way, as a client's Stop does.
      m.acks->OnAck(m.payload, driver::kUnknownBroker);
      if (listener_ != nullptr && !stuck_)
        listener_->OnMessage(m.topic, 0, driver::kUnknownBroker, m.payload, m.payload.size(),
                             false);
      busy_ = false;
      wake_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<Message> queue_;
  driver::MessageListener* listener_ = nullptr;
  bool stuck_ = false;
  bool busy_ = false;
  bool stop_ = false;
  std::thread thread_;  // last
};

class FakeProducer final : public driver::Producer {
 public:
  FakeProducer(FakeBroker& broker, driver::AckListener& acks) : broker_(broker), acks_(acks) {}
  ~FakeProducer() override { Flush(std::chrono::seconds(5)); }
  driver::Description Describe() const override { return {"fake 1.0", "fake client", {}, ""}; }
  driver::Status Send(std::size_t topic, std::span<const std::byte>,
                      std::span<const std::byte> payload) override {
    if (const int ms = broker_.stall_next_send_ms.exchange(0); ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    }
    broker_.Push(acks_, topic, payload);
    return driver::Status::kOk;
  }
  bool Flush(std::chrono::milliseconds timeout) override {
    return broker_.WaitAcked(Clock::now() + timeout);
  }

 private:
  FakeBroker& broker_;
  driver::AckListener& acks_;
};

class FakeConsumer final : public driver::Consumer {
 public:
  explicit FakeConsumer(FakeBroker& broker) : broker_(broker) {}
  ~FakeConsumer() override { Stop(); }
  bool Start(driver::MessageListener& listener, std::chrono::milliseconds, const std::atomic<bool>&,
             std::string&) override {
    broker_.Attach(listener);
    return true;
  }
  void Stop() override { broker_.Detach(); }

 private:
  FakeBroker& broker_;
};

// The factory the engine calls: fails its first `failures` calls (all of them with -1).
struct FakeFactory {
  FakeBroker broker;
  std::atomic<int> failures{0};
  std::atomic<int> calls{0};

  ClientFactory Get() {
    return [this](driver::Backend, const config::Config&, const std::vector<std::string>&,
                  driver::AckListener& acks, driver::Health&, Clock::time_point,
                  const std::atomic<bool>&, driver::Clients& clients, std::string& error,
                  const std::vector<std::string>*, bool with_producer) {
      const int call = ++calls;
      if (failures.load() < 0 || call <= failures.load()) {
        error = "fake: broker refused attempt " + std::to_string(call);
        return false;
      }
      if (with_producer) clients.producer = std::make_unique<FakeProducer>(broker, acks);
      clients.consumer = std::make_unique<FakeConsumer>(broker);
      return true;
    };
  }
};

}  // namespace brokerload::app::fakes
