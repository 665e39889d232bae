// The publisher's timekeeping settings against the kernel's own view: run.cpu_dma_latency holds a
// PM QoS request that the kernel reports through /dev/cpu_dma_latency (reading it gives the
// request in effect for the machine, in microseconds) while brokerload publishes, and gives it
// back when brokerload stops.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <optional>

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

}  // namespace
}  // namespace brokerload::testing
