// brokerload run reloading its config under load, against the real brokers, the file changed the
// way Kubernetes changes a mounted ConfigMap: a change that needs a restart is refused, an
// invalid file rejected, a new rate applied in place; every figure read back from /metrics.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

#include "broker_env.hpp"
#include "brokerload_process.hpp"

namespace brokerload::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const char* const kTargets[] = {"kafka", "nats"};

// Kubernetes' update of a mounted ConfigMap: the new content goes to a new directory and the
// `..data` symlink is switched to it by renaming another symlink over it; the config file itself
// is a symlink through `..data` (made so at the first call, also by a rename).
void SwapConfigMap(const std::string& config_path, const std::string& yaml) {
  static int version = 0;
  const fs::path dir = fs::path(config_path).parent_path();
  const std::string name = fs::path(config_path).filename();
  const std::string data = "..2024_01_01_00_00_0" + std::to_string(++version);
  fs::create_directory(dir / data);
  std::ofstream(dir / data / name) << yaml;
  fs::create_directory_symlink(data, dir / "..data_tmp");
  fs::rename(dir / "..data_tmp", dir / "..data");
  if (!fs::is_symlink(config_path)) {
    fs::create_symlink("..data/" + name, dir / (name + ".tmp"));
    fs::rename(dir / (name + ".tmp"), config_path);
  }
}

struct Scrape {
  std::string text;
  Clock::time_point at;
};

Scrape Take(unsigned short port) {
  Scrape s;
  s.text = HttpGet(port, "/metrics").second;
  s.at = Clock::now();
  return s;
}

// Messages published per second on `target` between two scrapes.
double Rate(const Scrape& from, const Scrape& to, const std::string& target) {
  const double seconds = std::chrono::duration<double>(to.at - from.at).count();
  return (SumMetric(to.text, "brokerload_messages_published_total", {{"target", target}}) -
          SumMetric(from.text, "brokerload_messages_published_total", {{"target", target}})) /
         seconds;
}

double Reloads(const std::string& metrics, const std::string& result) {
  return SumMetric(metrics, "brokerload_config_reloads_total", {{"result", result}});
}

// The log line that holds `text`; empty when none does.
std::string LineWith(const std::string& log, const std::string& text) {
  const auto at = log.find(text);
  if (at == std::string::npos) return "";
  const auto start = log.rfind('\n', at) + 1;
  return log.substr(start, log.find('\n', at) - start);
}

std::size_t Count(const std::string& log, const std::string& text) {
  std::size_t count = 0;
  for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++count;
  return count;
}

