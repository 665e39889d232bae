// The engine's lifecycle with one fake producer and one fake consumer per target, joined by a
// fake broker that acknowledges and delivers on a thread of its own, as a client library does:
// prepare failure and retry, cancel during prepare, bounded and unbounded profiles, the drain
// with and without a stuck consumer, and reload.
#include "app/engine.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <csignal>
#include <deque>
#include <mutex>
#include <thread>

#include "app/run_loop.hpp"
#include "config/loader.hpp"

namespace brokerload::app {
namespace {

using ::testing::HasSubstr;
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
      m.acks->OnAck(m.payload);
      if (listener_ != nullptr && !stuck_) listener_->OnMessage(m.topic, 0, m.payload, false);
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

config::Config Config(const std::string& profile, const std::string& startup_timeout = "5s") {
  const config::LoadResult loaded = config::Parse(
      "targets:\n  nats: {servers: [nats://fake:4222]}\n"
      "workload: {topics: 2, message_size: 64}\n"
      "profile: " +
          profile + "\nrun: {warmup: 0s, startup_timeout: " + startup_timeout + "}\n",
      "engine_test.yaml");
  EXPECT_TRUE(loaded.errors.empty()) << loaded.errors.front().ToString();
  return *loaded.config;
}

EngineOptions Options(const config::Config& config, FakeFactory& factory) {
  EngineOptions options;
  options.backends = {driver::Backend::kNats};
  options.profile = config.profile;
  options.create_clients = factory.Get();
  return options;
}

bool WaitUntil(const std::function<bool()>& condition, std::chrono::seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

TEST(Engine, PrepareRetriesAFailedSetupAndThenSucceeds) {
  FakeFactory factory;
  factory.failures = 1;
  const config::Config config = Config("{rate: 100}");
  Engine engine(config, Options(config, factory));
  std::atomic<bool> cancel{false};
  std::string error;
  EXPECT_TRUE(engine.Prepare(cancel, error)) << error;
  EXPECT_EQ(factory.calls.load(), 2);
  ASSERT_EQ(engine.TargetReadiness().size(), 1u);
  EXPECT_GE(engine.TargetReadiness()[0].setup_seconds, 0.9);  // the retry waits a second
}

TEST(Engine, PrepareGivesUpAtTheStartupTimeoutNamingTheCause) {
  FakeFactory factory;
  factory.failures = -1;
  const config::Config config = Config("{rate: 100}", "2s");
  Engine engine(config, Options(config, factory));
  std::atomic<bool> cancel{false};
  std::string error;
  const auto start = Clock::now();
  EXPECT_FALSE(engine.Prepare(cancel, error));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  EXPECT_THAT(error, HasSubstr("fake: broker refused attempt "));
  EXPECT_THAT(error, HasSubstr("attempts; run.startup_timeout)"));
}

TEST(Engine, ACancelDuringPrepareEndsItPromptly) {
  FakeFactory factory;
  factory.failures = -1;
  const config::Config config = Config("{rate: 100}", "60s");
  Engine engine(config, Options(config, factory));
  std::atomic<bool> cancel{false};
  std::string error;
  std::thread canceller([&] {
    WaitUntil([&] { return factory.calls.load() >= 1; }, std::chrono::seconds(10));
    cancel = true;
  });
  const auto start = Clock::now();
  EXPECT_FALSE(engine.Prepare(cancel, error));
  canceller.join();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(error, "setup cancelled");
}

TEST(Engine, ABoundedProfileFinishesWithEveryMessageAccountedOnce) {
  FakeFactory factory;
  const config::Config config = Config("{stages: [{name: one, rate: 2000, messages: 400}]}");
  Engine engine(config, Options(config, factory));
  std::atomic<bool> cancel{false};
  std::string error;
  ASSERT_TRUE(engine.Prepare(cancel, error)) << error;
  engine.Start();
  ASSERT_TRUE(WaitUntil([&] { return engine.Finished(); }, std::chrono::seconds(10)));
  EXPECT_TRUE(engine.Finish(Clock::now() + std::chrono::seconds(5)));
  const accounting::Totals totals = engine.Targets()[0]->Accounting().Sum();
  EXPECT_EQ(totals.published, 400u);
  EXPECT_EQ(totals.acked, 400u);
  EXPECT_EQ(totals.Received(), 400u);
  EXPECT_EQ(totals.lost, 0u);
  EXPECT_EQ(totals.duplicated, 0u);
  EXPECT_EQ(totals.Errors(), 0u);
}

TEST(Engine, AnUnboundedProfileRunsUntilFinish) {
  FakeFactory factory;
  const config::Config config = Config("{rate: 1000}");
  Engine engine(config, Options(config, factory));
  std::atomic<bool> cancel{false};
  std::string error;
  ASSERT_TRUE(engine.Prepare(cancel, error)) << error;
  engine.Start();
  ASSERT_TRUE(WaitUntil([&] { return engine.Targets()[0]->Accounting().Sum().published >= 200; },
                        std::chrono::seconds(10)));
  EXPECT_FALSE(engine.Finished());
  EXPECT_TRUE(engine.Finish(Clock::now() + std::chrono::seconds(5)));
  const accounting::Totals totals = engine.Targets()[0]->Accounting().Sum();
  EXPECT_GE(totals.published, 200u);
  EXPECT_EQ(totals.Received(), totals.published);
  EXPECT_EQ(totals.lost, 0u);
  // Finish is idempotent and sending has stopped.
  EXPECT_TRUE(engine.Finish(Clock::now()));
  EXPECT_EQ(engine.Targets()[0]->Accounting().Sum().published, totals.published);
}

TEST(Engine, TheDrainWaitsForAStuckConsumerOnlyUntilItsDeadline) {
  FakeFactory factory;
  const config::Config config = Config("{stages: [{name: one, rate: 2000, messages: 100}]}");
  Engine engine(config, Options(config, factory));
  std::atomic<bool> cancel{false};
  std::string error;
  ASSERT_TRUE(engine.Prepare(cancel, error)) << error;  // the probe round trip needs delivery
  factory.broker.SetStuck(true);
  engine.Start();
  ASSERT_TRUE(WaitUntil([&] { return engine.Finished(); }, std::chrono::seconds(10)));
  const auto start = Clock::now();
  EXPECT_FALSE(engine.Finish(start + std::chrono::milliseconds(500)));
  const auto took = Clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(450));
  EXPECT_LT(took, std::chrono::seconds(3));
  const accounting::Totals totals = engine.Targets()[0]->Accounting().Sum();
  EXPECT_EQ(totals.acked, 100u);
  EXPECT_EQ(totals.Received(), 0u);
}

TEST(Engine, ReloadPutsTheNewProfileIntoEffectOnEveryPublisher) {
  FakeFactory factory;
  const config::Config config = Config("{rate: 200}");
  Engine engine(config, Options(config, factory));
  std::atomic<bool> cancel{false};
  std::string error;
  ASSERT_TRUE(engine.Prepare(cancel, error)) << error;
  engine.Start();
  const pacing::Publisher& publisher = *engine.Targets()[0]->Publisher();
  ASSERT_TRUE(
      WaitUntil([&] { return publisher.CurrentStagePlan().rate == 200; }, std::chrono::seconds(5)));
  const config::Config next = Config("{rate: 2000}");
  const std::int64_t from_ns = engine.Reload(next);
  EXPECT_GT(from_ns, engine.Clock().NowNs());
  ASSERT_TRUE(WaitUntil([&] { return publisher.CurrentStagePlan().rate == 2000; },
                        std::chrono::seconds(5)));
  // The run's identity and accounting stay: what was sent before counts on.
  const std::uint64_t before = engine.Targets()[0]->Accounting().Sum().published;
  ASSERT_TRUE(
      WaitUntil([&] { return engine.Targets()[0]->Accounting().Sum().published >= before + 500; },
                std::chrono::seconds(5)));
  EXPECT_TRUE(engine.Finish(Clock::now() + std::chrono::seconds(5)));
  const accounting::Totals totals = engine.Targets()[0]->Accounting().Sum();
  EXPECT_EQ(totals.Received(), totals.published);
  EXPECT_EQ(totals.lost, 0u);
}

// The loop that `run` and `compare` share, on the same fakes.

TEST(RunLoop, ASignalDuringPrepareCancelsItAndNothingStarts) {
  FakeFactory factory;
  factory.failures = -1;
  const config::Config config = Config("{rate: 100}", "60s");
  Engine engine(config, Options(config, factory));
  RunLoop loop(std::chrono::milliseconds(50));
  std::thread signaller([&] {
    WaitUntil([&] { return factory.calls.load() >= 1; }, std::chrono::seconds(10));
    std::raise(SIGTERM);  // the loop's handler takes it; the default action is back afterwards
  });
  bool started = false;
  RunLoop::Hooks hooks;
  hooks.on_started = [&] { started = true; };
  const auto start = Clock::now();
  const RunLoop::Result result = loop.Run(engine, hooks);
  signaller.join();
  EXPECT_EQ(result.outcome, RunLoop::Outcome::kSetupInterrupted);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(loop.Signal(), SIGTERM);
  EXPECT_FALSE(started);
  // Once interrupted, a later Run (compare's next target) returns at once.
  Engine next(config, Options(config, factory));
  EXPECT_EQ(loop.Run(next, {}).outcome, RunLoop::Outcome::kSetupInterrupted);
}

TEST(RunLoop, DoneEndsItAndTheEngineDrainsWithEveryHookCalledInOrder) {
  FakeFactory factory;
  const config::Config config = Config("{stages: [{name: one, rate: 2000, messages: 300}]}");
  Engine engine(config, Options(config, factory));
  RunLoop loop(std::chrono::milliseconds(50));
  std::string calls;
  RunLoop::Hooks hooks;
  hooks.on_started = [&] { calls += "started "; };
  hooks.on_tick = [&] {
    if (!calls.ends_with("tick ")) calls += "tick ";
  };
  hooks.done = [&] { return engine.Finished(); };
  hooks.on_stopping = [&] { calls += "stopping"; };
  const RunLoop::Result result = loop.Run(engine, hooks);
  EXPECT_EQ(result.outcome, RunLoop::Outcome::kDone);
  EXPECT_TRUE(result.drained);
  EXPECT_FALSE(loop.Interrupted());
  EXPECT_EQ(calls, "started tick stopping");
  const accounting::Totals totals = engine.Targets()[0]->Accounting().Sum();
  EXPECT_EQ(totals.published, 300u);
  EXPECT_EQ(totals.Received(), 300u);
}

TEST(RunLoop, SighupGoesToItsHookAndStopDrainsTheRun) {
  FakeFactory factory;
  const config::Config config = Config("{rate: 500}");
  Engine engine(config, Options(config, factory));
  RunLoop loop(std::chrono::milliseconds(50));
  std::atomic<int> hangups{0};
  RunLoop::Hooks hooks;
  hooks.on_started = [&] { std::raise(SIGHUP); };
  hooks.on_hangup = [&] {
    if (++hangups == 1) loop.Stop();
  };
  const RunLoop::Result result = loop.Run(engine, hooks);
  EXPECT_EQ(hangups.load(), 1);
  EXPECT_EQ(result.outcome, RunLoop::Outcome::kInterrupted);
  EXPECT_TRUE(result.drained);
  EXPECT_GT(result.stop_ns, 0);
  const accounting::Totals totals = engine.Targets()[0]->Accounting().Sum();
  EXPECT_EQ(totals.Received(), totals.published);
}

}  // namespace
}  // namespace brokerload::app
