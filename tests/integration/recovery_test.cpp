// A broker restart under load: brokerload must keep running, show the outage in its metrics,
// reconnect by itself and resume consuming. Restarts the fixture's nats-server on its own port,
// and kills the fixture's Kafka with SIGKILL and starts it again on the same data.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "broker_env.hpp"
#include "brokerload_process.hpp"

namespace brokerload::testing {
namespace {

std::string StateDir() {
  return std::filesystem::path(std::getenv("BROKERLOAD_BROKERS_ENV")).parent_path().string();
}

int Brokers(const std::string& action, const std::string& nats_url) {
  const std::string state_dir = StateDir();
  const std::string port = nats_url.substr(nats_url.rfind(':') + 1);
  const std::string command = "BROKERLOAD_BROKERS_DIR=" + state_dir + " NATS_PORT=" + port + " " +
                              BROKERLOAD_SOURCE_DIR "/deploy/local/brokers.sh " + action +
                              " nats >/dev/null 2>&1";
  return std::system(command.c_str());
}

// The value after `key=` in the fixture's kafka.properties.
std::string KafkaProperty(const std::string& key) {
  std::ifstream file(StateDir() + "/kafka.properties");
  std::string line;
  while (std::getline(file, line)) {
    if (line.rfind(key + "=", 0) == 0) return line.substr(key.size() + 1);
  }
  return "";
}

// The fixture's Kafka process (0 when its pid file is missing).
// A process stopped (SIGSTOP) for as long as this lives, and continued however the test ends, so
// that a fixture's broker always runs on.
struct Frozen {
  explicit Frozen(pid_t process) : pid(process), stopped(::kill(process, SIGSTOP) == 0) {}
  ~Frozen() { ::kill(pid, SIGCONT); }
  Frozen(const Frozen&) = delete;
  Frozen& operator=(const Frozen&) = delete;
  pid_t pid;
  bool stopped;
};

pid_t KafkaPid() {
  std::ifstream file(StateDir() + "/kafka.pid");
  pid_t pid = 0;
  file >> pid;
  return pid;
}

// Starts the fixture's Kafka again (on its data: brokers.sh formats only once) on its ports.
int StartKafka(const std::string& bootstrap) {
  const std::string voters = KafkaProperty("controller.quorum.voters");  // 1@127.0.0.1:PORT
  const std::string command = "BROKERLOAD_BROKERS_DIR=" + StateDir() +
                              " KAFKA_PORT=" + bootstrap.substr(bootstrap.rfind(':') + 1) +
                              " KAFKA_CONTROLLER_PORT=" + voters.substr(voters.rfind(':') + 1) +
                              " " BROKERLOAD_SOURCE_DIR "/deploy/local/brokers.sh start kafka >" +
                              StateDir() + "/kafka-restart.log 2>&1";
  return std::system(command.c_str());
}

TEST(Recovery, ANatsRestartIsCountedAndConsumptionResumes) {
  std::string nats;
  ASSERT_TRUE(LoadBrokerAddress("NATS_URL", nats));
  BrokerloadProcess process(
      "targets:\n  nats: {servers: [\"" + nats +
      "\"], stream: {max_bytes: 16777216}}\n"
      "workload: {topic_prefix: " +
      UniqueName("recovery") +
      ", workers: 4}\n"
      "profile: {rate: 500}\n"
      "metrics: {listen: \"127.0.0.1:0\"}\n"
      "run: {loss_grace: 3s, publish_timeout: 2s, drain_timeout: 5s, warmup: 0s}\n");
  const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(10));
  ASSERT_NE(port, 0) << process.Log();
  auto metric = [&](const std::string& name) {
    return SumMetric(HttpGet(port, "/metrics").second, name, {{"target", "nats"}});
  };
  ASSERT_TRUE(WaitFor([&] { return metric("brokerload_messages_consumed_total") > 500; },
                      std::chrono::seconds(30)))
      << process.Log();

