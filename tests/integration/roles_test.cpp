// A produce-only and a consume-only instance on the same brokers and topics (the same workload
// and producer id, as two releases of the chart would run them): the consumer accounts for the
// producer's messages by their headers, across processes.
#include <gtest/gtest.h>

#include <map>

#include "broker_env.hpp"
#include "brokerload_process.hpp"

namespace brokerload::testing {
namespace {

constexpr int kMessages = 3'000;
const char* const kTargets[] = {"kafka", "nats"};

// `lanes`: workload.publishers (on 4 topics when above 1); `header`: workload.brokerload_header.
std::string Config(const std::string& prefix, const std::string& role, int lanes,
                   const std::string& header) {
  std::string targets;
  EXPECT_TRUE(BothTargetsYaml(targets));
  return targets + "workload: {topic_prefix: " + prefix + ", topics_per_replica: true" +
         ", brokerload_header: " + header +
         (lanes > 1 ? ", topics: 4, publishers: " + std::to_string(lanes) : std::string()) +
         "}\n"
         "profile:\n  stages: [{name: s, rate: 1000, messages: " +
         std::to_string(kMessages) +
         "}]\n"
         "metrics: {listen: \"127.0.0.1:0\"}\n"
         "run: {role: " +
         role + ", warmup: 0s}\n";
}

// `consumer_header`: the consume-only instance's workload.brokerload_header (the producer's is
// payload).
void RunPair(int lanes, const std::string& consumer_header = "payload") {
  const std::string prefix = UniqueName("roles");
  BrokerloadProcess consumer(Config(prefix, "consume-only", lanes, consumer_header),
                             "BROKERLOAD_PRODUCER_ID=5");
  const unsigned short consumer_port = consumer.WaitForMetricsPort(std::chrono::seconds(10));
  ASSERT_NE(consumer_port, 0) << consumer.Log();
  // Listening before the producer starts: every message it sends is scheduled after that.
  ASSERT_TRUE(WaitFor([&] { return HttpGet(consumer_port, "/readyz").first == 200; },
                      std::chrono::seconds(60)))
      << consumer.Log();
  BrokerloadProcess producer(Config(prefix, "produce-only", lanes, "payload"),
                             "BROKERLOAD_PRODUCER_ID=5");
  const unsigned short producer_port = producer.WaitForMetricsPort(std::chrono::seconds(10));
  ASSERT_NE(producer_port, 0) << producer.Log();

  std::string produced;
  std::string consumed;
  for (const char* t : kTargets) {
    ASSERT_TRUE(WaitForAbove(producer_port, produced, "brokerload_messages_acked_total", t,
                             kMessages - 1, std::chrono::seconds(90)))
        << t << "\n"
        << producer.Log();
    ASSERT_TRUE(WaitForAbove(consumer_port, consumed, "brokerload_messages_consumed_total", t,
                             kMessages - 1, std::chrono::seconds(60)))
        << t << "\n"
        << consumer.Log();
  }
  produced = HttpGet(producer_port, "/metrics").second;
  consumed = HttpGet(consumer_port, "/metrics").second;

  for (const char* t : kTargets) {
    SCOPED_TRACE(t);
    const std::map<std::string, std::string> target = {{"target", t}};
    const double acked = SumMetric(produced, "brokerload_messages_acked_total", target);
    EXPECT_EQ(acked, kMessages);
    EXPECT_EQ(SumMetric(produced, "brokerload_messages_published_total", target), kMessages);
    EXPECT_EQ(SumMetric(produced, "brokerload_target_healthy", target), 1);
    EXPECT_NE(produced.find("brokerload_publisher_realtime{target=\"" + std::string(t) + "\"}"),
              std::string::npos);
    // Every arrival once (no duplicate or redelivery): every message arrived, none is missing.
    EXPECT_EQ(SumMetric(consumed, "brokerload_messages_consumed_total", target), acked);
    EXPECT_EQ(SumMetric(consumed, "brokerload_messages_lost_total", target), 0);
    EXPECT_EQ(SumMetric(consumed, "brokerload_messages_duplicated_total", target), 0);
    EXPECT_EQ(SumMetric(consumed, "brokerload_messages_redelivered_total", target), 0);
    EXPECT_EQ(SumMetric(consumed, "brokerload_messages_older_than_window_total", target), 0);
    EXPECT_EQ(SumMetric(consumed, "brokerload_messages_foreign_total", target), 0);
    EXPECT_EQ(SumMetric(consumed, "brokerload_end_to_end_latency_seconds_count", target), acked);
    EXPECT_EQ(SumMetric(consumed, "brokerload_sources", target), 1);
    // One host, one clock: nothing arrives before it was scheduled; the series say so.
    EXPECT_NE(consumed.find("brokerload_messages_negative_latency_total{target=\"" +
                            std::string(t) + "\"} 0\n"),
              std::string::npos);
    EXPECT_EQ(SumMetric(consumed, "brokerload_end_to_end_latency_most_negative_seconds", target),
              0);
    EXPECT_EQ(SumMetric(consumed, "brokerload_target_healthy", target), 1);
  }
  // Each exports what its role measures, and nothing it did not measure.
  EXPECT_EQ(produced.find("brokerload_messages_lost_total{"), std::string::npos);
  EXPECT_EQ(produced.find("brokerload_end_to_end_latency_seconds_count{"), std::string::npos);
  EXPECT_EQ(consumed.find("brokerload_messages_published_total{"), std::string::npos);
  EXPECT_EQ(consumed.find("brokerload_publisher_realtime{"), std::string::npos);

  EXPECT_EQ(producer.Terminate(std::chrono::seconds(30)), 0) << producer.Log();
  EXPECT_EQ(consumer.Terminate(std::chrono::seconds(30)), 0) << consumer.Log();
  EXPECT_NE(consumer.Stdout().find("consume-only"), std::string::npos) << consumer.Stdout();
  // The connections each role holds: a consume-only instance one producer (it creates the
  // topics) and a consumer per lane; a produce-only instance a producer per lane.
  const std::string n = std::to_string(lanes);
  for (const char* t : kTargets) {
    EXPECT_NE(consumer.Log().find(std::string(t) + ": ready (" + (lanes > 1 ? "4" : "5") +
                                  " topics, 1 producer and " + n + " consumer connection"),
              std::string::npos)
        << consumer.Log();
    EXPECT_NE(producer.Log().find(std::string(t) + ": ready (" + (lanes > 1 ? "4" : "5") +
                                  " topics, " + n + " producer and 0 consumer connection"),
              std::string::npos)
        << producer.Log();
  }
}

TEST(Roles, AConsumeOnlyInstanceAccountsForAProduceOnlyInstancesMessages) { RunPair(1); }

// workload.publishers on both sides: two producer lanes, two consumer lanes, one accounting.
TEST(Roles, WithTwoLanesOnEachSideEveryMessageIsAccountedOnce) { RunPair(2); }

// A change of workload.brokerload_header rolled out consumers first: a consumer in message_header
// mode reads a payload-mode producer's messages by the header at their payload's start.
TEST(Roles, AMessageHeaderConsumerAccountsForAPayloadModeProducersMessages) {
  RunPair(1, "message_header");
}

}  // namespace
}  // namespace brokerload::testing
