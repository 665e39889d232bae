// Two brokerload instances (as two replicas of one deployment) on the same brokers: with topics of
// their own (workload.topics_per_replica, the chart's way) each reads only its own traffic; on
// shared topics each reads both, counts only its own messages for loss and duplicates, and skips
// the other's as foreign.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "broker_env.hpp"
#include "brokerload_process.hpp"

namespace brokerload::testing {
namespace {

constexpr int kMessages = 2'000;
const char* const kTargets[] = {"kafka", "nats"};

std::string Config(const std::string& prefix, bool topics_per_replica) {
  std::string targets;
  EXPECT_TRUE(BothTargetsYaml(targets));
  return targets + "workload: {topic_prefix: " + prefix +
         ", workers: 8, topics_per_replica: " + (topics_per_replica ? "true" : "false") +
         "}\n"
         "profile:\n  stages: [{name: s, rate: 1000, messages: " +
         std::to_string(kMessages) +
         "}]\n"
         "metrics: {listen: \"127.0.0.1:0\"}\n"
         "run: {loss_grace: 15s, warmup: 0s}\n";
}

TEST(Replicas, TwoReplicasWithTopicsOfTheirOwnReadOnlyTheirOwnTraffic) {
  const std::string config = Config(UniqueName("own"), true);
  BrokerloadProcess replicas[] = {BrokerloadProcess(config, "BROKERLOAD_PRODUCER_ID=0"),
                                  BrokerloadProcess(config, "BROKERLOAD_PRODUCER_ID=1")};
  std::string metrics[2];
  for (int r = 0; r < 2; ++r) {
    const unsigned short port = replicas[r].WaitForMetricsPort(std::chrono::seconds(10));
    ASSERT_NE(port, 0) << replicas[r].Log();
    for (const char* t : kTargets) {
      ASSERT_TRUE(WaitForAbove(port, metrics[r], "brokerload_messages_processed_total", t,
                               kMessages - 1, std::chrono::seconds(90)))
          << t << " on replica " << r << "\n"
          << replicas[r].Log();
    }
  }
  for (const char* t : kTargets) {
    SCOPED_TRACE(t);
    const std::map<std::string, std::string> target = {{"target", t}};
    double sum[3] = {0, 0, 0};
    for (int r = 0; r < 2; ++r) {
      SCOPED_TRACE("replica " + std::to_string(r));
      // Every series names this replica's own topics, and nothing of the other's came by.
      const std::string own = "-p" + std::to_string(r) + "-0\"";
      const std::string other = "-p" + std::to_string(1 - r) + "-0\"";
      EXPECT_NE(metrics[r].find(own), std::string::npos);
      EXPECT_EQ(metrics[r].find(other), std::string::npos);
      EXPECT_EQ(SumMetric(metrics[r], "brokerload_messages_foreign_total", target), 0);
      EXPECT_EQ(SumMetric(metrics[r], "brokerload_messages_lost_total", target), 0);
      EXPECT_EQ(SumMetric(metrics[r], "brokerload_messages_duplicated_total", target), 0);
      EXPECT_EQ(SumMetric(metrics[r], "brokerload_messages_redelivered_total", target), 0);
      sum[0] += SumMetric(metrics[r], "brokerload_messages_published_total", target);
      sum[1] += SumMetric(metrics[r], "brokerload_messages_acked_total", target);
      sum[2] += SumMetric(metrics[r], "brokerload_messages_consumed_total", target);
    }
    // What a dashboard's sum over the replicas shows: each replica's whole schedule, once (with
    // no duplicate, every sequence arrived: nothing is lost).
    EXPECT_EQ(sum[0], 2 * kMessages);
    EXPECT_EQ(sum[1], 2 * kMessages);
    EXPECT_EQ(sum[2], 2 * kMessages);
  }
  for (BrokerloadProcess& replica : replicas) {
    EXPECT_EQ(replica.Terminate(std::chrono::seconds(30)), 0) << replica.Log();
  }
}

TEST(Replicas, TwoInstancesOnTheSameTopicsEachAccountForTheirOwnMessages) {
  const std::string config = Config(UniqueName("replicas"), false);
  BrokerloadProcess first(config, "BROKERLOAD_PRODUCER_ID=1");
  BrokerloadProcess second(config, "BROKERLOAD_PRODUCER_ID=2");
  const unsigned short ports[] = {first.WaitForMetricsPort(std::chrono::seconds(10)),
                                  second.WaitForMetricsPort(std::chrono::seconds(10))};
  ASSERT_NE(ports[0], 0) << first.Log();
  ASSERT_NE(ports[1], 0) << second.Log();

  for (unsigned short port : ports) {
    std::string metrics;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    auto done = [&] {
      metrics = HttpGet(port, "/metrics").second;
      for (const char* t : {"kafka", "nats"}) {
        if (SumMetric(metrics, "brokerload_messages_processed_total", {{"target", t}}) <
            kMessages) {
          return false;
        }
      }
      return true;
    };
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    for (const char* t : {"kafka", "nats"}) {
      SCOPED_TRACE(std::string(t) + " on port " + std::to_string(port));
      const std::map<std::string, std::string> target = {{"target", t}};
      EXPECT_EQ(SumMetric(metrics, "brokerload_messages_published_total", target), kMessages);
      EXPECT_EQ(SumMetric(metrics, "brokerload_messages_consumed_total", target), kMessages);
      EXPECT_EQ(SumMetric(metrics, "brokerload_messages_lost_total", target), 0);
      EXPECT_EQ(SumMetric(metrics, "brokerload_messages_duplicated_total", target), 0);
      // It saw the other replica's messages (how many depends on which started consuming first)
      // and left them out of its own accounting.
      EXPECT_GT(SumMetric(metrics, "brokerload_messages_foreign_total",
                          {{"target", t}, {"reason", "other_run"}}),
                0);
    }
  }
  EXPECT_EQ(first.Terminate(std::chrono::seconds(30)), 0) << first.Log();
  EXPECT_EQ(second.Terminate(std::chrono::seconds(30)), 0) << second.Log();
}

}  // namespace
}  // namespace brokerload::testing