  EXPECT_EQ(metric("brokerload_target_healthy"), 1);
  ASSERT_EQ(Brokers("stop", nats), 0);
  EXPECT_TRUE(WaitFor([&] { return metric("brokerload_broker_connected") == 0; },
                      std::chrono::seconds(10)));
  EXPECT_EQ(metric("brokerload_target_healthy"), 0);
  // A whole health window (10 s) of sends without one acknowledgement: not publishing.
  auto check = [&](const std::string& name) {
    return SumMetric(HttpGet(port, "/metrics").second, "brokerload_target_health",
                     {{"target", "nats"}, {"check", name}});
  };
  EXPECT_TRUE(WaitFor([&] { return check("publishing") == 0; }, std::chrono::seconds(20)))
      << process.Log();
  EXPECT_EQ(check("connected"), 0);
  EXPECT_EQ(HttpGet(port, "/healthz").first, 200);  // still serving during the outage
  EXPECT_EQ(HttpGet(port, "/readyz").first, 200);   // on purpose: docs/metrics.md, Probes
  ASSERT_EQ(Brokers("start", nats), 0);

  EXPECT_TRUE(
      WaitFor([&] { return metric("brokerload_broker_connected") == 1; }, std::chrono::seconds(30)))
      << process.Log();
  const double consumed_after_restart = metric("brokerload_messages_consumed_total");
  EXPECT_TRUE(WaitFor(
      [&] { return metric("brokerload_messages_consumed_total") > consumed_after_restart + 1000; },
      std::chrono::seconds(30)))
      << process.Log();
  EXPECT_TRUE(
      WaitFor([&] { return metric("brokerload_target_healthy") == 1; }, std::chrono::seconds(20)))
      << process.Log();
  EXPECT_GE(metric("brokerload_broker_disconnects_total"), 1);
  EXPECT_EQ(metric("brokerload_messages_duplicated_total"), 0);
  EXPECT_EQ(process.Terminate(std::chrono::seconds(30)), 0) << process.Log();
}

// A slow worker pool (one worker, 2 ms a message, half the offered rate) builds a backlog inside
// brokerload's NATS client; then the server restarts (memory storage: the stream and its consumer
// are gone, so brokerload subscribes again). The messages already delivered into the client
// buffer are brokerload's to process, never the broker's loss: the replaced subscription is
// drained, not discarded.
TEST(Recovery, ANatsRestartWithASlowConsumerCountsNoBrokerLoss) {
  std::string nats;
  ASSERT_TRUE(LoadBrokerAddress("NATS_URL", nats));
  constexpr int kMessages = 5'000;  // 5 s at 1,000 msg/s; processing takes 10 s
  BrokerloadProcess process(
      "targets:\n  nats: {servers: [\"" + nats +
      "\"], stream: {max_bytes: 16777216}}\n"
      "workload: {topics: 1, topic_prefix: " +
      UniqueName("slow") +
      ", workers: 1, worker_queue: 64, work: {mode: sleep, time: 2ms}}\n"
      "profile:\n  stages: [{name: steady, rate: 1000, messages: " +
      std::to_string(kMessages) +
      "}]\n"
      "metrics: {listen: \"127.0.0.1:0\"}\n"
      "run: {loss_grace: 90s, publish_timeout: 20s, drain_timeout: 60s, warmup: 0s}\n");
  const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(10));
  ASSERT_NE(port, 0) << process.Log();
  std::string metrics;
  auto value = [&](const std::string& name) {
    return SumMetric(metrics, name, {{"target", "nats"}});
  };
  // Every message sent and acknowledged (so none is in flight when the server goes, and each
  // was pushed to brokerload seconds before), and a backlog in the client: acknowledged well
  // ahead of processed.
  ASSERT_TRUE(WaitFor(
      [&] {
        metrics = HttpGet(port, "/metrics").second;
        return value("brokerload_messages_acked_total") == kMessages;
      },
      std::chrono::seconds(30)))
      << process.Log();
  ASSERT_GT(kMessages - value("brokerload_messages_processed_total"), 1000) << process.Log();
  ASSERT_EQ(Brokers("stop", nats), 0);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  ASSERT_EQ(Brokers("start", nats), 0);
  const bool processed = WaitFor(
      [&] {
        metrics = HttpGet(port, "/metrics").second;
        return value("brokerload_messages_processed_total") +
                       value("brokerload_messages_lost_total") >=
                   value("brokerload_messages_acked_total") &&
               value("brokerload_messages_published_total") == kMessages;
      },
      std::chrono::seconds(120));
  EXPECT_TRUE(processed) << process.Log();
  EXPECT_EQ(value("brokerload_messages_lost_total"), 0) << process.Log();
  EXPECT_EQ(value("brokerload_messages_processed_total"), kMessages);
  EXPECT_EQ(value("brokerload_publish_errors_total"), 0);
  EXPECT_EQ(value("brokerload_messages_dropped_by_client_total"), 0);
  EXPECT_GE(value("brokerload_broker_disconnects_total"), 1);
  EXPECT_EQ(process.Terminate(std::chrono::seconds(60)), 0) << process.Log();
}