TEST(Reload, ARateChangeUnderLoadIsAppliedInPlaceAndNothingIsLostOrDuplicated) {
  std::string kafka, nats;
  ASSERT_TRUE(LoadBrokerAddress("KAFKA_BOOTSTRAP", kafka));
  ASSERT_TRUE(LoadBrokerAddress("NATS_URL", nats));
  const std::string prefix = UniqueName("reload");
  auto config = [&](const std::string& bootstrap, const std::string& workload,
                    const std::string& profile) {
    return "targets:\n  kafka: {bootstrap_servers: \"" + bootstrap + "\"}\n  nats: {servers: [\"" +
           nats + "\"], stream: {max_bytes: 16777216}}\nworkload: {topic_prefix: " + prefix + ", " +
           workload + "}\nprofile: " + profile +
           "\nmetrics: {listen: \"127.0.0.1:0\"}\n"
           "run: {loss_grace: 15s, drain_timeout: 10s, warmup: 0s}\n";
  };
  constexpr double kRate1 = 400;
  constexpr double kRate2 = 1'200;
  const std::string first = config(kafka, "message_size: 200", "{rate: 400}");
  BrokerloadProcess process(first);
  const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(10));
  ASSERT_NE(port, 0) << process.Log();
  ASSERT_TRUE(
      WaitFor([&] { return HttpGet(port, "/readyz").first == 200; }, std::chrono::seconds(90)))
      << process.Log();
  SwapConfigMap(process.ConfigPath(), first);  // the same content, now through `..data`

  // R1, measured over three seconds.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const Scrape before_from = Take(port);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const Scrape before_to = Take(port);
  for (const char* t : kTargets) {
    EXPECT_NEAR(Rate(before_from, before_to, t), kRate1, 0.1 * kRate1) << t;
    EXPECT_EQ(SumMetric(before_to.text, "brokerload_target_messages_per_second", {{"target", t}}),
              kRate1);
  }
  const double loaded_at = SumMetric(before_to.text, "brokerload_config_loaded_timestamp_seconds");
  const double started_at = SumMetric(before_to.text, "process_start_time_seconds");
  EXPECT_EQ(Reloads(before_to.text, "applied") + Reloads(before_to.text, "unchanged") +
                Reloads(before_to.text, "refused") + Reloads(before_to.text, "invalid"),
            0);

  // A new Kafka address and topic count, with a new rate: refused as a whole, keys named.
  SwapConfigMap(process.ConfigPath(), config("127.0.0.1:1", "topics: 6", "{rate: 2000}"));
  std::string metrics;
  ASSERT_TRUE(WaitFor(
      [&] {
        metrics = HttpGet(port, "/metrics").second;
        return Reloads(metrics, "refused") == 1;
      },
      std::chrono::seconds(10)))
      << process.Log();
  EXPECT_NE(LineWith(process.Log(),
                     "config reload (file changed): refused: "
                     "targets.kafka.bootstrap_servers, workload.topics cannot "
                     "change while brokerload runs"),
            "")
      << process.Log();
  EXPECT_EQ(SumMetric(metrics, "brokerload_config_last_reload_successful"), 0);

  // An invalid file: rejected with its file:line:col problem.
  SwapConfigMap(process.ConfigPath(), config(kafka, "message_size: 200", "{rate: fast}"));
  ASSERT_TRUE(WaitFor(
      [&] {
        metrics = HttpGet(port, "/metrics").second;
        return Reloads(metrics, "invalid") == 1;
      },
      std::chrono::seconds(10)))
      << process.Log();
  EXPECT_NE(LineWith(process.Log(), "config reload (file changed): invalid: 1 problem(s) in "), "");
  EXPECT_TRUE(std::regex_search(process.Log(),
                                std::regex("config reload: [^ ]*/config.yaml:5:17 profile.rate: "
                                           "expected a rate in messages per second above 0")))
      << process.Log();
  for (const char* t : kTargets) {
    EXPECT_EQ(SumMetric(metrics, "brokerload_target_messages_per_second", {{"target", t}}), kRate1);
  }
  EXPECT_EQ(SumMetric(metrics, "brokerload_config_loaded_timestamp_seconds"), loaded_at);

  // R2, as a bounded stage, with other message sizes: applied in place.
  const double e2e_before =
      SumMetric(metrics, "brokerload_end_to_end_latency_seconds_count", {{"target", "kafka"}});
  SwapConfigMap(process.ConfigPath(),
                config(kafka, "message_size: {min: 100, max: 400}",
                       "{stages: [{name: faster, rate: 1200, duration: 8s}]}"));
  ASSERT_TRUE(WaitFor(
      [&] {
        metrics = HttpGet(port, "/metrics").second;
        return Reloads(metrics, "applied") == 1 &&
               SumMetric(metrics, "brokerload_stage_info", {{"stage", "faster"}}) == 2;
      },
      std::chrono::seconds(10)))
      << process.Log();
  EXPECT_NE(LineWith(process.Log(),
                     "config reload (file changed): applied: workload.message_size, profile"),
            "")
      << process.Log();
  EXPECT_GT(SumMetric(metrics, "brokerload_config_loaded_timestamp_seconds"), loaded_at);
  EXPECT_EQ(SumMetric(metrics, "brokerload_config_last_reload_successful"), 1);
  const Scrape after_from = Take(port);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const Scrape after_to = Take(port);
  for (const char* t : kTargets) {
    EXPECT_NEAR(Rate(after_from, after_to, t), kRate2, 0.1 * kRate2) << t;
    EXPECT_EQ(SumMetric(after_to.text, "brokerload_target_messages_per_second", {{"target", t}}),
              kRate2);
  }
  // The histograms went on counting: nothing was reset.
  EXPECT_GT(SumMetric(after_to.text, "brokerload_end_to_end_latency_seconds_count",
                      {{"target", "kafka"}}),
            e2e_before);

  // The stage ends; every message sent is acknowledged and received once.
  ASSERT_TRUE(WaitFor(
      [&] {
        metrics = HttpGet(port, "/metrics").second;
        for (const char* t : kTargets) {
          const std::map<std::string, std::string> target = {{"target", t}};
          if (SumMetric(metrics, "brokerload_target_messages_per_second", target) != 0 ||
              SumMetric(metrics, "brokerload_messages_processed_total", target) <
                  SumMetric(metrics, "brokerload_messages_published_total", target) ||
              SumMetric(metrics, "brokerload_in_flight_messages", target) != 0) {
            return false;
          }
        }
        return true;
      },
      std::chrono::seconds(60)))
      << metrics;
  for (const char* t : kTargets) {
    SCOPED_TRACE(t);
    const std::map<std::string, std::string> target = {{"target", t}};
    const double published = SumMetric(metrics, "brokerload_messages_published_total", target);
    // 400/s before the reload, then exactly 8 s at 1,200/s.
    EXPECT_GT(published, 9'600 + 4 * kRate1);
    ExpectEachMessageOnce(metrics, target, published);
    EXPECT_EQ(SumMetric(metrics, "brokerload_messages_redelivered_total", target), 0);
    EXPECT_EQ(SumMetric(metrics, "brokerload_messages_older_than_window_total", target), 0);
    EXPECT_EQ(SumMetric(metrics, "brokerload_messages_foreign_total", target), 0);
    EXPECT_EQ(SumMetric(metrics, "brokerload_broker_disconnects_total", target), 0);
  }

  // SIGHUP with the file as it runs: read again, unchanged.
  ASSERT_EQ(kill(process.Pid(), SIGHUP), 0);
  ASSERT_TRUE(WaitFor(
      [&] {
        metrics = HttpGet(port, "/metrics").second;
        return Reloads(metrics, "unchanged") == 1;
      },
      std::chrono::seconds(10)))
      << process.Log();
  EXPECT_NE(LineWith(process.Log(), "config reload (SIGHUP): unchanged"), "");

  // One process, one run, one connection per client: nothing restarted.
  EXPECT_EQ(SumMetric(metrics, "process_start_time_seconds"), started_at);
  const std::string log = process.Log();
  EXPECT_EQ(Count(log, "metrics on port"), 1u) << log;
  EXPECT_EQ(Count(log, "kafka: ready ("), 1u) << log;
  EXPECT_EQ(Count(log, "nats: ready ("), 1u) << log;
  EXPECT_EQ(Reloads(metrics, "applied"), 1);
  EXPECT_EQ(Reloads(metrics, "refused"), 1);
  EXPECT_EQ(Reloads(metrics, "invalid"), 1);
  EXPECT_EQ(process.Terminate(std::chrono::seconds(30)), 0) << process.Log();
}

}  // namespace
}  // namespace brokerload::testing
