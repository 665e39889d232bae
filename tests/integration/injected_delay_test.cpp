// Latency against an outside truth: the same JetStream run, once straight to nats-server and once
// through a proxy that delays each direction by a known 10 ms (delay_proxy.hpp). A publish is a
// round trip (message in, PubAck out) and a message reaches the consumer by two legs (publisher
// to server, server to consumer), so both medians must move by 2 x 10 ms, plus what the proxy
// itself added by writing late (its median lateness per hop, measured by the proxy, two hops):
// the exported window quantiles, not only the internal histogram, to within 25 % of the injected
// 20 ms (they are the internal histogram's, exact to its 0.8 % buckets: 0.17 ms at 21 ms). The
// medians of two separate runs on the shared 2-core CI machine, with every fixture's brokers
// running, moved 21.6-22.3 ms in 2 of 5 runs (20.1-20.3 on a quiet machine, the proxy's own
// lateness 0.06 ms a hop): within 0.7 ms of a 15 % bound, as the two runs' load differs. 25 %,
// 5 ms, still fails a timestamp taken at the wrong place (a hop missed or counted twice moves it
// by 10 ms).
//
// Kafka is not covered: its metadata names the broker's own address, so its clients would leave
// a proxy after the first request; the Kafka figures are checked against the peer tool instead
// (docs/benchmarks.md).
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "broker_env.hpp"
#include "brokerload_process.hpp"
#include "delay_proxy.hpp"

namespace brokerload::testing {
namespace {

struct Medians {
  double publish_ms = 0;
  double end_to_end_ms = 0;
  double send_lag_ms = 0;
};

// Runs brokerload at 200 msg/s against `url` until 1,600 measured messages were acked, and reads
// the 1-minute exact medians from its metrics.
Medians Measure(const std::string& url) {
  BrokerloadProcess process("targets:\n  nats: {servers: [\"" + url +
                            "\"], stream: {max_bytes: 16777216}}\n"
                            "workload: {topics: 1, topic_prefix: " +
                            UniqueName("delay") +
                            "}\n"
                            "profile:\n  stages: [{name: s, rate: 200, duration: 1h}]\n"
                            "metrics: {listen: \"127.0.0.1:0\"}\n"
                            "run: {warmup: 2s, drain_timeout: 10s}\n");
  Medians medians;
  const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(60));
  EXPECT_NE(port, 0) << process.Log();
  if (port == 0) return medians;
  auto median = [](const std::string& m, const std::string& name) {
    return 1e3 * SumMetric(m, name, {{"quantile", "0.5"}, {"window", "1m"}});
  };
  std::string m;
  EXPECT_TRUE(WaitFor(
      [&] {
        m = HttpGet(port, "/metrics").second;
        return SumMetric(m, "brokerload_messages_acked_total", {}) >= 2'000;  // 400 warm-up
      },
      std::chrono::seconds(60)))
      << process.Log();
  medians.publish_ms = median(m, "brokerload_publish_latency_window_seconds");
  medians.end_to_end_ms = median(m, "brokerload_end_to_end_latency_window_seconds");
  medians.send_lag_ms = median(m, "brokerload_send_lag_window_seconds");
  EXPECT_EQ(SumMetric(m, "brokerload_messages_lost_total", {}), 0);
  EXPECT_EQ(process.Terminate(std::chrono::seconds(30)), 0) << process.Log();
  return medians;
}

TEST(InjectedDelayTest, TenMillisecondsEachWayMoveJetStreamPublishAndEndToEndMediansBy20) {
  std::string url;
  ASSERT_TRUE(LoadBrokerAddress("NATS_URL", url));
  const std::string host_port = url.substr(url.find("//") + 2);
  const std::string host = host_port.substr(0, host_port.rfind(':'));
  const auto port = static_cast<unsigned short>(std::stoi(host_port.substr(host.size() + 1)));
  constexpr double kInjectedMs = 2 * 10.0;  // there and back

  const Medians direct = Measure(url);
  DelayProxy proxy(host, port, std::chrono::milliseconds(10));
  const Medians delayed = Measure("nats://127.0.0.1:" + std::to_string(proxy.Port()));
  EXPECT_GE(proxy.Accepted(), 2);  // the producer's and the consumer's connections went through it

  const double publish_moved = delayed.publish_ms - direct.publish_ms;
  const double end_to_end_moved = delayed.end_to_end_ms - direct.end_to_end_ms;
  // What the proxy injected: 10 ms a hop plus its own lateness in writing (its threads' wake-ups
  // on a busy machine), two hops each way.
  const double late_ms = static_cast<double>(proxy.MedianLateness().count()) / 1e3;
  const double injected_ms = kInjectedMs + 2 * late_ms;
  RecordProperty("publish_p50_direct_ms", std::to_string(direct.publish_ms));
  RecordProperty("publish_p50_delayed_ms", std::to_string(delayed.publish_ms));
  RecordProperty("end_to_end_p50_direct_ms", std::to_string(direct.end_to_end_ms));
  RecordProperty("end_to_end_p50_delayed_ms", std::to_string(delayed.end_to_end_ms));
  std::printf(
      "publish p50 %.3f -> %.3f ms (moved %.3f), end-to-end p50 %.3f -> %.3f ms (moved "
      "%.3f), send lag p50 %.3f / %.3f ms; injected %.1f ms + 2 x %.3f ms the proxy's lateness "
      "(p50)\n",
      direct.publish_ms, delayed.publish_ms, publish_moved, direct.end_to_end_ms,
      delayed.end_to_end_ms, end_to_end_moved, direct.send_lag_ms, delayed.send_lag_ms, kInjectedMs,
      late_ms);
  EXPECT_NEAR(publish_moved, injected_ms, 0.25 * kInjectedMs);
  EXPECT_NEAR(end_to_end_moved, injected_ms, 0.25 * kInjectedMs);
  // The delay is the broker's side of the figures: the publisher still sends on time.
  EXPECT_LT(delayed.send_lag_ms, 1.0);
}

}  // namespace
}  // namespace brokerload::testing
