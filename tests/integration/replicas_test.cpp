// Two brokerload instances (as two replicas of one deployment) on the same brokers and the same
// topics: each has its own producer identity and its own consumers, counts only its own messages
// for loss and duplicates, and skips the other's as foreign.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "broker_env.hpp"
#include "brokerload_process.hpp"

namespace brokerload::testing {
namespace {

constexpr int kMessages = 2'000;

TEST(Replicas, TwoInstancesOnTheSameTopicsEachAccountForTheirOwnMessages) {
  std::string kafka, nats;
  ASSERT_TRUE(LoadBrokerAddress("KAFKA_BOOTSTRAP", kafka));
  ASSERT_TRUE(LoadBrokerAddress("NATS_URL", nats));
  const std::string config = "targets:\n  kafka: {bootstrap_servers: \"" + kafka +
                             "\"}\n  nats: {servers: [\"" + nats +
                             "\"]}\n"
                             "workload: {topic_prefix: " +
                             UniqueName("replicas") +
                             ", workers: 8}\n"
                             "profile:\n  stages: [{name: s, rate: 1000, messages: " +
                             std::to_string(kMessages) +
                             "}]\n"
                             "metrics: {listen: \"127.0.0.1:0\"}\n"
                             "run: {loss_grace: 15s, warmup: 0s}\n";
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