// The fixture's nats-server process (0 when its pid file is missing).
pid_t NatsPid() {
  std::ifstream file(StateDir() + "/nats.pid");
  pid_t pid = 0;
  file >> pid;
  return pid;
}

// The samples of `name` for `target`, as (broker label, value), in the order exported.
std::vector<std::pair<std::string, double>> ByBroker(const std::string& metrics,
                                                     const std::string& name,
                                                     const std::string& target) {
  std::vector<std::pair<std::string, double>> samples;
  const std::string start = name + "{target=\"" + target + "\",broker=\"";
  for (std::size_t at = metrics.find("\n" + start); at != std::string::npos;
       at = metrics.find("\n" + start, at + 1)) {
    const std::size_t broker = at + 1 + start.size();
    const std::size_t end = metrics.find('"', broker);
    samples.emplace_back(metrics.substr(broker, end - broker),
                         std::stod(metrics.substr(metrics.find(' ', end) + 1)));
  }
  return samples;
}

// A memory-storage server killed (SIGKILL) while its stream holds messages it acknowledged but
// has not delivered yet: exactly those are lost, as the server itself counts them. The consumer
// is throttled (explicit acks, one unacknowledged message at a time) below a 2,000 msg/s burst,
// so a backlog waits in the stream. brokerload is frozen (SIGSTOP) first, so that nothing is
// published, delivered or acknowledged between the server's count and the kill; the one
// delivered message awaiting its ack is in brokerload's socket buffer and arrives.
TEST(Recovery, AMemoryStreamKilledWithABacklogLosesExactlyTheUndelivered) {
  std::string nats;
  ASSERT_TRUE(LoadBrokerAddress("NATS_URL", nats));
  const std::string prefix = UniqueName("backlog");
  BrokerloadProcess process(
      "targets:\n  nats: {servers: [\"" + nats +
      "\"], ack_policy: explicit, max_ack_pending: 1, stream: {max_bytes: 16777216}}\n"
      "workload: {topics: 1, topic_prefix: " +
      prefix +
      "}\n"
      "profile:\n  stages: [{name: burst, rate: 2000, duration: 6s},"
      " {name: trickle, rate: 50, duration: 10m}]\n"
      "metrics: {listen: \"127.0.0.1:0\"}\n"
      "run: {loss_grace: 20s, publish_timeout: 5s, drain_timeout: 10s, warmup: 0s}\n");
  const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(10));
  ASSERT_NE(port, 0) << process.Log();
  std::string metrics;
  auto value = [&](const std::string& name) {
    return SumMetric(metrics, name, {{"target", "nats"}});
  };
  ASSERT_TRUE(WaitForAbove(port, metrics, "brokerload_messages_acked_total", "nats", 7'999,
                           std::chrono::seconds(30)))  // at least 8,000
      << process.Log();

  // The server leading the stream (a single server: the one), by the name brokerload labels it
  // with: the fixture's server has no server_name, so its id, new at every start.
  const std::vector<std::pair<std::string, double>> leads =
      ByBroker(metrics, "brokerload_broker_partitions_led", "nats");
  ASSERT_EQ(leads.size(), 1u) << metrics;
  const std::string killed = leads[0].first;
  const Frozen frozen(process.Pid());
  ASSERT_TRUE(frozen.stopped);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the server handles what was sent
  const std::string address = nats.substr(nats.find("//") + 2);
  const std::string pending_file = StateDir() + "/pending.out";
  ASSERT_EQ(std::system(("python3 " BROKERLOAD_SOURCE_DIR "/deploy/local/probe.py nats-pending " +
                         address + " " + prefix + "-0 >" + pending_file)
                            .c_str()),
            0);
  double undelivered = 0;
  std::ifstream(pending_file) >> undelivered;
  ASSERT_GT(undelivered, 500) << "no backlog in the stream to lose";
  const pid_t server = NatsPid();
  ASSERT_GT(server, 0);
  ASSERT_EQ(::kill(server, SIGKILL), 0);
  while (::kill(server, 0) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ::kill(process.Pid(), SIGCONT);
  ASSERT_EQ(Brokers("start", nats), 0);  // brokers.sh sees the dead pid and starts anew

  // Lost once run.loss_grace has passed since the last of them was acknowledged.
  const bool counted = WaitFor(
      [&] {
        metrics = HttpGet(port, "/metrics").second;
        return value("brokerload_messages_lost_total") >= undelivered;
      },
      std::chrono::seconds(60));
  EXPECT_TRUE(counted) << process.Log();
  std::this_thread::sleep_for(std::chrono::seconds(3));  // nothing more comes
  metrics = HttpGet(port, "/metrics").second;
  EXPECT_EQ(value("brokerload_messages_lost_total"), undelivered) << process.Log();
  EXPECT_EQ(value("brokerload_messages_duplicated_total"), 0);
  EXPECT_EQ(value("brokerload_messages_arrived_after_loss_total"), 0);
  // By broker: all of them under the server that acknowledged them, none under its successor.
  const double under_killed = SumMetric(metrics, "brokerload_broker_messages_lost_total",
                                        {{"target", "nats"}, {"broker", killed}});
  EXPECT_EQ(under_killed, undelivered);
  EXPECT_EQ(value("brokerload_broker_messages_lost_total"), undelivered);
  std::printf(
      "nats memory stream killed: %.0f undelivered per the server, %.0f counted lost, "
      "%.0f under the killed server\n",
      undelivered, value("brokerload_messages_lost_total"), under_killed);
  EXPECT_EQ(process.Terminate(std::chrono::seconds(60)), 0) << process.Log();
}

