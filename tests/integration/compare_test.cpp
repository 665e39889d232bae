// brokerload compare on both real brokers with a reduced seed profile: the three report files,
// report.json's results, the HTML as Chromium renders it, and the baseline gate.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "broker_env.hpp"

namespace brokerload::testing {
namespace {

using ::testing::HasSubstr;

struct Outcome {
  int exit_code = -1;
  std::string output;
};

Outcome Shell(const std::string& command) {
  Outcome outcome;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) outcome.output += buffer.data();
  const int status = pclose(pipe);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}

std::string Read(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// Polls `condition` every 100 ms until it holds (true) or `timeout` passes (false).
bool WaitUntil(const std::function<bool()>& condition, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

class CompareTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(LoadBrokerAddress("KAFKA_BOOTSTRAP", kafka_));
    ASSERT_TRUE(LoadBrokerAddress("NATS_URL", nats_));
    dir_ = std::filesystem::path(::testing::TempDir()) / UniqueName("compare");
    std::filesystem::create_directories(dir_);
    config_ = (dir_ / "compare.yaml").string();
    std::ofstream(config_) << "targets:\n  kafka: {bootstrap_servers: \"" << kafka_
                           << "\"}\n  nats: {servers: [\"" << nats_ << "\"]}\n"
                           << "workload: {topic_prefix: " << prefix_ << "}\n";
  }

  Outcome Compare(const std::string& out, const std::string& extra = "") {
    return Shell(std::string(BROKERLOAD_BINARY) + " compare --config " + config_ +
                 " --profile seed --seed-rate 5000 --seed-min-duration 2s --warmup 2s --out " +
                 (dir_ / out).string() + " " + extra);
  }

  std::string kafka_, nats_, config_, prefix_ = UniqueName("cmp");
  std::filesystem::path dir_;
};

TEST_F(CompareTest, WritesTheThreeReportsWithEveryStageOfBothTargets) {
  const Outcome o = Compare("first");
  ASSERT_EQ(o.exit_code, 0) << o.output;
  // Sending over, it waits for Kafka's next statistics: the bytes on the wire are whole.
  EXPECT_THAT(o.output, HasSubstr("compare: waiting"));
  for (const char* name : {"report.md", "report.json", "report.html"}) {
    ASSERT_TRUE(std::filesystem::exists(dir_ / "first" / name)) << name;
  }
  const nlohmann::json report = nlohmann::json::parse(Read(dir_ / "first" / "report.json"));
  EXPECT_EQ(report["schema"], "brokerload.compare");
  EXPECT_EQ(report["version"], 2);
  EXPECT_EQ(report["targets"], nlohmann::json({"kafka", "nats"}));
  EXPECT_EQ(report["stages"], nlohmann::json({"low", "medium", "high", "extreme"}));
  ASSERT_EQ(report["results"].size(), 8u);
  // The seed's level sizes, each repeated to last at least 2 s at 5,000 msg/s.
  const std::map<std::string, std::uint64_t> seed = {
      {"low", 10'000}, {"medium", 12'000}, {"high", 12'000}, {"extreme", 10'000}};
  for (const auto& r : report["results"]) {
    SCOPED_TRACE(r["target"].get<std::string>() + " " + r["stage"].get<std::string>());
    EXPECT_EQ(r["success_rate"], 100.0);
    EXPECT_EQ(r["published"], seed.at(r["stage"]));
    EXPECT_EQ(r["consumed"], seed.at(r["stage"]));
    EXPECT_EQ(r["lost"], 0);
    EXPECT_EQ(r["duplicated"], 0);
    EXPECT_EQ(r["unconfirmed"], 0);
    EXPECT_EQ(r["publish_errors"], 0);
    // Throughput: the stage's messages received within its window, over the window; or none,
    // when the stage's p99 is over a tenth of its window (a slow broker on a loaded machine).
    EXPECT_GE(r["window_seconds"].get<double>(), 2.0);
    const double window_ms = r["window_seconds"].get<double>() * 1e3;
    const double p99_ms = r["end_to_end_latency_ms"]["p99"].get<double>();
    if (r["achieved_rate"].is_null()) {
      EXPECT_GT(10 * p99_ms, window_ms) << r.dump();
    } else {
      EXPECT_LE(10 * p99_ms, window_ms) << r.dump();
      EXPECT_NEAR(r["achieved_rate"].get<double>(),
                  r["consumed_in_window"].get<double>() / r["window_seconds"].get<double>(), 1e-6);
      EXPECT_GT(r["achieved_rate"].get<double>(), 0.5 * 5'000);
    }
    EXPECT_GT(r["end_to_end_latency_ms"]["p99"].get<double>(), 0);
    EXPECT_TRUE(r["end_to_end_latency_ms"]["p999"].is_number());  // >= 10,000 samples
    // Warm-up messages are in no stage: each stage's histogram holds exactly its own.
    EXPECT_EQ(r["end_to_end_latency_ms"]["count"], seed.at(r["stage"]));
    EXPECT_EQ(r["threads"]["leaked"], 0);
  }
  // What was compared, and how long readiness and warm-up took.
  ASSERT_EQ(report["target_info"].size(), 2u);
  for (const auto& t : report["target_info"]) {
    SCOPED_TRACE(t.dump());
    EXPECT_GT(t["setup_seconds"].get<double>(), 0);
    EXPECT_GT(t["probe_seconds"].get<double>(), 0);
    EXPECT_EQ(t["warmup_seconds"], 2.0);
    EXPECT_FALSE(t["durability"].get<std::string>().empty());
  }
  EXPECT_THAT(report["target_info"][0]["client_version"].get<std::string>(),
              HasSubstr("librdkafka 2."));
  // The effective value as librdkafka holds it: brokerload's default, like the Java client's.
  EXPECT_EQ(report["target_info"][0]["settings"]["max.in.flight.requests.per.connection"], "5");
  // Kafka 4.x has no inter.broker.protocol.version: its release is inferred from the API versions
  // it serves; the fixture's 4.4.0 serves more than 4.2, the newest release the table knows.
  EXPECT_THAT(report["target_info"][0]["broker_version"].get<std::string>(),
              ::testing::ContainsRegex("^at least 4\\.2 \\(inferred from the API versions"));
  EXPECT_THAT(report["target_info"][1]["broker_version"].get<std::string>(),
              HasSubstr("nats-server 2."));
  // Who led what when sending stopped, against the brokers' own metadata (probe.py): the
  // fixture's one Kafka broker leads every partition, its one nats-server every stream.
  const std::string probe = "python3 " BROKERLOAD_SOURCE_DIR "/deploy/local/probe.py ";
  // "partitions=3,3,3,3,3 1=15": the run's topics' sizes, then each broker's count.
  const Outcome kafka_leads = Shell(probe + "kafka-leader-counts " + kafka_ + " " + prefix_ + "-");
  ASSERT_EQ(kafka_leads.exit_code, 0) << kafka_leads.output;
  std::istringstream words(kafka_leads.output);
  std::string sizes, counts;
  words >> sizes >> counts;
  ASSERT_NE(counts.find('='), std::string::npos) << kafka_leads.output;
  const std::string broker = counts.substr(0, counts.find('='));
  const int partitions = std::stoi(counts.substr(counts.find('=') + 1));
  EXPECT_EQ(report["target_info"][0]["leader_kind"], "broker");
  EXPECT_EQ(report["target_info"][0]["leads"], nlohmann::json({{broker, partitions}}));
  EXPECT_TRUE(report["target_info"][0]["leads_warning"].is_null());
  const std::string nats_address = nats_.substr(nats_.find("//") + 2);
  const Outcome server = Shell(probe + "nats-server-name " + nats_address);
  const Outcome streams = Shell(probe + "nats-streams " + nats_address + " " + prefix_ + "-");
  ASSERT_EQ(server.exit_code, 0) << server.output;
  const auto stream_count = std::count(streams.output.begin(), streams.output.end(), '\n');
  EXPECT_EQ(report["target_info"][1]["leader_kind"], "server");
  EXPECT_EQ(report["target_info"][1]["leads"],
            nlohmann::json({{server.output.substr(0, server.output.find('\n')), stream_count}}));
  ASSERT_EQ(report["overall"].size(), 2u);
  EXPECT_EQ(report["overall"][0]["end_to_end_latency_ms"]["count"], 44'000);
  // The bytes on the wire against the broker's own log (probe.py kafka-log-bytes): uncompressed,
  // the log holds every message (the warm-up's and the probes' too) in its batches' framing, and
  // the wire carried those batches in produce requests, whose own framing (per request, topic and
  // partition) adds more the fewer messages a batch has (here 1-2 per partition and linger).
  const nlohmann::json& kafka_overall = report["overall"][0];
  const double offered = kafka_overall["offered_bytes"].get<double>();
  EXPECT_GE(offered, 256.0 * 44'000);
  EXPECT_EQ(std::fmod(offered, 256.0), 0.0);
  const Outcome logs = Shell(probe + "kafka-log-bytes " + kafka_ + " " + prefix_ + "-");
  ASSERT_EQ(logs.exit_code, 0) << logs.output;
  const double stored = std::stod(logs.output.substr(6));
  ASSERT_TRUE(kafka_overall["wire_ratio"].is_number()) << kafka_overall.dump();
  EXPECT_GE(kafka_overall["wire_ratio"].get<double>(), stored / offered)
      << kafka_overall.dump() << " " << logs.output;
  EXPECT_LE(kafka_overall["wire_ratio"].get<double>(), 1.25 * stored / offered)
      << kafka_overall.dump() << " " << logs.output;
  EXPECT_NEAR(kafka_overall["wire_ratio"].get<double>(),
              kafka_overall["wire_bytes"].get<double>() / offered, 1e-9);
  // NATS: cnats counts the payloads it published (the protocol's framing not), so the messages
  // and the few JetStream API requests of the setup.
  const nlohmann::json& nats_overall = report["overall"][1];
  ASSERT_TRUE(nats_overall["wire_ratio"].is_number()) << nats_overall.dump();
  EXPECT_GE(nats_overall["wire_ratio"].get<double>(), 1.0);
  EXPECT_LT(nats_overall["wire_ratio"].get<double>(), 1.01);
  const std::string md = Read(dir_ / "first" / "report.md");
  EXPECT_THAT(md, HasSubstr("## Winner per metric"));
  EXPECT_THAT(md, HasSubstr("## Stage extreme"));
}

TEST_F(CompareTest, AStageTooShortForARateSaysSo) {
  const Outcome o = Shell(std::string(BROKERLOAD_BINARY) + " compare --config " + config_ +
                          " --profile seed --seed-rate 20000 --warmup 1s --side-by-side --out " +
                          (dir_ / "short").string());
  ASSERT_EQ(o.exit_code, 0) << o.output;
  const nlohmann::json report = nlohmann::json::parse(Read(dir_ / "short" / "report.json"));
  for (const auto& r : report["results"]) {
    SCOPED_TRACE(r.dump());
    EXPECT_LT(r["window_seconds"].get<double>(), 1.0);  // 1,000..10,000 messages at 20,000/s
    EXPECT_TRUE(r["achieved_rate"].is_null());
  }
  EXPECT_THAT(Read(dir_ / "short" / "report.md"), HasSubstr("n/a (window too short)"));
}

TEST_F(CompareTest, TheHtmlRendersInChromiumWithoutConsoleErrorsAndWithItsCharts) {
  const Outcome o = Compare("html");
  ASSERT_EQ(o.exit_code, 0) << o.output;
  const Outcome which = Shell("command -v chromium");
  ASSERT_EQ(which.exit_code, 0) << "chromium is missing: scripts/install-deps.sh installs it";
  const std::string profile = (dir_ / "chromium-profile").string();
  const Outcome rendered = Shell(
      "timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync "
      "--user-data-dir=" +
      profile + " --enable-logging=stderr --v=0 --dump-dom file://" +
      (dir_ / "html" / "report.html").string());
  ASSERT_EQ(rendered.exit_code, 0) << rendered.output;
  EXPECT_THAT(rendered.output, ::testing::Not(HasSubstr(":CONSOLE")));
  std::size_t charts = 0;
  for (std::size_t at = rendered.output.find("<svg class=\"chart\""); at != std::string::npos;
       at = rendered.output.find("<svg class=\"chart\"", at + 1)) {
    ++charts;
  }
  EXPECT_EQ(charts, 3u);
  EXPECT_THAT(rendered.output, HasSubstr("<rect class=\"bar\""));
  EXPECT_THAT(rendered.output, HasSubstr("<polyline class=\"line\""));
}

// --repeat: every repetition's figures in the report, and a gate that judges them by rank: a
// baseline whose three runs were all ten times as fast (doctored) is beaten by all three of this
// run's, which the rank test finds (p = 1/20) beyond the tolerance.
TEST_F(CompareTest, RepetitionsAreReportedAndGatedByTheirRanks) {
  const std::string config = (dir_ / "repeat.yaml").string();
  std::ofstream(config) << "targets:\n  nats: {servers: [\"" << nats_ << "\"]}\n"
                        << "workload: {topic_prefix: " << prefix_ << "-r}\n"
                        << "profile: {stages: [{name: s, rate: 2000, duration: 2s}]}\n";
  const auto compare = [&](const std::string& out, const std::string& extra) {
    return Shell(std::string(BROKERLOAD_BINARY) + " compare --config " + config +
                 " --warmup 1s --repeat 3 --out " + (dir_ / out).string() + " " + extra);
  };
  const Outcome first = compare("repeated", "");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  nlohmann::json report = nlohmann::json::parse(Read(dir_ / "repeated" / "report.json"));
  EXPECT_EQ(report["repetitions"], 3);
  ASSERT_EQ(report["repeated"].size(), 1u);
  EXPECT_EQ(report["repeated"][0]["end_to_end_p99_ms"].size(), 3u);
  for (const auto& p99 : report["repeated"][0]["end_to_end_p99_ms"]) EXPECT_GT(p99, 0);
  EXPECT_THAT(Read(dir_ / "repeated" / "report.md"), HasSubstr("## Repetitions"));

  for (auto& p99 : report["repeated"][0]["end_to_end_p99_ms"]) p99 = 0.001;
  for (auto& rate : report["repeated"][0]["achieved_rate"]) rate = 20'000;
  std::ofstream(dir_ / "fast3.json") << report.dump();
  const Outcome gated = compare("gated3", "--baseline " + (dir_ / "fast3.json").string());
  EXPECT_EQ(gated.exit_code, 5) << gated.output;
  EXPECT_THAT(gated.output, HasSubstr("REGRESSION nats s: p99 end-to-end latency median 0.00 ms"));
  EXPECT_THAT(gated.output, HasSubstr("regression (rank test, 3 vs 3 runs, p 0.05 worse"));
  EXPECT_THAT(Read(dir_ / "gated3" / "report.md"), HasSubstr("## Against the baseline"));

  const Outcome bad = compare("bad", "--repeat 0");
  EXPECT_EQ(bad.exit_code, 64) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("--repeat: expected a number of runs from 1 to 20, got '0'"));
}

TEST_F(CompareTest, ABaselineGatesRegressions) {
  ASSERT_EQ(Compare("baseline").exit_code, 0);
  // A baseline that achieved ten times the offered rate with a p99 of 1 us, which no run can:
  // every stage regressed, on p99 at least (its 10,000 samples support one), and on throughput
  // wherever this run's window supports a rate.
  nlohmann::json doctored = nlohmann::json::parse(Read(dir_ / "baseline" / "report.json"));
  for (auto& r : doctored["results"]) {
    r["achieved_rate"] = r["offered_rate"].get<double>() * 10;
    r["end_to_end_latency_ms"]["p99"] = 0.001;
  }
  std::ofstream(dir_ / "fast.json") << doctored.dump();
  const Outcome regressed = Compare("gated", "--baseline " + (dir_ / "fast.json").string());
  EXPECT_EQ(regressed.exit_code, 5) << regressed.output;
  EXPECT_THAT(regressed.output, HasSubstr("REGRESSION kafka low: p99 end-to-end latency"));
  EXPECT_THAT(regressed.output, HasSubstr("REGRESSION nats extreme: p99 end-to-end latency"));

  const Outcome same =
      Compare("again", "--baseline " + (dir_ / "baseline" / "report.json").string() +
                           " --max-throughput-drop 90 --max-p99-rise 100000");
  EXPECT_EQ(same.exit_code, 0) << same.output;
  EXPECT_THAT(same.output, HasSubstr("no regression against"));

  const Outcome bad = Compare("bad", "--baseline " + config_);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.output, HasSubstr("invalid report.json"));

  // A baseline sent in bursts measured another load: refused before anything runs.
  nlohmann::json bursty = nlohmann::json::parse(Read(dir_ / "baseline" / "report.json"));
  bursty["burst_interval_seconds"] = 0.005;
  std::ofstream(dir_ / "bursty.json") << bursty.dump();
  const Outcome other_load = Compare("other", "--baseline " + (dir_ / "bursty.json").string());
  EXPECT_EQ(other_load.exit_code, 2) << other_load.output;
  EXPECT_THAT(other_load.output, HasSubstr("its messages went in bursts of 0.005 s, this "
                                           "comparison's in bursts of 0 s"));

  // Nor does one of other messages (sizes, samples, headers, keys): named, refused.
  nlohmann::json larger = nlohmann::json::parse(Read(dir_ / "baseline" / "report.json"));
  larger["workload"]["message_sizes"] = "1024-byte messages";
  larger["workload"]["keys"] = 8;
  std::ofstream(dir_ / "larger.json") << larger.dump();
  const Outcome other_messages = Compare("others", "--baseline " + (dir_ / "larger.json").string());
  EXPECT_EQ(other_messages.exit_code, 2) << other_messages.output;
  EXPECT_THAT(other_messages.output,
              HasSubstr("it measured other messages (messages: the baseline's 1024-byte "
                        "messages, this comparison's 256-byte messages; workload.keys: the "
                        "baseline's 8, this comparison's 0)"));
}

// Started by a script in the background, where SIGINT is ignored: a SIGINT still stops it, with
// its consumers closed and the report of what it measured, marked interrupted; exit 128 + 2.
TEST_F(CompareTest, ASignalStopsItWithAnInterruptedReportEvenWhereSigintWasIgnored) {
  const std::string out = (dir_ / "interrupted").string();
  const std::string log = (dir_ / "interrupted.log").string();
  // The subshell waits for it and keeps its exit code; SIG_IGN is inherited across exec.
  const Outcome started = Shell(
      "(trap '' INT; " + std::string(BROKERLOAD_BINARY) + " compare --config " + config_ +
      " --profile seed --seed-rate 1000 --seed-min-duration 60s --warmup 1s --side-by-side --out " +
      out + " >" + log + " 2>&1 & echo $! >" + log + ".pid; wait $!; echo $? >" + log +
      ".rc) >/dev/null 2>&1 &");
  ASSERT_EQ(started.exit_code, 0) << started.output;
  ASSERT_TRUE(WaitUntil([&] { return !Read(log + ".pid").empty(); }, std::chrono::seconds(10)));
  const pid_t pid = static_cast<pid_t>(std::stol(Read(log + ".pid")));
  ASSERT_GT(pid, 0);
  // Until both targets publish, into the seed's first stage, then interrupt it.
  ASSERT_TRUE(WaitUntil([&] { return Read(log).find("warm-up:") != std::string::npos; },
                        std::chrono::seconds(60)))
      << Read(log);
  std::this_thread::sleep_for(std::chrono::seconds(4));  // 1 s warm-up, then 3 s of stage low
  const auto signalled = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(pid, SIGINT), 0);
  ASSERT_TRUE(WaitUntil([&] { return !Read(log + ".rc").empty(); }, std::chrono::seconds(40)))
      << "still running 40 s after SIGINT\n"
      << Read(log);
  EXPECT_LT(std::chrono::steady_clock::now() - signalled, std::chrono::seconds(40));
  EXPECT_EQ(Read(log + ".rc"), "130\n") << Read(log);
  EXPECT_THAT(Read(log), HasSubstr("compare: interrupted by signal 2"));
  // No wait for the clients' counts of bytes sent after a signal (a whole run waits: above).
  EXPECT_THAT(Read(log), ::testing::Not(HasSubstr("compare: waiting")));
  const nlohmann::json report = nlohmann::json::parse(Read(out + "/report.json"));
  EXPECT_THAT(report.at("interrupted").get<std::string>(),
              HasSubstr("by signal 2 (kafka in stage low, nats in stage low)"));
  // Stage low, measured over the 3 s or so of its window before the signal; no later stage.
  ASSERT_EQ(report.at("results").size(), 2u) << report.dump(2);
  for (const nlohmann::json& r : report.at("results")) {
    const std::string target = r.at("target").get<std::string>();
    EXPECT_EQ(r.at("stage"), "low");
    // Its window ends at the signal; arrivals during the drain would pass for a rate kept up.
    EXPECT_GT(r.at("window_seconds").get<double>(), 2.0) << target;
    EXPECT_LT(r.at("window_seconds").get<double>(), 6.0) << target;
    EXPECT_TRUE(r.at("achieved_rate").is_null()) << target;
    EXPECT_GT(r.at("published").get<std::uint64_t>(), 2'000u) << target;
    EXPECT_EQ(r.at("lost").get<std::uint64_t>(), 0u) << target;
    // Drained before the consumers closed.
    EXPECT_EQ(r.at("consumed"), r.at("published")) << target;
  }
  EXPECT_THAT(Read(out + "/report.md"), HasSubstr("**Interrupted by signal 2"));
  // An interrupted report is no baseline.
  const Outcome judged = Compare("judged", "--baseline " + out + "/report.json");
  EXPECT_EQ(judged.exit_code, 2);
  EXPECT_THAT(judged.output, HasSubstr("an interrupted comparison"));
}

}  // namespace
}  // namespace brokerload::testing
