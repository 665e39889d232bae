// The publisher's timekeeping settings against the kernel's own view: run.cpu_dma_latency holds a
// PM QoS request that the kernel reports through /dev/cpu_dma_latency (reading it gives the
// request in effect for the machine, in microseconds) while brokerload publishes, and gives it
// back when brokerload stops; profile.burst_interval's bursts against the times nats-server
// stored the messages at.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include "broker_env.hpp"
#include "brokerload_process.hpp"

namespace brokerload::testing {
namespace {

constexpr const char* kDevice = "/dev/cpu_dma_latency";

std::optional<std::int32_t> LatencyInEffect() {
  std::ifstream device(kDevice, std::ios::binary);
  std::int32_t us = 0;
  if (!device.read(reinterpret_cast<char*>(&us), sizeof us)) return std::nullopt;
  return us;
}

TEST(Timekeeping, TheCpuLatencyRequestIsHeldWhilePublishingAndGivenBackAtStop) {
  const std::optional<std::int32_t> before = LatencyInEffect();
  ASSERT_TRUE(before.has_value()) << kDevice << " cannot be read (the tests run as root)";
  ASSERT_GT(*before, 0) << "another process holds a zero request: nothing to observe";
  std::string targets;
  ASSERT_TRUE(BothTargetsYaml(targets));
  BrokerloadProcess process(targets + "workload: {topic_prefix: " + UniqueName("qos") +
                            "}\n"
                            "profile:\n  stages: [{name: s, rate: 100, duration: 60s}]\n"
                            "metrics: {listen: \"127.0.0.1:0\"}\n"
                            "run: {warmup: 0s, cpu_dma_latency: 0us}\n");
  const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(10));
  ASSERT_NE(port, 0) << process.Log();
  std::string metrics;
  for (const char* t : {"kafka", "nats"}) {
    ASSERT_TRUE(WaitForAbove(port, metrics, "brokerload_messages_processed_total", t, 20,
                             std::chrono::seconds(60)))
        << t << "\n"
        << process.Log();
  }
  EXPECT_EQ(LatencyInEffect(), std::optional<std::int32_t>(0));
  EXPECT_NE(process.Log().find("holding a CPU latency request of 0 us"), std::string::npos)
      << process.Log();
  EXPECT_EQ(process.Terminate(std::chrono::seconds(30)), 0) << process.Log();
  EXPECT_EQ(LatencyInEffect(), before);
}

// The times nats-server stored a run's messages at (deploy/local/probe.py nats-times), the
// readiness probe's message first: 500 msg/s for 2 s on one stream, with `burst` in the profile.
std::vector<std::int64_t> StoredTimes(const std::string& burst) {
  std::string nats, address;
  if (!SingleTargetYaml("nats", nats, address)) return {};
  const std::string prefix = UniqueName("burst");
  BrokerloadProcess process(nats + "workload: {topics: 1, topic_prefix: " + prefix +
                            "}\n"
                            "profile: {stages: [{name: s, rate: 500, duration: 2s}]" +
                            burst +
                            "}\n"
                            "metrics: {listen: \"127.0.0.1:0\"}\n"
                            "run: {warmup: 0s}\n");
  const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(10));
  std::string metrics;
  const bool consumed =
      port != 0 && WaitForAbove(port, metrics, "brokerload_messages_consumed_total", "nats", 999,
                                std::chrono::seconds(60));
  EXPECT_TRUE(consumed) << process.Log();
  EXPECT_EQ(process.Terminate(std::chrono::seconds(30)), 0) << process.Log();
  const CommandOutput times =
      Command("python3 " BROKERLOAD_SOURCE_DIR "/deploy/local/probe.py nats-times " +
              address.substr(address.find("//") + 2) + " " + prefix + "-0");
  EXPECT_EQ(times.exit_code, 0) << times.text;
  std::vector<std::int64_t> stored;
  std::istringstream lines(times.text);
  for (std::int64_t ns = 0; lines >> ns;) stored.push_back(ns);
  EXPECT_EQ(Cleanup(process.ConfigPath()).exit_code, 0);
  return stored;
}

// Runs of messages stored less than 20 ms apart.
std::vector<std::vector<std::int64_t>> Clusters(const std::vector<std::int64_t>& times) {
  std::vector<std::vector<std::int64_t>> clusters;
  for (std::size_t i = 0; i < times.size(); ++i) {
    if (i == 0 || times[i] - times[i - 1] > 20'000'000) clusters.emplace_back();
    clusters.back().push_back(times[i]);
  }
  return clusters;
}

TEST(Timekeeping, BurstsReachTheBrokerAsBurstsOfRateTimesInterval) {
  // 100 ms bursts at 500 msg/s: 20 of 50 messages, 100 ms apart, each stored within a few ms.
  const std::vector<std::int64_t> bursts = StoredTimes(", burst_interval: 100ms");
  ASSERT_EQ(bursts.size(), 1'001u);  // the probe's message and 1,000
  const auto clusters = Clusters({bursts.begin() + 1, bursts.end()});
  int whole = 0;
  std::vector<std::int64_t> starts;
  for (const auto& c : clusters) {
    if (c.size() != 50) continue;
    ++whole;
    EXPECT_LT(c.back() - c.front(), 20'000'000);
    starts.push_back(c.front());
  }
  EXPECT_GE(whole, 18) << clusters.size() << " runs of messages stored less than 20 ms apart";
  std::vector<std::int64_t> spacing;
  for (std::size_t i = 1; i < starts.size(); ++i) spacing.push_back(starts[i] - starts[i - 1]);
  ASSERT_FALSE(spacing.empty());
  std::sort(spacing.begin(), spacing.end());
  const std::int64_t median = spacing[spacing.size() / 2];
  EXPECT_GT(median, 90'000'000);
  EXPECT_LT(median, 110'000'000);

  // Without bursts the same run arrives as one stream: a message every 2 ms.
  const std::vector<std::int64_t> steady = StoredTimes("");
  ASSERT_EQ(steady.size(), 1'001u);
  EXPECT_LE(Clusters({steady.begin() + 1, steady.end()}).size(), 4u);
}

}  // namespace
}  // namespace brokerload::testing
