// A broker restart under load: brokerload must keep running, show the outage in its metrics,
// reconnect by itself and resume consuming. Restarts the fixture's nats-server on its own port.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <thread>

#include "broker_env.hpp"
#include "brokerload_process.hpp"

namespace brokerload::testing {
namespace {

int Brokers(const std::string& action, const std::string& nats_url) {
  const std::string state_dir =
      std::filesystem::path(std::getenv("BROKERLOAD_BROKERS_ENV")).parent_path().string();
  const std::string port = nats_url.substr(nats_url.rfind(':') + 1);
  const std::string command = "BROKERLOAD_BROKERS_DIR=" + state_dir + " NATS_PORT=" + port + " " +
                              BROKERLOAD_SOURCE_DIR "/deploy/local/brokers.sh " + action +
                              " nats >/dev/null 2>&1";
  return std::system(command.c_str());
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

TEST(Recovery, ANatsRestartIsCountedAndConsumptionResumes) {
  std::string nats;
  ASSERT_TRUE(LoadBrokerAddress("NATS_URL", nats));
  BrokerloadProcess process(
      "targets:\n  nats: {servers: [\"" + nats +
      "\"]}\n"
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

  ASSERT_EQ(Brokers("stop", nats), 0);
  EXPECT_TRUE(WaitFor([&] { return metric("brokerload_broker_connected") == 0; },
                      std::chrono::seconds(10)));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(HttpGet(port, "/healthz").first, 200);  // still serving during the outage
  ASSERT_EQ(Brokers("start", nats), 0);

  EXPECT_TRUE(
      WaitFor([&] { return metric("brokerload_broker_connected") == 1; }, std::chrono::seconds(30)))
      << process.Log();
  const double consumed_after_restart = metric("brokerload_messages_consumed_total");
  EXPECT_TRUE(WaitFor(
      [&] { return metric("brokerload_messages_consumed_total") > consumed_after_restart + 1000; },
      std::chrono::seconds(30)))
      << process.Log();
  EXPECT_GE(metric("brokerload_broker_disconnects_total"), 1);
  EXPECT_EQ(metric("brokerload_messages_duplicated_total"), 0);
  EXPECT_EQ(process.Terminate(std::chrono::seconds(30)), 0) << process.Log();
}

}  // namespace
}  // namespace brokerload::testing
