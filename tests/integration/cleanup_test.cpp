// `brokerload cleanup` deletes what a config's runs created, checked from outside brokerload (the
// brokers' own metadata, by deploy/local/probe.py): the topics and streams of every replica, and
// the run's consumer group, and nothing else; a second cleanup finds nothing to delete.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <string>
#include <thread>

#include "broker_env.hpp"
#include "brokerload_process.hpp"

namespace brokerload::testing {
namespace {

using Output = CommandOutput;

std::string Probe(const std::string& what, const std::string& address, const std::string& prefix) {
  return Command("python3 " BROKERLOAD_SOURCE_DIR "/deploy/local/probe.py " + what + " " + address +
                 " " + prefix)
      .text;
}

// Both targets on the fixture's brokers, the Kafka group named after `prefix`.
std::string Targets(const std::string& kafka, const std::string& nats, const std::string& prefix) {
  return "targets:\n  kafka: {bootstrap_servers: \"" + kafka + "\", consumer_group: " + prefix +
         "}\n  nats: {servers: [\"" + nats + "\"]}\n";
}

TEST(Cleanup, DeletesTheTopicsStreamsAndGroupsOfAConfigsRunsAndNothingElse) {
  std::string kafka, nats;
  ASSERT_TRUE(LoadBrokerAddress("KAFKA_BOOTSTRAP", kafka));
  ASSERT_TRUE(LoadBrokerAddress("NATS_URL", nats));
  const std::string nats_address = nats.substr(nats.find("//") + 2);
  const std::string prefix = UniqueName("cleanup");
  const std::string config = Targets(kafka, nats, prefix) +
                             "workload: {topics: 2, topic_prefix: " + prefix +
                             ", topics_per_replica: true}\n"
                             "profile:\n  stages: [{name: s, rate: 200, messages: 400}]\n"
                             "metrics: {listen: \"127.0.0.1:0\"}\n"
                             "run: {warmup: 0s}\n";
  {
    BrokerloadProcess run(config, "BROKERLOAD_PRODUCER_ID=1");
    const unsigned short port = run.WaitForMetricsPort(std::chrono::seconds(10));
    ASSERT_NE(port, 0) << run.Log();
    std::string metrics;
    for (const char* target : {"kafka", "nats"}) {
      ASSERT_TRUE(WaitForAbove(port, metrics, "brokerload_messages_consumed_total", target, 399,
                               std::chrono::seconds(90)))
          << target << "\n"
          << run.Log();
    }
    ASSERT_EQ(run.Terminate(std::chrono::seconds(60)), 0) << run.Log();
  }
  const std::string names = prefix + "-p1-0\n" + prefix + "-p1-1\n";
  ASSERT_EQ(Probe("kafka-topics", kafka, prefix), names);
  ASSERT_EQ(Probe("nats-streams", nats_address, prefix), names);

  // The run's config, for replicas 0 and 1 (replica 0 never ran: not there).
  const std::string path = ::testing::TempDir() + prefix + ".yaml";
  std::ofstream(path) << config;
  const std::string binary = BROKERLOAD_BINARY;
  const Output dry = Command(binary + " cleanup --config " + path + " --replicas 2 --dry-run");
  EXPECT_EQ(dry.exit_code, 0) << dry.text;
  EXPECT_NE(dry.text.find("kafka: would delete topic " + prefix + "-p1-0"), std::string::npos)
      << dry.text;
  EXPECT_EQ(Probe("kafka-topics", kafka, prefix), names) << "a dry run deleted";

  const Output first = Command(binary + " cleanup --config " + path + " --replicas 2");
  EXPECT_EQ(first.exit_code, 0) << first.text;
  for (const std::string& topic : {prefix + "-p1-0", prefix + "-p1-1"}) {
    EXPECT_NE(first.text.find("kafka: deleted topic " + topic), std::string::npos) << first.text;
    EXPECT_NE(first.text.find("nats: deleted stream " + topic), std::string::npos) << first.text;
  }
  EXPECT_NE(first.text.find("kafka: topic " + prefix + "-p0-0 was not there"), std::string::npos)
      << first.text;
  EXPECT_NE(first.text.find("kafka: deleted consumer group " + prefix + "-"), std::string::npos)
      << first.text;
  EXPECT_EQ(Probe("kafka-topics", kafka, prefix), "");
  EXPECT_EQ(Probe("nats-streams", nats_address, prefix), "");

  const Output again = Command(binary + " cleanup --config " + path + " --replicas 2");
  EXPECT_EQ(again.exit_code, 0) << again.text;
  EXPECT_EQ(again.text.find("deleted"), std::string::npos) << again.text;
}

// `cleanup --wait`, as the chart's uninstall hook runs it: while a run still consumes and produces
// it deletes nothing and says what is in use (its group, its stream's consumer); started while the
// run goes on and the run then stopped, it deletes only after the run has let go (the group empty,
// the ends still for the quiet time, 10 s here). A --wait below 10 s is refused.
TEST(Cleanup, WithWaitDeletesOnlyOnceTheRunHasLetGo) {
  std::string kafka, nats;
  ASSERT_TRUE(LoadBrokerAddress("KAFKA_BOOTSTRAP", kafka));
  ASSERT_TRUE(LoadBrokerAddress("NATS_URL", nats));
  const std::string nats_address = nats.substr(nats.find("//") + 2);
  const std::string prefix = UniqueName("cleanwait");
  const std::string config = Targets(kafka, nats, prefix) +
                             "workload: {topics: 1, topic_prefix: " + prefix +
                             "}\n"
                             "profile: {rate: 200}\n"
                             "metrics: {listen: \"127.0.0.1:0\"}\n"
                             // quiet time: publish_timeout + drain_timeout, at least 10 s
                             "run: {warmup: 0s, publish_timeout: 3s, drain_timeout: 5s}\n";
  const std::string path = ::testing::TempDir() + prefix + ".yaml";
  std::ofstream(path) << config;
  const std::string cleanup = std::string(BROKERLOAD_BINARY) + " cleanup --config " + path;
  const std::string names = prefix + "-0\n";
  using Clock = std::chrono::steady_clock;
  Clock::time_point signalled;
  std::future<Output> waiting;
  {
    BrokerloadProcess run(config);
    const unsigned short port = run.WaitForMetricsPort(std::chrono::seconds(10));
    ASSERT_NE(port, 0) << run.Log();
    std::string metrics;
    for (const char* target : {"kafka", "nats"}) {
      ASSERT_TRUE(WaitForAbove(port, metrics, "brokerload_messages_consumed_total", target, 100,
                               std::chrono::seconds(90)))
          << target << "\n"
          << run.Log();
    }
    const Output short_wait = Command(cleanup + " --wait 9s");
    EXPECT_EQ(short_wait.exit_code, 64) << short_wait.text;
    const Output busy = Command(cleanup + " --wait 10s");
    EXPECT_EQ(busy.exit_code, 4) << busy.text;
    EXPECT_NE(busy.text.find("still in use after 10 s, nothing deleted"), std::string::npos)
        << busy.text;
    EXPECT_NE(busy.text.find("kafka: consumer group " + prefix + "-"), std::string::npos)
        << busy.text;
    EXPECT_NE(busy.text.find("nats: stream " + prefix + "-0: 1 consumers"), std::string::npos)
        << busy.text;
    EXPECT_EQ(busy.text.find("deleted topic"), std::string::npos) << busy.text;
    EXPECT_EQ(Probe("kafka-topics", kafka, prefix), names);
    EXPECT_EQ(Probe("nats-streams", nats_address, prefix), names);

    waiting = std::async(std::launch::async, [&] { return Command(cleanup + " --wait 90s"); });
    std::this_thread::sleep_for(std::chrono::seconds(4));
    ASSERT_EQ(waiting.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
        << "cleanup --wait went ahead while the run was going:\n"
        << waiting.get().text;
    signalled = Clock::now();
    ASSERT_EQ(run.Terminate(std::chrono::seconds(60)), 0) << run.Log();
    EXPECT_EQ(run.Log().find("UNKNOWN_TOPIC"), std::string::npos) << run.Log();
  }
  const Output done = waiting.get();
  // The run's consumers let go after the signal, so the 10 s of quiet start after it; a cleanup
  // that did not wait deletes at its next 2 s poll once they have gone. (From the run's exit
  // instead, its teardown after the consumers left would come off the 10 s.)
  const std::chrono::duration<double> after = Clock::now() - signalled;
  EXPECT_EQ(done.exit_code, 0) << done.text;
  EXPECT_GE(after.count(), 9.5) << "deleted before the names were quiet:\n" << done.text;
  EXPECT_NE(done.text.find("kafka: deleted topic " + prefix + "-0"), std::string::npos)
      << done.text;
  EXPECT_NE(done.text.find("nats: deleted stream " + prefix + "-0"), std::string::npos)
      << done.text;
  EXPECT_NE(done.text.find("kafka: deleted consumer group " + prefix + "-"), std::string::npos)
      << done.text;
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(Probe("kafka-topics", kafka, prefix), "") << "a topic came back after cleanup";
  EXPECT_EQ(Probe("nats-streams", nats_address, prefix), "");
}

}  // namespace
}  // namespace brokerload::testing
