// A node of a 3-node cluster killed (SIGKILL) mid-run and restarted on its data, under the
// settings that promise no loss: Kafka with replication factor 3, min.insync.replicas 2, acks=all
// and idempotence; JetStream with an R3 file stream. The node killed is the one that leads (the
// topic's partition 0, the stream), so that the fault reaches the write path. brokerload must
// count no message lost and none duplicated; every difference between what it sent and what
// arrived must carry its cause (a publish error, a redelivery).
// The clusters come from deploy/local/cluster.sh (ctest fixture `cluster`).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <tuple>

#include "broker_env.hpp"
#include "brokerload_process.hpp"
#include "leaders.hpp"

namespace brokerload::testing {
namespace {

std::string StateDir() {
  return std::filesystem::path(std::getenv("BROKERLOAD_BROKERS_ENV")).parent_path().string();
}

// Runs deploy/local/cluster.sh or probe.py with `args`; the exit code and standard output.
std::pair<int, std::string> Local(const std::string& program, const std::string& args) {
  const std::string out = StateDir() + "/command.out";
  const std::string command = "BROKERLOAD_CLUSTER_DIR=" + StateDir() +
                              " " BROKERLOAD_SOURCE_DIR "/deploy/local/" + program + " " + args +
                              " >" + out + " 2>>" + StateDir() + "/commands.log";
  const int status = std::system(command.c_str());
  std::ifstream file(out);
  std::string text;
  std::getline(file, text);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

// Kills node `node` of `broker` (SIGKILL), waits 10 s and starts it again on its data. It
// restarts the node even when the kill failed, so that the next test finds the whole cluster.
::testing::AssertionResult KillForTenSeconds(const std::string& broker, const std::string& node) {
  const int killed = Local("cluster.sh", "kill " + broker + " " + node).first;
  if (killed == 0) std::this_thread::sleep_for(std::chrono::seconds(10));
  const int restarted = Local("cluster.sh", "restart " + broker + " " + node).first;
  if (killed == 0 && restarted == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "cluster.sh kill " << broker << " " << node << " exited " << killed
         << ", restart exited " << restarted << "; see " << StateDir() << "/commands.log";
}

// `publish_timeout` bounds each publish (Kafka: message.timeout.ms); see each test for its choice.
std::string Config(const std::string& target_yaml, const std::string& prefix, int messages,
                   const std::string& publish_timeout) {
  return "targets:\n" + target_yaml + "workload: {topics: 1, topic_prefix: " + prefix +
         "}\n"
         "profile:\n  stages: [{name: steady, rate: 200, messages: " +
         std::to_string(messages) +
         "}]\n"
         "metrics: {listen: \"127.0.0.1:0\"}\n"
         "run: {loss_grace: 90s, publish_timeout: " +
         publish_timeout + ", drain_timeout: 60s, warmup: 0s}\n";
}

TEST(Cluster, AKafkaPartitionLeaderKilledUnderReplicationThreeLosesAndDuplicatesNothing) {
  std::string bootstrap;
  ASSERT_TRUE(LoadBrokerAddress("KAFKA_CLUSTER_BOOTSTRAP", bootstrap));
  constexpr int kMessages = 8'000;  // 40 s at 200 msg/s
  const std::string topic_prefix = UniqueName("r3");
  BrokerloadProcess process(
      Config("  kafka:\n    bootstrap_servers: \"" + bootstrap +
                 "\"\n"
                 "    producer: {acks: all, enable.idempotence: true}\n"
                 "    topic: {replication_factor: 3, config: {min.insync.replicas: \"2\"}}\n",
             // Longer than the failover (the controller declares the node dead after 9 s, then
             // elects). With 10 s, one of four runs (under ASan, slower) had 1,145 timeouts and
             // 1,447 duplicates: idempotence deduplicates resends within one producer epoch, and a
             // message timeout mid-failover appears to end it (not investigated further).
             topic_prefix, kMessages, "60s"));
  const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(30));
  ASSERT_NE(port, 0) << process.Log();
  std::string metrics;
  auto value = [&](const std::string& name) {
    return SumMetric(metrics, name, {{"target", "kafka"}});
  };
  // 10 s in: the group has committed offsets (every 5 s) to come back to.
  ASSERT_TRUE(WaitForAbove(port, metrics, "brokerload_messages_consumed_total", "kafka", 2000,
                           std::chrono::seconds(60)))
      << process.Log();

  const auto [found, leader] =
      Local("probe.py", "kafka-leader " + bootstrap.substr(0, bootstrap.find(',')) + " " +
                            topic_prefix + "-0 0");
  ASSERT_EQ(found, 0) << "no leader for " << topic_prefix << "-0/0";
  ASSERT_TRUE(KillForTenSeconds("kafka", leader));

  const bool accounted = WaitFor(
      [&] {
        metrics = HttpGet(port, "/metrics").second;
        return value("brokerload_messages_acked_total") +
                       value("brokerload_publish_errors_total") ==
                   kMessages &&
               value("brokerload_messages_consumed_total") -
                       value("brokerload_messages_redelivered_total") >=
                   kMessages;
      },
      std::chrono::seconds(120));
  EXPECT_TRUE(accounted) << process.Log();
  // The surviving replicas took over: librdkafka retried what the dead leader had not answered,
  // and idempotence kept the retries from writing second copies.
  EXPECT_EQ(value("brokerload_messages_acked_total"), kMessages);
  EXPECT_EQ(value("brokerload_publish_errors_total"), 0) << process.Log();
  EXPECT_EQ(value("brokerload_messages_lost_total"), 0);
  EXPECT_EQ(value("brokerload_messages_duplicated_total"), 0) << process.Log();
  EXPECT_EQ(
      value("brokerload_messages_consumed_total") - value("brokerload_messages_redelivered_total"),
      kMessages);
  std::printf("kafka leader %s killed: %.0f redelivered (re-read from committed offsets)\n",
              leader.c_str(), value("brokerload_messages_redelivered_total"));
  EXPECT_EQ(process.Terminate(std::chrono::seconds(60)), 0) << process.Log();
}

TEST(Cluster, ANatsStreamLeaderKilledUnderR3LosesAndDuplicatesNothing) {
  std::string urls;
  ASSERT_TRUE(LoadBrokerAddress("NATS_CLUSTER_URLS", urls));
  constexpr int kMessages = 8'000;
  const std::string topic_prefix = UniqueName("r3");
  std::string servers;  // ["nats://a", "nats://b", ...]
  for (std::size_t at = 0; at < urls.size();) {
    const std::size_t end = std::min(urls.find(',', at), urls.size());
    servers += (servers.empty() ? "\"" : ", \"") + urls.substr(at, end - at) + "\"";
    at = end + 1;
  }
  BrokerloadProcess process(Config("  nats:\n    servers: [" + servers +
                                       "]\n"
                                       "    stream: {storage: file, replicas: 3}\n",
                                   topic_prefix, kMessages, "10s"));
  const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(30));
  ASSERT_NE(port, 0) << process.Log();
  std::string metrics;
  auto value = [&](const std::string& name) {
    return SumMetric(metrics, name, {{"target", "nats"}});
  };
  ASSERT_TRUE(WaitForAbove(port, metrics, "brokerload_messages_consumed_total", "nats", 2000,
                           std::chrono::seconds(60)))
      << process.Log();

  const std::string first = urls.substr(urls.find("//") + 2, urls.find(',') - urls.find("//") - 2);
  const auto [found, leader] =
      Local("probe.py",
            "nats-stream-leader " + first + " " + topic_prefix + "-0");  // server names are n1..n3
  ASSERT_EQ(found, 0) << "no leader for stream " << topic_prefix << "-0";
  ASSERT_EQ(leader.size(), 2u);
  // brokerload_broker_partitions_led names the same leader, the two replicas' servers at 0.
  metrics = HttpGet(port, "/metrics").second;
  std::map<std::string, int> led = PartitionsLed(metrics, "nats");
  EXPECT_EQ(led.size(), 3u) << metrics;
  EXPECT_EQ(led.count(leader) != 0 ? led.at(leader) : -1, 1) << metrics;
  ASSERT_TRUE(KillForTenSeconds("nats", leader.substr(1)));

  const bool accounted = WaitFor(
      [&] {
        metrics = HttpGet(port, "/metrics").second;
        return value("brokerload_messages_acked_total") +
                       value("brokerload_publish_errors_total") ==
                   kMessages &&
               value("brokerload_messages_consumed_total") -
                       value("brokerload_messages_redelivered_total") -
                       value("brokerload_messages_delivered_after_error_total") >=
                   value("brokerload_messages_acked_total");
      },
      std::chrono::seconds(120));
  EXPECT_TRUE(accounted) << process.Log();
  // The leadership moved to another server, and the gauge (asked every 5 s) follows it.
  std::string new_leader;
  const bool followed = WaitFor(
      [&] {
        int found_new = 0;
        std::tie(found_new, new_leader) =
            Local("probe.py", "nats-stream-leader " + first + " " + topic_prefix + "-0");
        led = PartitionsLed(HttpGet(port, "/metrics").second, "nats");
        return found_new == 0 && led.count(new_leader) != 0 && led.at(new_leader) == 1;
      },
      std::chrono::seconds(30));
  EXPECT_TRUE(followed) << "stream leader " << new_leader << "; " << process.Log();
  EXPECT_NE(new_leader, leader);
  // Until the two others elect a new leader, publishes fail: unanswered (timeouts) while the
  // cluster still routes to the dead leader, then "no responders" (unknown_topic). Those are
  // errors, each counted by its reason; what was acknowledged is all there, once.
  EXPECT_EQ(value("brokerload_messages_lost_total"), 0);
  EXPECT_EQ(value("brokerload_messages_duplicated_total"), 0);
  EXPECT_EQ(value("brokerload_messages_consumed_total") -
                value("brokerload_messages_redelivered_total") -
                value("brokerload_messages_delivered_after_error_total"),
            value("brokerload_messages_acked_total"));
  EXPECT_GT(value("brokerload_messages_acked_total"), kMessages / 2);
  std::printf(
      "nats stream leader %s killed: %.0f acked, %.0f timeouts, %.0f no responders, %.0f "
      "delivered after error, %.0f redelivered\n",
      leader.c_str(), value("brokerload_messages_acked_total"),
      SumMetric(metrics, "brokerload_publish_errors_total",
                {{"target", "nats"}, {"reason", "timeout"}}),
      SumMetric(metrics, "brokerload_publish_errors_total",
                {{"target", "nats"}, {"reason", "unknown_topic"}}),
      value("brokerload_messages_delivered_after_error_total"),
      value("brokerload_messages_redelivered_total"));
  EXPECT_EQ(process.Terminate(std::chrono::seconds(60)), 0) << process.Log();
}

// targets.kafka.topic.partitions: per_broker on 3 brokers: 3 partitions per topic, whose
// leaderships Kafka spreads one per broker; the gauge says what Kafka's own metadata says
// (probe.py's client, not librdkafka), every broker with at least one.
TEST(Cluster, KafkaPerBrokerPartitionsGiveEveryBrokerALeadershipAndTheGaugeShowsIt) {
  std::string bootstrap;
  ASSERT_TRUE(LoadBrokerAddress("KAFKA_CLUSTER_BOOTSTRAP", bootstrap));
  const std::string prefix = UniqueName("per-broker");
  BrokerloadProcess process("targets:\n  kafka:\n    bootstrap_servers: \"" + bootstrap +
                            "\"\n    topic: {partitions: per_broker}\n"
                            "workload: {topics: 2, topic_prefix: " +
                            prefix +
                            "}\n"
                            "profile:\n  stages: [{name: steady, rate: 100, duration: 10m}]\n"
                            "metrics: {listen: \"127.0.0.1:0\"}\n"
                            "run: {warmup: 0s}\n");
  const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(30));
  ASSERT_NE(port, 0) << process.Log();
  const std::string first = bootstrap.substr(0, bootstrap.find(','));
  std::string metrics, truth_line;
  std::map<std::string, int> led;
  KafkaLeaderCounts truth;
  // Both read now: they agree unless a leader moved between the two reads (no fault is injected).
  const bool agree = WaitFor(
      [&] {
        metrics = HttpGet(port, "/metrics").second;
        led = PartitionsLed(metrics, "kafka");
        int status = 0;
        std::tie(status, truth_line) = Probe("kafka-leader-counts " + first + " " + prefix);
        truth = ParseLeaderCounts(truth_line);
        return status == 0 && !led.empty() && led == truth.led;
      },
      std::chrono::seconds(60));
  EXPECT_TRUE(agree) << "kafka says " << truth_line << "\n" << metrics << process.Log();
  EXPECT_EQ(truth.partitions, (std::vector<int>{3, 3})) << truth_line;
  ASSERT_EQ(led.size(), 3u) << metrics;
  for (const auto& [broker, partitions] : led) EXPECT_GE(partitions, 1) << "broker " << broker;
  const std::string log = process.Log();
  EXPECT_NE(log.find("kafka: topic.partitions: per_broker: 3 "), std::string::npos) << log;
  EXPECT_NE(log.find("kafka: partition leaders: broker "), std::string::npos) << log;
  EXPECT_EQ(log.find("lead no partition"), std::string::npos) << log;
  EXPECT_EQ(log.find("leads no partition"), std::string::npos) << log;
  std::printf("kafka per_broker on 3 brokers: kafka says %s\n", truth_line.c_str());
  for (const char* line : {"kafka: topic.partitions", "kafka: partition leaders"}) {
    const std::size_t at = log.find(line);
    if (at != std::string::npos) {
      std::printf("log: %s\n", log.substr(at, log.find('\n', at) - at).c_str());
    }
  }
  EXPECT_EQ(process.Terminate(std::chrono::seconds(60)), 0) << process.Log();
}

// Publish and end-to-end latency by broker on 3 brokers, each leading partitions (per_broker):
// every acknowledged message is under the broker that acknowledged it, every received one under
// the broker it was fetched from, and each broker's count is what Kafka stored in the partitions
// it leads, less brokerload's readiness probes there (one per partition and probe round, sent
// every 2 s until they come back).
TEST(Cluster, KafkaLatencyByBrokerCountsWhatEachLeaderStored) {
  std::string bootstrap;
  ASSERT_TRUE(LoadBrokerAddress("KAFKA_CLUSTER_BOOTSTRAP", bootstrap));
  const std::string prefix = UniqueName("by-broker");
  constexpr double kMessages = 3'000;
  BrokerloadProcess process("targets:\n  kafka:\n    bootstrap_servers: \"" + bootstrap +
                            "\"\n    topic: {partitions: per_broker}\n"
                            "workload: {topics: 2, topic_prefix: " +
                            prefix +
                            "}\n"
                            "profile:\n  stages: [{name: bounded, rate: 500, messages: 3000}]\n"
                            "metrics: {listen: \"127.0.0.1:0\"}\n"
                            "run: {warmup: 0s}\n");
  const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(30));
  ASSERT_NE(port, 0) << process.Log();
  std::string metrics;
  const std::map<std::string, std::string> kafka{{"target", "kafka"}};
  ASSERT_TRUE(WaitFor(
      [&] {
        metrics = HttpGet(port, "/metrics").second;
        return SumMetric(metrics, "brokerload_broker_end_to_end_latency_seconds_count", kafka) >=
                   kMessages &&
               SumMetric(metrics, "brokerload_broker_publish_latency_seconds_count", kafka) >=
                   kMessages;
      },
      std::chrono::seconds(90)))
      << metrics << process.Log();
  const std::string first = bootstrap.substr(0, bootstrap.find(','));
  const auto [led_status, led_line] = Probe("kafka-leader-counts " + first + " " + prefix);
  const auto [ends_status, ends_line] = Probe("kafka-end-offsets " + first + " " + prefix);
  ASSERT_EQ(led_status, 0) << led_line;
  ASSERT_EQ(ends_status, 0) << ends_line;
  const KafkaLeaderCounts led = ParseLeaderCounts(led_line);
  const std::map<std::string, int> stored = ParseLeaderCounts(ends_line).led;
  ASSERT_EQ(led.led.size(), 3u) << led_line;
  double published = 0, received = 0;
  for (const auto& [broker, partitions] : led.led) {
    const std::map<std::string, std::string> labels{{"target", "kafka"}, {"broker", broker}};
    const double acks =
        SumMetric(metrics, "brokerload_broker_publish_latency_seconds_count", labels);
    const double arrivals =
        SumMetric(metrics, "brokerload_broker_end_to_end_latency_seconds_count", labels);
    const double probes = stored.at(broker) - acks;
    EXPECT_GE(partitions, 1) << "broker " << broker;
    EXPECT_GT(acks, 0) << "broker " << broker;
    // The consumer reads each partition from its leader: the broker it names is the producer's.
    EXPECT_EQ(arrivals, acks) << "broker " << broker;
    EXPECT_GE(probes, partitions) << "broker " << broker << ": kafka stored " << ends_line;
    EXPECT_LE(probes, 30 * partitions) << "broker " << broker << ": kafka stored " << ends_line;
    published += acks;
    received += arrivals;
    std::printf(
        "broker %s leads %d partitions: kafka stored %d, brokerload acked %.0f and "
        "received %.0f there (probes %.0f)\n",
        broker.c_str(), partitions, stored.at(broker), acks, arrivals, probes);
  }
  EXPECT_EQ(published, kMessages) << metrics;
  EXPECT_EQ(received, kMessages) << metrics;
  EXPECT_EQ(SumMetric(metrics, "brokerload_publish_latency_seconds_count", kafka), kMessages);
  EXPECT_EQ(process.Terminate(std::chrono::seconds(60)), 0) << process.Log();
}

}  // namespace
}  // namespace brokerload::testing
