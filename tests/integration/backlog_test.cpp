// The broker's own view of the backlog against an outside truth. A consume-only instance whose
// consumption is paused (one worker that sleeps 2 s per message, a queue of 16: its
// consumer threads soon wait for the worker) reads what a produce-only instance publishes. The
// producer's acknowledged count per topic, less what the consumer took, is what the broker holds
// for it: brokerload_broker_backlog_messages must say that, per topic (Kafka: end offsets minus
// positions; JetStream: the stream's end minus the last sequence taken, and with explicit acks
// num_ack_pending beside it), while nothing is counted lost. Consumption resumes by a config
// reload of the work time to 0 (a product feature: workload.work reloads in place), and the
// gauges return to 0 with every message consumed once. On one host the clocks agree: the
// consume-only clock-skew series exist and stay 0.
#include <gtest/gtest.h>
#include <signal.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "broker_env.hpp"
#include "brokerload_process.hpp"

namespace brokerload::testing {
namespace {

constexpr int kMessages = 3'000;  // per target: 3 s at 1,000 msg/s
constexpr int kTopics = 2;
const char* const kTargets[] = {"kafka", "nats"};

std::string Config(const std::string& prefix, const std::string& role, const std::string& work) {
  std::string kafka, nats;
  EXPECT_TRUE(LoadBrokerAddress("KAFKA_BOOTSTRAP", kafka));
  EXPECT_TRUE(LoadBrokerAddress("NATS_URL", nats));
  return "targets:\n  kafka: {bootstrap_servers: \"" + kafka + "\"}\n  nats: {servers: [\"" + nats +
         "\"], ack_policy: explicit, stream: {max_bytes: 16777216}}\n"
         "workload: {topic_prefix: " +
         prefix + ", topics_per_replica: true, topics: " + std::to_string(kTopics) +
         ", workers: 1, worker_queue: 16, work: " + work +
         "}\n"
         "profile:\n  stages: [{name: s, rate: 1000, messages: " +
         std::to_string(kMessages) +
         "}]\n"
         "metrics: {listen: \"127.0.0.1:0\"}\n"
         "run: {role: " +
         role + ", warmup: 0s}\n";
}

// Writes `yaml` over the running instance's config (whole, by a rename) and asks it to reload.
void Reload(const BrokerloadProcess& process, const std::string& yaml) {
  const std::string path = process.ConfigPath();
  std::ofstream(path + ".tmp") << yaml;
  std::filesystem::rename(path + ".tmp", path);
  ASSERT_EQ(kill(process.Pid(), SIGHUP), 0);
}

std::string TopicName(const std::string& prefix, int topic) {
  return prefix + "-p3-" + std::to_string(topic);
}

TEST(Backlog, TheBrokersBacklogIsWhatAPausedConsumerHasNotTakenAndReturnsToZero) {
  const std::string prefix = UniqueName("backlog");
  const std::string paused = "{mode: sleep, time: 2s}";
  BrokerloadProcess consumer(Config(prefix, "consume-only", paused), "BROKERLOAD_PRODUCER_ID=3");
  const unsigned short consumer_port = consumer.WaitForMetricsPort(std::chrono::seconds(10));
  ASSERT_NE(consumer_port, 0) << consumer.Log();
  ASSERT_TRUE(WaitFor([&] { return HttpGet(consumer_port, "/readyz").first == 200; },
                      std::chrono::seconds(60)))
      << consumer.Log();
  BrokerloadProcess producer(Config(prefix, "produce-only", "{mode: none}"),
                             "BROKERLOAD_PRODUCER_ID=3");
  const unsigned short producer_port = producer.WaitForMetricsPort(std::chrono::seconds(10));
  ASSERT_NE(producer_port, 0) << producer.Log();
  std::string produced;
  for (const char* t : kTargets) {
    ASSERT_TRUE(WaitForAbove(producer_port, produced, "brokerload_messages_acked_total", t,
                             kMessages - 1, std::chrono::seconds(60)))
        << t << "\n"
        << producer.Log();
  }
  produced = HttpGet(producer_port, "/metrics").second;

  // Paused: per topic, the broker holds what was acknowledged and not yet taken (to within the
  // message or two the sleeping worker lets through between the gauge's reading, once a second,
  // and the scrape).
  std::string consumed;
  auto metric = [&](const std::string& exposition, const char* name, const char* target,
                    int topic) {
    return SumMetric(exposition, name, {{"target", target}, {"topic", TopicName(prefix, topic)}});
  };
  auto backlog_is_acked_less_taken = [&](const char* t) {
    consumed = HttpGet(consumer_port, "/metrics").second;
    for (int i = 0; i < kTopics; ++i) {
      const double truth = metric(produced, "brokerload_messages_acked_total", t, i) -
                           metric(consumed, "brokerload_messages_consumed_total", t, i);
      const double broker = metric(consumed, "brokerload_broker_backlog_messages", t, i);
      if (!(std::abs(broker - truth) <= 3)) return false;  // NaN: not known yet
    }
    return true;
  };
  for (const char* t : kTargets) {
    SCOPED_TRACE(t);
    const std::map<std::string, std::string> target = {{"target", t}};
    EXPECT_EQ(SumMetric(produced, "brokerload_messages_acked_total", target), kMessages);
    EXPECT_TRUE(WaitFor([&] { return backlog_is_acked_less_taken(t); }, std::chrono::seconds(20)))
        << consumed << consumer.Log();
    // About everything published meanwhile: the paused consumer took a few dozen at most.
    const double backlog = SumMetric(consumed, "brokerload_broker_backlog_messages", target);
    std::printf("%s paused: acked %.0f, consumed %.0f, broker backlog %.0f, ack pending %.0f\n", t,
                SumMetric(produced, "brokerload_messages_acked_total", target),
                SumMetric(consumed, "brokerload_messages_consumed_total", target), backlog,
                SumMetric(consumed, "brokerload_broker_ack_pending_messages", target));
    EXPECT_GE(backlog, kMessages - 50) << consumed;
    EXPECT_LE(backlog, kMessages);
    EXPECT_EQ(SumMetric(consumed, "brokerload_messages_lost_total", target), 0);
    if (std::string(t) == "nats") {
      // Explicit acks: the server pushed everything (max_ack_pending 100,000), so what awaits an
      // ack is the backlog, in brokerload's client-side queue (plus the message each waiting
      // consumer thread holds, taken and not yet acknowledged).
      for (int i = 0; i < kTopics; ++i) {
        const double ack_pending = metric(consumed, "brokerload_broker_ack_pending_messages", t, i);
        const double broker = metric(consumed, "brokerload_broker_backlog_messages", t, i);
        EXPECT_LE(std::abs(ack_pending - broker), 3) << i << "\n" << consumed;
      }
    } else {
      EXPECT_EQ(consumed.find("brokerload_broker_ack_pending_messages{target=\"kafka\""),
                std::string::npos);
    }
  }

  // Resumed: every message taken once, and the broker holds nothing more for the consumer.
  Reload(consumer, Config(prefix, "consume-only", "{mode: none}"));
  for (const char* t : kTargets) {
    ASSERT_TRUE(WaitForAbove(consumer_port, consumed, "brokerload_messages_consumed_total", t,
                             kMessages - 1, std::chrono::seconds(60)))
        << t << "\n"
        << consumer.Log();
  }
  const bool emptied = WaitFor(
      [&] {
        consumed = HttpGet(consumer_port, "/metrics").second;
        for (const char* t : kTargets) {
          for (int i = 0; i < kTopics; ++i) {
            if (metric(consumed, "brokerload_broker_backlog_messages", t, i) != 0) return false;
          }
        }
        return true;
      },
      std::chrono::seconds(15));
  EXPECT_TRUE(emptied) << consumed;
  for (const char* t : kTargets) {
    SCOPED_TRACE(t);
    const std::map<std::string, std::string> target = {{"target", t}};
    EXPECT_EQ(SumMetric(consumed, "brokerload_messages_consumed_total", target), kMessages);
    EXPECT_EQ(SumMetric(consumed, "brokerload_messages_processed_total", target), kMessages);
    EXPECT_EQ(SumMetric(consumed, "brokerload_messages_lost_total", target), 0);
    EXPECT_EQ(SumMetric(consumed, "brokerload_messages_duplicated_total", target), 0);
    EXPECT_EQ(SumMetric(consumed, "brokerload_messages_redelivered_total", target), 0);
    // One host, one clock: the skew series are there, at 0.
    EXPECT_NE(consumed.find("brokerload_messages_negative_latency_total{target=\"" +
                            std::string(t) + "\"} 0"),
              std::string::npos)
        << consumed;
    EXPECT_NE(consumed.find("brokerload_end_to_end_latency_most_negative_seconds{target=\"" +
                            std::string(t) + "\"} 0"),
              std::string::npos)
        << consumed;
  }
  EXPECT_EQ(SumMetric(consumed, "brokerload_broker_ack_pending_messages", {{"target", "nats"}}), 0);
  EXPECT_NE(consumer.Log().find("applied: workload.work.mode"), std::string::npos)
      << consumer.Log();

  EXPECT_EQ(producer.Terminate(std::chrono::seconds(30)), 0) << producer.Log();
  EXPECT_EQ(consumer.Terminate(std::chrono::seconds(30)), 0) << consumer.Log();
}

}  // namespace
}  // namespace brokerload::testing
