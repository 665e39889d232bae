// `run`'s teardown under AddressSanitizer while scrapes keep coming: a scrape reads the engine
// (its worker pool, its targets' health), so the metrics server must stop serving before the
// engine goes, on every way out of the setup. The targets are unreachable on purpose: the setup
// fails at run.startup_timeout, or is interrupted by SIGTERM.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "brokerload_process.hpp"

namespace {

using brokerload::testing::BrokerloadProcess;
using brokerload::testing::HttpGet;

std::string Config(const std::string& startup_timeout) {
  // Port 1 on loopback: nothing listens, every connection is refused at once.
  return "targets:\n"
         "  kafka: {bootstrap_servers: 127.0.0.1:1}\n"
         "  nats: {servers: [nats://127.0.0.1:1]}\n"
         "metrics: {listen: 127.0.0.1:0}\n"
         "run: {startup_timeout: " +
         startup_timeout + "}\n";
}

// Scrapes /metrics and /readyz from four threads, as fast as they answer, until stopped.
class ScrapeLoad {
 public:
  explicit ScrapeLoad(unsigned short port) {
    for (int i = 0; i < 4; ++i) {
      threads_.emplace_back([this, port, i] {
        while (!stop_) {
          if (HttpGet(port, i % 2 == 0 ? "/metrics" : "/readyz").first == 200) ++answered_;
        }
      });
    }
  }
  ~ScrapeLoad() { Stop(); }
  void Stop() {
    stop_ = true;
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }
  int Answered() const { return answered_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> answered_{0};
  std::vector<std::thread> threads_;
};

void ExpectNoSanitizerReport(const BrokerloadProcess& process) {
  const std::string log = process.Log();
  EXPECT_EQ(log.find("AddressSanitizer"), std::string::npos) << log;
  EXPECT_EQ(log.find("runtime error:"), std::string::npos) << log;
}

TEST(Teardown, ASetupThatFailsWhileScrapedExitsThreeWithoutAFault) {
  for (int round = 0; round < 3; ++round) {
    BrokerloadProcess process(Config("2s"));
    const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(60));
    ASSERT_NE(port, 0) << process.Log();
    ScrapeLoad scrapes(port);
    EXPECT_EQ(process.WaitForExit(std::chrono::seconds(120)), 3) << process.Log();
    scrapes.Stop();
    EXPECT_GT(scrapes.Answered(), 0);
    ExpectNoSanitizerReport(process);
  }
}

TEST(Teardown, ASetupInterruptedWhileScrapedExitsZeroWithoutAFault) {
  for (int round = 0; round < 3; ++round) {
    BrokerloadProcess process(Config("10m"));
    const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(60));
    ASSERT_NE(port, 0) << process.Log();
    ScrapeLoad scrapes(port);
    ASSERT_TRUE(brokerload::testing::WaitFor([&] { return scrapes.Answered() >= 20; },
                                             std::chrono::seconds(60)));  // during the setup
    // The setup's waits for the brokers end on the signal, not at their own timeouts.
    EXPECT_EQ(process.Terminate(std::chrono::seconds(10)), 0) << process.Log();
    scrapes.Stop();
    EXPECT_GT(scrapes.Answered(), 0);
    ExpectNoSanitizerReport(process);
  }
}

}  // namespace
