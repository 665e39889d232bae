// Who leads the run's partitions and streams on the single Kafka broker and the single NATS
// server of the `brokers` fixture: brokerload_broker_partitions_led against the brokers' own
// word (Kafka's metadata and the NATS server's INFO, read by deploy/local/probe.py: a client of
// its own, not librdkafka's or cnats'). One broker leads every partition; one server every
// stream. The 3-node case is in cluster_test.cpp.
#include "leaders.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>

#include "broker_env.hpp"
#include "brokerload_process.hpp"

namespace brokerload::testing {
namespace {

TEST(Leaders, OnOneBrokerAndOneServerEachLeadsEveryPartitionAndStream) {
  std::string kafka, nats;
  ASSERT_TRUE(LoadBrokerAddress("KAFKA_BOOTSTRAP", kafka));
  ASSERT_TRUE(LoadBrokerAddress("NATS_URL", nats));
  const std::string prefix = UniqueName("leaders");
  // per_broker on a cluster of one: one partition per topic.
  BrokerloadProcess process("targets:\n  kafka: {bootstrap_servers: \"" + kafka +
                            "\", topic: {partitions: per_broker}}\n"
                            "  nats: {servers: [\"" +
                            nats +
                            "\"], stream: {max_bytes: 16777216}}\n"
                            "workload: {topics: 3, topic_prefix: " +
                            prefix +
                            "}\n"
                            "profile:\n  stages: [{name: steady, rate: 100, duration: 10m}]\n"
                            "metrics: {listen: \"127.0.0.1:0\"}\n"
                            "run: {warmup: 0s}\n");
  const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(30));
  ASSERT_NE(port, 0) << process.Log();
  std::string metrics;
  ASSERT_TRUE(WaitFor(
      [&] {
        metrics = HttpGet(port, "/metrics").second;
        return !PartitionsLed(metrics, "kafka").empty() && !PartitionsLed(metrics, "nats").empty();
      },
      std::chrono::seconds(60)))
      << process.Log();

  // Kafka's own metadata: one partition per topic, all led by the one broker.
  const auto [counted, truth] = Probe("kafka-leader-counts " + kafka + " " + prefix);
  ASSERT_EQ(counted, 0) << "probe.py kafka-leader-counts failed";
  const KafkaLeaderCounts kafka_truth = ParseLeaderCounts(truth);
  EXPECT_EQ(kafka_truth.partitions, (std::vector<int>{1, 1, 1})) << truth;
  ASSERT_EQ(kafka_truth.led.size(), 1u) << truth;
  EXPECT_EQ(kafka_truth.led.begin()->second, 3) << truth;
  EXPECT_EQ(PartitionsLed(metrics, "kafka"), kafka_truth.led) << metrics;

  // The server's name as it announces itself, leading all three streams.
  const std::string host_port = nats.substr(nats.find("//") + 2);
  const auto [named, server] = Probe("nats-server-name " + host_port);
  ASSERT_EQ(named, 0) << "probe.py nats-server-name failed";
  ASSERT_FALSE(server.empty());
  EXPECT_EQ(PartitionsLed(metrics, "nats"), (std::map<std::string, int>{{server, 3}})) << metrics;

  const std::string log = process.Log();
  EXPECT_NE(log.find("kafka: partition leaders: broker " + kafka_truth.led.begin()->first +
                     " leads 3 (3 partitions)"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("nats: stream leaders: server " + server + " leads 3 (3 streams)"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("lead no"), std::string::npos) << log;
  EXPECT_EQ(log.find("leads no"), std::string::npos) << log;
  std::printf("kafka says %s; nats server %s leads 3 streams\n", truth.c_str(), server.c_str());
  EXPECT_EQ(process.Terminate(std::chrono::seconds(30)), 0) << process.Log();
}

}  // namespace
}  // namespace brokerload::testing
