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
#include "fake_clients.hpp"

namespace brokerload::app {
namespace {

using fakes::Clock;
using fakes::FakeFactory;
using ::testing::HasSubstr;

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
  // Once interrupted, a later Run (compare's next target) returns at once, trying nothing.
  Engine next(config, Options(config, factory));
  const int calls = factory.calls.load();
  EXPECT_EQ(loop.Run(next, {}).outcome, RunLoop::Outcome::kSetupInterrupted);
  EXPECT_EQ(factory.calls.load(), calls);
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