// The broker frozen (SIGSTOP) for longer than publish_timeout, then thawed: the sends queued
// meanwhile fail as timeouts (and only as timeouts), the run goes on, and no message is counted
// lost or duplicated; one whose publish timed out and that arrives anyway is delivered after
// error. With the non-idempotent producer: with idempotence (the default), librdkafka 2.0.2
// bumps its producer epoch after the timeouts and may store second copies of what was in flight,
// which brokerload counts as duplicated (213 in one run here; docs/benchmarks.md, "Loss, faults and
// clusters").
TEST(Recovery, AKafkaPauseLongerThanThePublishTimeoutIsTimeoutsOnly) {
  std::string kafka;
  ASSERT_TRUE(LoadBrokerAddress("KAFKA_BOOTSTRAP", kafka));
  constexpr int kMessages = 4'000;  // 20 s at 200 msg/s
  BrokerloadProcess process(
      "targets:\n  kafka: {bootstrap_servers: \"" + kafka +
      "\", producer: {enable.idempotence: \"false\"}}\n"
      "workload: {topics: 1, topic_prefix: " +
      UniqueName("pause") +
      ", workers: 4}\n"
      "profile:\n  stages: [{name: steady, rate: 200, messages: " +
      std::to_string(kMessages) +
      "}]\n"
      "metrics: {listen: \"127.0.0.1:0\"}\n"
      "run: {loss_grace: 30s, publish_timeout: 3s, drain_timeout: 30s, warmup: 0s}\n");
  const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(10));
  ASSERT_NE(port, 0) << process.Log();
  std::string metrics;
  auto value = [&](const std::string& name) {
    return SumMetric(metrics, name, {{"target", "kafka"}});
  };
  ASSERT_TRUE(WaitForAbove(port, metrics, "brokerload_messages_consumed_total", "kafka", 600,
                           std::chrono::seconds(60)))
      << process.Log();
  const pid_t pid = KafkaPid();
  ASSERT_GT(pid, 0);
  const Frozen frozen(pid);
  ASSERT_TRUE(frozen.stopped);
  std::this_thread::sleep_for(std::chrono::seconds(8));
  ::kill(pid, SIGCONT);

  const bool accounted = WaitFor(
      [&] {
        metrics = HttpGet(port, "/metrics").second;
        return value("brokerload_messages_published_total") == kMessages &&
               value("brokerload_messages_acked_total") +
                       value("brokerload_publish_errors_total") ==
                   kMessages &&
               value("brokerload_messages_consumed_total") -
                       value("brokerload_messages_delivered_after_error_total") >=
                   value("brokerload_messages_acked_total");
      },
      std::chrono::seconds(90));
  EXPECT_TRUE(accounted) << process.Log();
  const double timeouts = SumMetric(metrics, "brokerload_publish_errors_total",
                                    {{"target", "kafka"}, {"reason", "timeout"}});
  EXPECT_GT(timeouts, 0) << "8 s frozen with a 3 s publish timeout";
  EXPECT_EQ(value("brokerload_publish_errors_total"), timeouts) << "timeouts only";
  // The publisher never waited for the frozen broker: no send fell run.max_send_lag (1 s)
  // behind its schedule. The outage shows in timeouts and publish latency, not in send lag.
  EXPECT_EQ(value("brokerload_sends_dropped_total"), 0);
  EXPECT_EQ(value("brokerload_messages_lost_total"), 0);
  EXPECT_EQ(value("brokerload_messages_duplicated_total"), 0);
  EXPECT_EQ(value("brokerload_messages_arrived_after_loss_total"), 0);
  EXPECT_EQ(process.Terminate(std::chrono::seconds(60)), 0) << process.Log();
}

