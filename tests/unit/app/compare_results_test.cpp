// compare's report assembly on an engine of fakes: a stage is behind schedule by the log's one
// definition, and end-to-end from the actual send leaves out brokerload's own lateness.
#include "app/compare_results.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config/loader.hpp"
#include "fake_clients.hpp"

namespace brokerload::app {
namespace {

using fakes::Clock;
using fakes::FakeFactory;
using ::testing::HasSubstr;

// Two stages of `messages` at 2,000 msg/s each, one accounting phase per stage.
// `stop_after_s`: when sending stopped, seconds after the schedule's start (at its end: 0).
report::Comparison RunTwoStages(FakeFactory& factory, int stall_in_second_stage_ms,
                                double stop_after_s = 0, int messages = 1000) {
  const std::string stage_messages = std::to_string(messages);
  const config::LoadResult loaded = config::Parse(
      "targets:\n  nats: {servers: [nats://fake:4222]}\n"
      "workload: {topics: 2, message_size: 64}\n"
      "profile: {stages: [{name: one, rate: 2000, messages: " +
          stage_messages + "}, {name: two, rate: 2000, messages: " + stage_messages +
          "}]}\n"
          "run: {warmup: 0s, startup_timeout: 5s}\n",
      "compare_results_test.yaml");
  EXPECT_TRUE(loaded.errors.empty());
  const config::Config& config = *loaded.config;
  EngineOptions options;
  options.backends = {driver::Backend::kNats};
  options.profile = config.profile;
  options.phase_per_stage = true;
  options.create_clients = factory.Get();
  Engine engine(config, options);
  ResourceSampler sampler(engine.Clock());
  std::atomic<bool> cancel{false};
  std::string error;
  EXPECT_TRUE(engine.Prepare(cancel, error)) << error;
  engine.Start();
  const pacing::Publisher& publisher = *engine.Targets()[0]->Publisher();
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (publisher.CurrentStagePlan().name != "two" && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  factory.broker.stall_next_send_ms = stall_in_second_stage_ms;
  while (!engine.Finished() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(engine.Finish(Clock::now() + std::chrono::seconds(5)));
  sampler.Stop();
  report::Comparison comparison;
  const std::int64_t stop_ns =
      stop_after_s > 0 ? engine.StartNs() + static_cast<std::int64_t>(stop_after_s * 1e9)
                       : engine.Clock().NowNs();
  AddResults(engine, sampler, stop_ns, comparison);
  return comparison;
}

TEST(CompareResults, AStallOfThePublisherIsBehindScheduleAndOutOfTheFromSendLatency) {
  FakeFactory factory;
  // 30 ms at 2,000 msg/s: about 60 sends over two ticks (2 ms) late, 6 % of the stage's 1,000.
  const report::Comparison c = RunTwoStages(factory, 30);
  ASSERT_EQ(c.results.size(), 2u);
  const report::StageResult& one = c.results[0];
  const report::StageResult& two = c.results[1];
  EXPECT_EQ(two.stage, "two");
  EXPECT_EQ(two.published, 1000u);
  EXPECT_GE(two.late_sends, 40u);
  EXPECT_TRUE(two.behind_schedule);
  EXPECT_THAT(two.behind_reason, HasSubstr(" of 1000 sends late, send lag p99 "));
  // The stall is in the latency from the scheduled send of every message it held back, and in
  // the one from the actual send of the one message the client held (stamped, then stalled).
  EXPECT_GE(two.end_to_end_ms.p99, 15.0);
  EXPECT_LT(two.end_to_end_from_send_ms.p99, two.end_to_end_ms.p99 - 10.0);
  EXPECT_GE(two.end_to_end_from_send_ms.max, 25.0);
  EXPECT_EQ(two.end_to_end_from_send_ms.count, 1000u);
  // The stage before it kept its schedule (a shared machine may make the odd send late, not 1 %).
  EXPECT_FALSE(one.behind_schedule) << one.behind_reason;
}

TEST(CompareResults, AStopEndsTheStageUnderWayAndLeavesOutTheOnesNotBegun) {
  FakeFactory factory;
  const report::Comparison whole = RunTwoStages(factory, 0);
  ASSERT_EQ(whole.results.size(), 2u);
  EXPECT_NEAR(whole.results[0].window_seconds, 0.5, 0.001);  // 1,000 at 2,000 msg/s
  EXPECT_NEAR(whole.results[1].window_seconds, 0.5, 0.001);
  ASSERT_EQ(whole.overall.size(), 1u);
  EXPECT_TRUE(whole.overall[0].rate_estimable);  // 1 s of windows in all
  // Stopped 0.75 s in: stage two measured over its first 0.25 s.
  FakeFactory again;
  const report::Comparison stopped = RunTwoStages(again, 0, 0.75);
  ASSERT_EQ(stopped.results.size(), 2u);
  EXPECT_NEAR(stopped.results[1].window_seconds, 0.25, 0.001);
  // Neither the cut stage nor the pooled figures have a rate, long as their windows are (1.5 s
  // and 0.5 s of a 1.5 s one): arrivals during the drain would pass for a rate kept up.
  FakeFactory longer;
  const report::Comparison cut = RunTwoStages(longer, 0, 2.0, 3000);
  ASSERT_EQ(cut.results.size(), 2u);
  EXPECT_TRUE(cut.results[0].rate_estimable);
  EXPECT_FALSE(cut.results[1].rate_estimable);
  ASSERT_EQ(cut.overall.size(), 1u);
  EXPECT_FALSE(cut.overall[0].rate_estimable);
  // Stopped 0.25 s in: stage one alone, over half its window.
  FakeFactory early;
  const report::Comparison first = RunTwoStages(early, 0, 0.25);
  ASSERT_EQ(first.results.size(), 1u);
  EXPECT_EQ(first.results[0].stage, "one");
  EXPECT_NEAR(first.results[0].window_seconds, 0.25, 0.001);
}

// The report's words for a workload, as a baseline of another one is named by them.
TEST(CompareResults, AWorkloadIsNamedByItsSizesThenItsPayloadsAndHeaders) {
  const auto text = [](const std::string& workload) {
    const config::LoadResult loaded = config::Parse(
        "targets:\n  nats: {servers: [nats://fake:4222]}\nworkload: " + workload + "\n",
        "workload_text_test.yaml");
    EXPECT_TRUE(loaded.errors.empty()) << workload << ": " << loaded.errors.front().message;
    return loaded.config ? WorkloadText(loaded.config->workload) : std::string();
  };
  EXPECT_EQ(text("{message_size: 256}"), "256-byte messages");
  EXPECT_EQ(text("{message_size: {min: 100, max: 2000}}"),
            "messages of 100 to 2000 bytes (uniform)");
  EXPECT_EQ(text("{message_size: {distribution: lognormal, p50: 1024, p99: 16384}}"),
            "messages of log-normal size (p50 1024 B, p99 16384 B, cut to 56-1048576 B)");
  EXPECT_EQ(text("{message_size: {distribution: table, sizes: {4096: 9, 256: 90, 65536: 0.5}}}"),
            "messages of 256 B (90), 4096 B (9) or 65536 B (0.5) by weight");
  EXPECT_EQ(text("{message_size: {distribution: table, sizes: {100: 1, 200: 1, 300: 1, 400: 1, "
                 "500: 1, 600: 1, 700: 1, 800: 1, 900: 2, 1000: 3}}}"),
            "messages of 100 B (1), 200 B (1), 300 B (1), 400 B (1), 500 B (1), 600 B (1), "
            "700 B (1), 800 B (1) and 2 more sizes by weight");
  // Random payloads go unsaid; compressible ones and where the headers go are named.
  EXPECT_EQ(text("{message_size: 256, payload: compressible, brokerload_header: message_header, "
                 "headers: {count: 3, size: 100}}"),
            "256-byte messages; compressible payloads; brokerload's header in the message header "
            "\"brokerload\"; 3 extra headers of 100 characters");
  EXPECT_EQ(text("{message_size: 256, headers: {count: 1}}"),
            "256-byte messages; 1 extra header of 32 characters");
  const std::string samples = ::testing::TempDir() + "workload_text_samples.txt";
  std::ofstream(samples) << "a\nbb\ncccccc\n";
  EXPECT_EQ(text("{payload: {samples: \"" + samples + "\"}}"),
            "sample payloads from " + samples +
                " (3 samples, in turn, mean 3 B after brokerload's 56-byte header)");
  EXPECT_EQ(text("{payload: {samples: \"" + samples +
                 "\", order: random}, brokerload_header: message_header}"),
            "sample payloads from " + samples +
                " (3 samples, drawn at random, mean 3 B, as they are); brokerload's header in the "
                "message header \"brokerload\"");
  std::filesystem::remove(samples);
}

}  // namespace
}  // namespace brokerload::app