// A NATS server that stops reading (SIGSTOP) while brokerload writes 5 MB/s to it: the socket
// fills within seconds, and a write would then wait for the server for as long as it stays
// frozen. With the write deadline, publishes fail instead, and a stop (SIGTERM) meanwhile ends
// within its bounds (drain_timeout, the consumers' deletion), not when the server thaws.
TEST(Recovery, AStopWhileTheNatsServerIsFrozenEndsWithinItsBounds) {
  std::string nats;
  ASSERT_TRUE(LoadBrokerAddress("NATS_URL", nats));
  BrokerloadProcess process("targets:\n  nats: {servers: [\"" + nats +
                            "\"], stream: {max_bytes: 16777216}}\n"
                            "workload: {topics: 1, message_size: 1024, topic_prefix: " +
                            UniqueName("frozen") +
                            "}\n"
                            "profile:\n  stages: [{name: steady, rate: 5000, duration: 300s}]\n"
                            "metrics: {listen: \"127.0.0.1:0\"}\n"
                            "run: {drain_timeout: 5s, warmup: 0s}\n");
  const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(10));
  ASSERT_NE(port, 0) << process.Log();
  std::string metrics;
  ASSERT_TRUE(WaitForAbove(port, metrics, "brokerload_messages_consumed_total", "nats", 2'000,
                           std::chrono::seconds(60)))
      << process.Log();
  const pid_t pid = NatsPid();
  ASSERT_GT(pid, 0);
  const Frozen frozen(pid);
  ASSERT_TRUE(frozen.stopped);
  std::this_thread::sleep_for(std::chrono::seconds(8));  // 40 MB offered: the socket is full
  const auto stopping = std::chrono::steady_clock::now();
  EXPECT_EQ(process.Terminate(std::chrono::seconds(60)), 0) << process.Log();
  const auto took = std::chrono::steady_clock::now() - stopping;
  // drain_timeout (5 s) and the consumers' deletion (10 s), with room for a loaded machine.
  EXPECT_LT(took, std::chrono::seconds(45)) << process.Log();
  std::printf("stop with the NATS server frozen: %.1f s\n",
              std::chrono::duration<double>(took).count());
}

// SIGKILL of the broker mid-run, then a restart on the same data: brokerload stays up, health
// shows the outage, and once the broker is back every message is acknowledged (librdkafka holds
// and retries them: publish_timeout is longer than the outage), none is lost, and each arrives.
// The consumer may read again from its last committed offsets after the restart: those arrivals
// come from offsets already read and count as redelivered. With idempotence, the broker holds no
// second copy of any message (a retry of a produce that was written is deduplicated), so
// duplicated, which counts only second copies at new offsets, is exactly 0.
TEST(Recovery, AKafkaCrashAndRestartOnTheSameDataLosesNothing) {
  std::string kafka;
  ASSERT_TRUE(LoadBrokerAddress("KAFKA_BOOTSTRAP", kafka));
  constexpr int kMessages = 12'000;  // 60 s at 200 msg/s
  BrokerloadProcess process(
      "targets:\n  kafka: {bootstrap_servers: \"" + kafka +
      "\", producer: {enable.idempotence: true}}\n"
      "workload: {topics: 1, topic_prefix: " +
      UniqueName("crash") +
      ", workers: 4}\n"
      "profile:\n  stages: [{name: steady, rate: 200, messages: " +
      std::to_string(kMessages) +
      "}]\n"
      "metrics: {listen: \"127.0.0.1:0\"}\n"
      "run: {loss_grace: 150s, publish_timeout: 120s, drain_timeout: 60s, warmup: 0s}\n");
  const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(10));
  ASSERT_NE(port, 0) << process.Log();
  auto metric = [&](const std::string& name) {
    return SumMetric(HttpGet(port, "/metrics").second, name, {{"target", "kafka"}});
  };
  // 10 s in: the group has committed offsets (every 5 s) to come back to.
  ASSERT_TRUE(WaitFor([&] { return metric("brokerload_messages_consumed_total") > 2000; },
                      std::chrono::seconds(60)))
      << process.Log();

  const pid_t pid = KafkaPid();
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  // Whatever happens below, the fixture's Kafka comes back for the tests after this one.
  struct Restart {
    const std::string& bootstrap;
    bool done = false;
    ~Restart() {
      if (!done) StartKafka(bootstrap);
    }
  } restart{kafka};
  EXPECT_TRUE(
      WaitFor([&] { return metric("brokerload_broker_connected") == 0; }, std::chrono::seconds(30)))
      << process.Log();
  EXPECT_EQ(metric("brokerload_target_healthy"), 0);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  restart.done = true;
  ASSERT_EQ(StartKafka(kafka), 0) << "see " << StateDir() << "/kafka-restart.log";

  EXPECT_TRUE(
      WaitFor([&] { return metric("brokerload_broker_connected") == 1; }, std::chrono::seconds(60)))
      << process.Log();
  std::string metrics;
  auto value = [&](const std::string& name) {
    return SumMetric(metrics, name, {{"target", "kafka"}});
  };
  const bool accounted = WaitFor(
      [&] {
        metrics = HttpGet(port, "/metrics").second;
        return value("brokerload_messages_acked_total") == kMessages &&
               value("brokerload_messages_consumed_total") -
                       value("brokerload_messages_redelivered_total") -
                       value("brokerload_messages_duplicated_total") >=
                   kMessages;
      },
      std::chrono::seconds(150));
  EXPECT_TRUE(accounted) << process.Log();
  EXPECT_EQ(value("brokerload_messages_published_total"), kMessages);
  EXPECT_EQ(value("brokerload_messages_acked_total"), kMessages);
  EXPECT_EQ(value("brokerload_publish_errors_total"), 0);
  EXPECT_EQ(value("brokerload_messages_lost_total"), 0);
  EXPECT_EQ(value("brokerload_messages_duplicated_total"), 0);
  EXPECT_EQ(
      value("brokerload_messages_consumed_total") - value("brokerload_messages_redelivered_total"),
      kMessages);
  std::printf("kafka crash: %.0f messages read again from committed offsets (redelivered)\n",
              value("brokerload_messages_redelivered_total"));
  EXPECT_GE(value("brokerload_broker_disconnects_total"), 1);
  EXPECT_TRUE(
      WaitFor([&] { return metric("brokerload_target_healthy") == 1; }, std::chrono::seconds(30)))
      << process.Log();
  EXPECT_EQ(process.Terminate(std::chrono::seconds(60)), 0) << process.Log();
}

}  // namespace
}  // namespace brokerload::testing
