// brokerload run against the real brokers: a short profile on each target and on both at once,
// with and without keys; every figure is read back from a scrape of /metrics.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "broker_env.hpp"
#include "brokerload_process.hpp"
#include "message/header.hpp"
#include "message/message_headers.hpp"

namespace brokerload::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kMessages = 3'000;  // per target, over 5 topics
// run.warmup: 1 s at the stage's 1,500 msg/s, sent first: counted, never in a histogram.
constexpr int kWarmupMessages = 1'500;
constexpr int kTotal = kMessages + kWarmupMessages;

struct Case {
  bool kafka;
  bool nats;
  int keys;
  int workers;  // 0: accounted inline on the consumer threads
  std::string name;
};

void PrintTo(const Case& c, std::ostream* out) { *out << c.name; }

std::string Config(const Case& c, const std::string& kafka, const std::string& nats,
                   const std::string& prefix) {
  std::string yaml = "targets:\n";
  if (c.kafka) yaml += "  kafka: {bootstrap_servers: \"" + kafka + "\"}\n";
  if (c.nats) yaml += "  nats: {servers: [\"" + nats + "\"], stream: {max_bytes: 16777216}}\n";
  yaml += "workload: {topic_prefix: " + prefix + ", keys: " + std::to_string(c.keys) +
          ", workers: " + std::to_string(c.workers) +
          "}\n"
          "profile:\n  stages: [{name: short, rate: 1500, messages: " +
          std::to_string(kMessages) +
          "}]\n"
          "metrics: {listen: \"127.0.0.1:0\"}\n"
          "run: {loss_grace: 15s, drain_timeout: 10s, startup_timeout: 60s, "
          "warmup: 1s}\n";
  return yaml;
}

class EngineTest : public ::testing::TestWithParam<Case> {};

TEST_P(EngineTest, EveryPublishedMessageIsAckedAndConsumedOnceInOrder) {
  const Case& c = GetParam();
  std::string kafka, nats;
  if (c.kafka) {
    ASSERT_TRUE(LoadBrokerAddress("KAFKA_BOOTSTRAP", kafka));
  }
  if (c.nats) {
    ASSERT_TRUE(LoadBrokerAddress("NATS_URL", nats));
  }
  BrokerloadProcess process(Config(c, kafka, nats, UniqueName("engine-" + c.name)));
  const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(10));
  ASSERT_NE(port, 0) << process.Log();
  EXPECT_EQ(HttpGet(port, "/healthz").first, 200);

  std::vector<std::string> targets;
  if (c.kafka) targets.push_back("kafka");
  if (c.nats) targets.push_back("nats");
  std::string metrics;
  // Once ready end to end, the schedule begins with the warm-up stage.
  const auto ready_by = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (HttpGet(port, "/readyz").first != 200 && std::chrono::steady_clock::now() < ready_by) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  metrics = HttpGet(port, "/metrics").second;
  for (const std::string& t : targets) {
    EXPECT_EQ(SumMetric(metrics, "brokerload_stage_info", {{"target", t}, {"stage", "warmup"}}), 1)
        << metrics;
  }
  auto done = [&] {
    metrics = HttpGet(port, "/metrics").second;
    for (const std::string& t : targets) {
      if (SumMetric(metrics, "brokerload_messages_processed_total", {{"target", t}}) < kTotal ||
          SumMetric(metrics, "brokerload_messages_acked_total", {{"target", t}}) < kTotal) {
        return false;
      }
    }
    return true;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(HttpGet(port, "/readyz").first, 200);
  for (const std::string& t : targets) {
    SCOPED_TRACE(t);
    const std::map<std::string, std::string> target = {{"target", t}};
    ExpectEachMessageOnce(metrics, target, kTotal);
    EXPECT_EQ(SumMetric(metrics, "brokerload_messages_processed_total", target), kTotal);
    EXPECT_EQ(SumMetric(metrics, "brokerload_messages_out_of_order_total", target), 0);
    EXPECT_EQ(SumMetric(metrics, "brokerload_messages_foreign_total", target), 0);
    EXPECT_EQ(SumMetric(metrics, "brokerload_messages_unconfirmed_total", target), 0);
    EXPECT_EQ(SumMetric(metrics, "brokerload_messages_delivered_after_error_total", target), 0);
    EXPECT_EQ(SumMetric(metrics, "brokerload_messages_dropped_by_client_total", target), 0);
    // The histograms count every message after the warm-up, and none of it (probes neither).
    EXPECT_EQ(SumMetric(metrics, "brokerload_end_to_end_latency_seconds_count", target), kMessages);
    EXPECT_EQ(SumMetric(metrics, "brokerload_end_to_end_service_latency_seconds_count", target),
              kMessages);
    EXPECT_EQ(SumMetric(metrics, "brokerload_publish_latency_seconds_count", target), kMessages);
    EXPECT_EQ(SumMetric(metrics, "brokerload_send_lag_seconds_count", target), kMessages);
    EXPECT_EQ(SumMetric(metrics, "brokerload_end_to_end_latency_seconds_bucket",
                        {{"target", t}, {"le", "+Inf"}}),
              kMessages);
    EXPECT_GT(SumMetric(metrics, "brokerload_end_to_end_latency_seconds_sum", target), 0);
    EXPECT_EQ(SumMetric(metrics, "brokerload_broker_connected", target), 1);
    EXPECT_EQ(SumMetric(metrics, "brokerload_stage_info", {{"target", t}, {"stage", "short"}}), 1);
  }
  EXPECT_GT(SumMetric(metrics, "process_resident_memory_bytes"), 0);
  if (c.workers > 0) {
    EXPECT_GT(SumMetric(metrics, "process_threads"), c.workers);
  }
  // Every thread of brokerload's own, and each client thread that calls into it, carries its
  // role (log::NameThread), as top -H and bench/send_lag.py --threads show them.
  std::multiset<std::string> names;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(process.Pid()) + "/task")) {
    std::string name;
    std::getline(std::ifstream(task.path() / "comm"), name);
    names.insert(name);
  }
  for (const char* role : {"bl-http"}) EXPECT_EQ(names.count(role), 1u) << role;
  if (c.kafka) {
    for (const char* role : {"bl-pub-kafka", "bl-kafka-acks", "bl-kafka-consum"}) {
      EXPECT_EQ(names.count(role), 1u) << role;
    }
  }
  if (c.nats) {
    EXPECT_EQ(names.count("bl-pub-nats"), 1u);
    EXPECT_EQ(names.count("bl-nats-acks"), 1u);
    // Accounted inline, every topic's messages are taken on the consumer connection's one reader
    // thread (driver/nats/reader_handler.hpp); handed to workers, which may wait, on a delivery
    // thread per subscription that delivered (its queue holds the backlog).
    if (c.workers == 0) {
      EXPECT_EQ(names.count("bl-nats-consume"), 1u);
    } else {
      EXPECT_GE(names.count("bl-nats-consume"), 1u);
    }
  }
  EXPECT_EQ(names.count("bl-worker"), static_cast<std::size_t>(c.workers));

  EXPECT_EQ(process.Terminate(std::chrono::seconds(30)), 0) << process.Log();
  EXPECT_NE(process.Stdout().find("brokerload summary"), std::string::npos) << process.Stdout();
}

INSTANTIATE_TEST_SUITE_P(
    Targets, EngineTest,
    ::testing::Values(Case{true, false, 0, 16, "kafka"}, Case{false, true, 0, 16, "nats"},
                      Case{true, true, 0, 0, "both"}, Case{true, false, 8, 0, "kafka_keys"},
                      Case{false, true, 8, 16, "nats_keys"}, Case{true, true, 8, 0, "both_keys"}),
    [](const ::testing::TestParamInfo<Case>& param) { return param.param.name; });

// A bootstrap server whose name does not resolve: the start ends with exit 3 once
// run.startup_timeout has passed, and the message names the host and the cause (librdkafka's
// words), not only "no broker answered".
TEST(Engine, AnUnresolvableKafkaHostEndsTheStartNamingTheHostAndTheCause) {
  BrokerloadProcess process(
      "targets:\n  kafka: {bootstrap_servers: \"no-such-host.invalid:9092\"}\n"
      "profile: {rate: 100}\n"
      "metrics: {listen: \"127.0.0.1:0\"}\n"
      "run: {startup_timeout: 5s, warmup: 0s}\n");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(process.WaitForExit(std::chrono::seconds(90)), 3) << process.Log();
  // run.startup_timeout bounds the whole start (it took 30 s, a fixed wait, before).
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(12)) << process.Log();
  const std::string log = process.Log();
  const auto at = log.find("error kafka: no broker answered");
  ASSERT_NE(at, std::string::npos) << log;
  const std::string line = log.substr(at, log.find('\n', at) - at);
  EXPECT_NE(line.find("Failed to resolve 'no-such-host.invalid:9092'"), std::string::npos) << line;
}

// CRC-32 (IEEE, reflected), librdkafka's rd_crc32: its default partitioner (consistent_random)
// puts a keyed message in partition crc32(key) % partitions.
std::uint32_t Crc32(const unsigned char* data, std::size_t size) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

// deploy/local/probe.py with `args`: the outside truth of the tests below.
CommandOutput Probe(const std::string& args) {
  return Command("python3 " BROKERLOAD_SOURCE_DIR "/deploy/local/probe.py " + args);
}

// A new temporary file of `lines`, one a line (workload.payload's samples); its path.
std::string WriteSampleFile(const std::string& name, const std::vector<std::string>& lines) {
  const std::string file = std::filesystem::temp_directory_path() / (UniqueName(name) + ".jsonl");
  std::ofstream out(file);
  for (const std::string& line : lines) out << line << "\n";
  return file;
}

// What `probe.py COMMAND PREFIX-0` and `... PREFIX-1` print, one after the other (the payload
// tests' two topics); empty, with the failure recorded, where either fails.
std::string ProbeTwoTopics(const std::string& command, const std::string& prefix) {
  std::string text;
  for (const char* topic : {"-0", "-1"}) {
    const CommandOutput out = Probe(command + " " + prefix + topic);
    if (out.exit_code != 0) {
      ADD_FAILURE() << command << " " << prefix << topic << ": " << out.text;
      return "";
    }
    text += out.text;
  }
  return text;
}

// The bytes that `hex` spells, two digits each.
std::string FromHex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// Waits until `process` (a bounded profile) has `messages` acknowledged on each of `targets`,
// then stops it (exit 0); the last scrape, or empty with the failure recorded when it did not
// get there.
std::string AckedThenStopped(BrokerloadProcess& process, std::initializer_list<const char*> targets,
                             int messages) {
  const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(90));
  EXPECT_NE(port, 0) << process.Log();
  std::string metrics;
  for (const char* target : targets) {
    if (port == 0 || !WaitForAbove(port, metrics, "brokerload_messages_acked_total", target,
                                   messages - 1, std::chrono::seconds(60))) {
      ADD_FAILURE() << target << ": " << messages << " not acknowledged\n" << process.Log();
      return "";
    }
  }
  EXPECT_EQ(process.Terminate(std::chrono::seconds(30)), 0) << process.Log();
  return metrics;
}

// workload.key_skew: keys drawn by the Zipf law reach Kafka's partitions in the shares that the
// law and librdkafka's partitioner give them. The outside truth is the broker's end offset of
// each partition (deploy/local/probe.py kafka-partition-ends); keys in turn would give each of
// these 4 partitions 25 %, the skew 54.7 / 20.6 / 10.0 / 14.6 %.
TEST(Engine, SkewedKeysFillKafkasPartitionsInTheirZipfShares) {
  constexpr int kSkewedMessages = 6'000;
  constexpr std::uint32_t kKeys = 8;
  constexpr double kSkew = 1.5;  // as written in the config below
  constexpr std::uint32_t kPartitions = 4;
  std::string kafka;
  ASSERT_TRUE(LoadBrokerAddress("KAFKA_BOOTSTRAP", kafka));
  const std::string prefix = UniqueName("zipf");
  BrokerloadProcess process(
      "targets:\n  kafka: {bootstrap_servers: \"" + kafka + "\", topic: {partitions: " +
      std::to_string(kPartitions) + "}}\nworkload: {topics: 1, topic_prefix: " + prefix +
      ", keys: " + std::to_string(kKeys) + ", key_skew: 1.5}\n" +
      "profile: {stages: [{name: s, rate: 3000, messages: " + std::to_string(kSkewedMessages) +
      "}]}\n"
      "metrics: {listen: \"127.0.0.1:0\"}\n"
      // A stall of the shared machine delays sends, never drops them.
      "run: {warmup: 0s, max_send_lag: 60s}\n");
  ASSERT_FALSE(AckedThenStopped(process, {"kafka"}, kSkewedMessages).empty());
  const CommandOutput ends = Probe("kafka-partition-ends " + kafka + " " + prefix + "-");
  ASSERT_EQ(ends.exit_code, 0) << ends.text;
  std::map<std::uint32_t, double> stored;
  std::istringstream fields(ends.text);
  for (std::string field; fields >> field;) {
    stored[static_cast<std::uint32_t>(std::stoul(field.substr(0, field.find('='))))] =
        std::stod(field.substr(field.find('=') + 1));
  }
  ASSERT_EQ(stored.size(), kPartitions) << ends.text;
  double norm = 0;
  for (std::uint32_t k = 0; k < kKeys; ++k) norm += std::pow(k + 1.0, -kSkew);
  std::vector<double> share(kPartitions, 0);
  for (std::uint32_t k = 0; k < kKeys; ++k) {
    const auto bytes = std::bit_cast<std::array<unsigned char, 4>>(k);  // the key as sent
    share[Crc32(bytes.data(), bytes.size()) % kPartitions] += std::pow(k + 1.0, -kSkew) / norm;
  }
  for (std::uint32_t p = 0; p < kPartitions; ++p) {
    const double expected = kSkewedMessages * share[p];
    const double sigma = std::sqrt(kSkewedMessages * share[p] * (1 - share[p]));
    // Each partition also holds brokerload's readiness probe (one, or a few where a round of
    // probes was sent again before every answer came back: within the tolerance).
    EXPECT_NEAR(stored[p] - 1, expected, 5 * sigma + 0.5)
        << "partition " << p << " (" << ends.text << ")";
  }
  EXPECT_EQ(Cleanup(process.ConfigPath()).exit_code, 0);
}

// workload.message_size as a log-normal: the sizes JetStream stored (deploy/local/probe.py
// nats-sizes, every message of the stream) have the configured median and 99th percentile, within
// 5 sigma of their ranks, stay within min and max, and add up to brokerload's own
// bytes_published_total.
TEST(Engine, LogNormalSizesAreWhatJetStreamStores) {
  constexpr int kSized = 3'000;
  constexpr std::uint32_t kP50 = 1'000;
  constexpr std::uint32_t kP99 = 20'000;
  constexpr std::uint32_t kMax = 65'536;
  std::string nats, address;
  ASSERT_TRUE(SingleTargetYaml("nats", nats, address));
  const std::string prefix = UniqueName("sizes");
  BrokerloadProcess process(
      nats + "workload: {topics: 1, topic_prefix: " + prefix +
      ", message_size: {distribution: lognormal, p50: " + std::to_string(kP50) +
      ", p99: " + std::to_string(kP99) + ", max: " + std::to_string(kMax) + "}}\n" +
      "profile: {stages: [{name: s, rate: 3000, messages: " + std::to_string(kSized) +
      "}]}\n"
      "metrics: {listen: \"127.0.0.1:0\"}\n"
      "run: {warmup: 0s, max_send_lag: 60s}\n");
  const std::string metrics = AckedThenStopped(process, {"nats"}, kSized);
  ASSERT_FALSE(metrics.empty());
  const double published_bytes =
      SumMetric(metrics, "brokerload_bytes_published_total", {{"target", "nats"}});
  const CommandOutput out =
      Probe("nats-sizes " + address.substr(address.find("//") + 2) + " " + prefix + "-0");
  ASSERT_EQ(out.exit_code, 0) << out.text;
  std::vector<std::uint32_t> stored;
  std::istringstream lines(out.text);
  for (std::uint32_t size = 0; lines >> size;) stored.push_back(size);
  // The readiness probe's messages come first: the run's are the last kSized.
  ASSERT_GE(stored.size(), static_cast<std::size_t>(kSized)) << out.text;
  std::vector<std::uint32_t> sizes(stored.end() - kSized, stored.end());
  double sum = 0;
  for (std::uint32_t size : sizes) sum += size;
  EXPECT_EQ(sum, published_bytes);
  std::sort(sizes.begin(), sizes.end());
  EXPECT_GE(sizes.front(), 56u);  // the header
  EXPECT_LE(sizes.back(), kMax);
  for (const auto& [q, size] : {std::pair{0.5, kP50}, {0.99, kP99}}) {
    const double spread = 5 * std::sqrt(kSized * q * (1 - q));
    EXPECT_LE(sizes[static_cast<std::size_t>(kSized * q - spread)], size) << q;
    EXPECT_GE(
        sizes[std::min<std::size_t>(static_cast<std::size_t>(kSized * q + spread), kSized - 1)],
        size)
        << q;
  }
  EXPECT_EQ(Cleanup(process.ConfigPath()).exit_code, 0);
}

// workload.payload samples, sent in turn after brokerload's header: what Kafka and JetStream
// stored (deploy/local/probe.py kafka-values, every record of the topics; nats-payloads, every
// message of the streams) is each run message's header, then exactly sample (n % 5) for the
// run's message n, once per n, over two topics.
TEST(Engine, SamplePayloadsAreStoredWholeAfterTheHeader) {
  constexpr int kSampled = 600;
  const std::vector<std::string> samples = {R"({"id":1,"name":"alpha"})",
                                            R"({"id":2,"tags":["x","y"],"nested":{"k":"v"}})",
                                            R"({"id":3})", R"({"id":4,"text":"caf\u00e9 \u2603"})",
                                            R"({"id":5,"pad":")" + std::string(700, 'p') + R"("})"};
  const std::string file = WriteSampleFile("samples", samples);
  std::string targets, kafka, nats;
  ASSERT_TRUE(BothTargetsYaml(targets));
  ASSERT_TRUE(LoadBrokerAddress("KAFKA_BOOTSTRAP", kafka));
  ASSERT_TRUE(LoadBrokerAddress("NATS_URL", nats));
  const std::string prefix = UniqueName("samples");
  BrokerloadProcess process(
      targets + "workload: {topics: 2, topic_prefix: " + prefix + ", payload: {samples: " + file +
      "}}\n" + "profile: {stages: [{name: s, rate: 600, messages: " + std::to_string(kSampled) +
      "}]}\n"
      "metrics: {listen: \"127.0.0.1:0\"}\n"
      "run: {warmup: 0s, max_send_lag: 60s}\n");
  ASSERT_FALSE(AckedThenStopped(process, {"kafka", "nats"}, kSampled).empty());
  const auto check = [&](const std::string& target, const std::string& command, bool kafka_lines) {
    std::set<std::uint64_t> indexes;  // each run message's index: sequence * 2 + topic
    std::istringstream lines(ProbeTwoTopics(command, prefix));
    for (std::string line; std::getline(lines, line);) {
      const std::string payload = FromHex(kafka_lines ? line.substr(line.rfind(' ') + 1) : line);
      const std::optional<message::Header> header =
          message::Decode(std::as_bytes(std::span(payload)));
      ASSERT_TRUE(header) << target << ": a stored message without brokerload's header: " << line;
      if (message::IsProbe(*header)) continue;
      const std::string body = payload.substr(message::kHeaderSize);
      // Message n of the run goes to topic n % 2 as its sequence n / 2, with sample n % 5.
      const std::uint64_t n = header->sequence * 2 + header->topic;
      EXPECT_EQ(body, samples[n % samples.size()]) << target << " message " << n;
      EXPECT_TRUE(indexes.insert(n).second) << target << ": message " << n << " stored twice";
    }
    EXPECT_EQ(indexes.size(), static_cast<std::size_t>(kSampled)) << target;
    EXPECT_EQ(*indexes.rbegin(), kSampled - 1u) << target;
  };
  check("kafka", "kafka-values " + kafka, true);
  check("nats", "nats-payloads " + nats.substr(nats.find("//") + 2), false);
  EXPECT_EQ(Cleanup(process.ConfigPath()).exit_code, 0);
  std::filesystem::remove(file);
}

// workload.brokerload_header: message_header: the broker stores each sample exactly as it is (a
// JSON consumer reads it as such), brokerload's header travels in the Kafka record header or NATS
// message header "brokerload" (binary, or base64), the extra headers beside it; and brokerload
// still accounts every message by that header: consumed as acknowledged, none foreign.
TEST(Engine, AMessageHeaderCarriesTheHeaderSoTheSampleIsStoredAsItIs) {
  constexpr int kSampled = 400;
  const std::vector<std::string> samples = {R"({"id":1,"name":"alpha"})", R"({"id":2})",
                                            R"([1,2,3])"};
  const std::string file = WriteSampleFile("headers", samples);
  std::string targets, kafka, nats;
  ASSERT_TRUE(BothTargetsYaml(targets));
  ASSERT_TRUE(LoadBrokerAddress("KAFKA_BOOTSTRAP", kafka));
  ASSERT_TRUE(LoadBrokerAddress("NATS_URL", nats));
  const std::string prefix = UniqueName("headers");
  BrokerloadProcess process(
      targets + "workload: {topics: 2, topic_prefix: " + prefix + ", payload: {samples: " + file +
      "}, brokerload_header: message_header, headers: {count: 2, size: 24}}\n" +
      "profile: {stages: [{name: s, rate: 400, messages: " + std::to_string(kSampled) +
      "}]}\n"
      "metrics: {listen: \"127.0.0.1:0\"}\n"
      "run: {warmup: 0s, max_send_lag: 60s}\n");
  const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(90));
  ASSERT_NE(port, 0) << process.Log();
  std::string metrics;
  for (const char* target : {"kafka", "nats"}) {
    ASSERT_TRUE(WaitForAbove(port, metrics, "brokerload_messages_consumed_total", target,
                             kSampled - 1, std::chrono::seconds(60)))
        << target << "\n"
        << process.Log();
  }
  for (const char* target : {"kafka", "nats"}) {
    EXPECT_EQ(SumMetric(metrics, "brokerload_messages_consumed_total", {{"target", target}}),
              kSampled)
        << target;
    EXPECT_EQ(SumMetric(metrics, "brokerload_messages_foreign_total", {{"target", target}}), 0)
        << target;
  }
  EXPECT_EQ(process.Terminate(std::chrono::seconds(30)), 0) << process.Log();
  const auto check = [&](const std::string& target, const std::string& command, bool kafka_lines) {
    std::set<std::uint64_t> indexes;
    std::istringstream lines(ProbeTwoTopics(command, prefix));
    for (std::string line; std::getline(lines, line);) {
      std::istringstream fields(line);
      std::string field;
      if (kafka_lines) fields >> field >> field;  // partition, offset
      std::string payload_hex;
      fields >> payload_hex;  // "-": empty (a readiness probe's: its header only)
      if (payload_hex == "-") payload_hex.clear();
      std::map<std::string, std::string> headers;
      while (fields >> field) {
        headers[field.substr(0, field.find('='))] = FromHex(field.substr(field.find('=') + 1));
      }
      ASSERT_EQ(headers.count("brokerload"), 1u) << target << ": " << line;
      std::array<std::byte, message::kHeaderSize> raw{};
      const std::string& carried = headers["brokerload"];
      if (kafka_lines) {
        ASSERT_EQ(carried.size(), message::kHeaderSize) << line;
        std::memcpy(raw.data(), carried.data(), raw.size());
      } else {
        ASSERT_TRUE(message::HeaderFromText(carried, raw)) << line;
      }
      const std::optional<message::Header> header = message::Decode(raw);
      ASSERT_TRUE(header) << target << ": " << line;
      if (message::IsProbe(*header)) continue;
      const std::uint64_t n = header->sequence * 2 + header->topic;
      EXPECT_EQ(FromHex(payload_hex), samples[n % samples.size()]) << target << " message " << n;
      for (const char* extra : {"x-brokerload-1", "x-brokerload-2"}) {
        EXPECT_EQ(headers[extra].size(), 24u) << target << " " << extra << ": " << line;
      }
      EXPECT_NE(headers["x-brokerload-1"], headers["x-brokerload-2"]) << line;
      EXPECT_TRUE(indexes.insert(n).second) << target << ": message " << n << " stored twice";
    }
    EXPECT_EQ(indexes.size(), static_cast<std::size_t>(kSampled)) << target;
  };
  check("kafka", "kafka-records " + kafka, true);
  check("nats", "nats-records " + nats.substr(nats.find("//") + 2), false);
  EXPECT_EQ(Cleanup(process.ConfigPath()).exit_code, 0);
  std::filesystem::remove(file);
}

// targets.nats.stream.compression: s2: what the server reports it stores (the stream's bytes,
// before compression) against what the stream's message blocks take on its disk (the fixture's
// store directory), on JSON samples, with and without S2. The server compresses a block once it
// is full: max_bytes 120,000 gives the smallest blocks (32 kB, nats-server's dynBlkSize), and 300
// messages (about 90 kB, under the limit) fill two. A server before 2.10 ignores the setting:
// brokerload then refuses to start, naming it.
TEST(Engine, JetStreamS2CompressesTheStreamsFiles) {
  constexpr int kStored = 300;
  std::string nats, store;
  ASSERT_TRUE(LoadBrokerAddress("NATS_URL", nats));
  ASSERT_TRUE(LoadBrokerAddress("NATS_STORE_DIR", store));
  const std::string address = nats.substr(nats.find("//") + 2);
  const CommandOutput version = Probe("nats-version " + address);
  ASSERT_EQ(version.exit_code, 0) << version.text;
  const int major = std::stoi(version.text);
  const int minor = std::stoi(version.text.substr(version.text.find('.') + 1));
  const std::string file = std::filesystem::temp_directory_path() / (UniqueName("s2") + ".jsonl");
  {
    std::ofstream out(file);
    for (int i = 0; i < 100; ++i) {
      out << R"({"ts":"2026-12-07T11:)" << 10 + i % 50 << R"(:00Z","method":"POST","path":"/api/)"
          << (i % 3 == 0 ? "orders" : "users") << R"(","status":200,"latency_ms":)" << i % 89
          << R"(,"agent":"curl/8.5.0","region":"eu-west-1"})"
          << "\n";
    }
  }
  const auto yaml = [&](const std::string& prefix, const char* compression, const char* startup) {
    return "targets:\n  nats: {servers: [\"" + nats +
           "\"], stream: {storage: file, max_bytes: 120000, compression: " + compression +
           "}}\nworkload: {topics: 1, topic_prefix: " + prefix + ", payload: {samples: " + file +
           "}}\nprofile: {stages: [{name: s, rate: 1000, messages: " + std::to_string(kStored) +
           "}]}\nmetrics: {listen: \"127.0.0.1:0\"}\n"
           "run: {warmup: 0s, max_send_lag: 60s, startup_timeout: " +
           startup + "}\n";
  };
  if (major < 2 || (major == 2 && minor < 10)) {
    BrokerloadProcess process(yaml(UniqueName("s2old"), "s2", "5s"));
    EXPECT_EQ(process.WaitForExit(std::chrono::seconds(60)), 3) << process.Log();
    EXPECT_THAT(process.Log(), ::testing::HasSubstr("needs nats-server 2.10 or later"));
    Cleanup(process.ConfigPath());  // the stream it created uncompressed
    std::filesystem::remove(file);
    return;
  }
  // The blocks' bytes on disk over the stream's bytes, once the last full block is compressed
  // (the server does it in the background: until it stops changing, at most 10 s).
  const auto ratio = [&](const char* compression) {
    const std::string prefix = UniqueName(std::string("s2") + compression);
    BrokerloadProcess process(yaml(prefix, compression, "60s"));
    EXPECT_FALSE(AckedThenStopped(process, {"nats"}, kStored).empty());
    const CommandOutput state = Probe("nats-stream-bytes " + address + " " + prefix + "-0");
    EXPECT_EQ(state.exit_code, 0) << state.text;
    const double stored = state.exit_code == 0 ? std::stod(state.text.substr(6)) : 0;
    const std::filesystem::path blocks =
        std::filesystem::path(store) / "jetstream" / "$G" / "streams" / (prefix + "-0") / "msgs";
    const auto disk = [&] {
      double bytes = 0;
      std::error_code ec;
      for (const auto& entry : std::filesystem::directory_iterator(blocks, ec)) {
        if (entry.path().extension() == ".blk") bytes += static_cast<double>(entry.file_size());
      }
      return bytes;
    };
    double on_disk = disk();
    for (int i = 0; i < 100; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      const double now = disk();
      if (now == on_disk && i >= 10) break;
      on_disk = now;
    }
    EXPECT_EQ(Cleanup(process.ConfigPath()).exit_code, 0);
    EXPECT_GT(stored, 60'000) << compression << ": " << state.text;
    EXPECT_LT(stored, 120'000) << compression << ": " << state.text;
    return stored > 0 ? on_disk / stored : 0.0;
  };
  const double plain = ratio("none");
  const double compressed = ratio("s2");
  {
    // A stream an uncompressed run left under the same name is not taken for a compressed one.
    const std::string reused = UniqueName("s2reuse");
    BrokerloadProcess uncompressed(yaml(reused, "none", "60s"));
    EXPECT_FALSE(AckedThenStopped(uncompressed, {"nats"}, kStored).empty());
    BrokerloadProcess again(yaml(reused, "s2", "5s"));
    EXPECT_EQ(again.WaitForExit(std::chrono::seconds(60)), 3) << again.Log();
    EXPECT_THAT(again.Log(), ::testing::HasSubstr("exists uncompressed"));
    EXPECT_EQ(Cleanup(uncompressed.ConfigPath()).exit_code, 0);
  }
  std::printf("disk / stream bytes: none %.3f, s2 %.3f\n", plain, compressed);
  // Uncompressed, the blocks hold exactly the records the stream counts.
  EXPECT_NEAR(plain, 1.0, 0.05);
  // S2: two full blocks of repetitive JSON shrink, the block being written does not.
  EXPECT_LT(compressed, 0.75);
  EXPECT_LT(compressed, plain - 0.25);
  std::filesystem::remove(file);
}

// NATS counts a message's header block against its max_payload with the payload (cnats checks the
// payload alone, and the server closes the connection over it): a workload whose largest message
// would pass it with its headers is refused at the start, without retrying, naming both sizes.
TEST(Engine, AHeaderBlockOverTheServersMaxPayloadIsRefusedAtTheStart) {
  std::string nats;
  ASSERT_TRUE(LoadBrokerAddress("NATS_URL", nats));
  BrokerloadProcess process("targets:\n  nats: {servers: [\"" + nats +
                            "\"]}\nworkload: {topics: 1, topic_prefix: " + UniqueName("maxpay") +
                            ", message_size: 1048576, brokerload_header: message_header}\n"
                            "profile: {stages: [{name: s, rate: 10, messages: 10}]}\n"
                            "metrics: {listen: \"127.0.0.1:0\"}\n"
                            "run: {warmup: 0s, startup_timeout: 60s}\n");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(process.WaitForExit(std::chrono::seconds(60)), 3) << process.Log();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));  // no retries
  // 1,048,576 - 56 + "NATS/1.0\r\n\r\n" (12) + "brokerload: " + 76 + "\r\n" (90).
  EXPECT_THAT(process.Log(), ::testing::HasSubstr("the largest message with its headers "
                                                  "(1048622 B, of which 102 B of header block"));
  EXPECT_THAT(process.Log(), ::testing::HasSubstr("exceeds the server's max_payload (1048576 B)"));
}

// Kafka's compression.type on JSON samples: the ratio brokerload reports (its producer's bytes on
// the wire, brokerload_producer_sent_bytes_total, over the bytes it published) against the one the
// broker's own log shows (the topic's log size, probe.py kafka-log-bytes: DescribeLogDirs), with
// and without zstd.
TEST(Engine, KafkaCompressionRatioIsTheOneTheBrokersLogShows) {
  constexpr int kCompressed = 3'000;
  const std::string file =
      std::filesystem::temp_directory_path() / (UniqueName("events") + ".jsonl");
  {
    std::ofstream out(file);
    const char* paths[] = {"/api/orders", "/api/users/42", "/health", "/api/cart/items"};
    for (int i = 0; i < 200; ++i) {
      out << R"({"ts":"2026-12-07T10:)" << 10 + i % 50 << R"(:00Z","method":"GET","path":")"
          << paths[i % 4] << R"(","status":)" << (i % 7 == 0 ? 500 : 200) << R"(,"latency_ms":)"
          << i % 97 << R"j(,"agent":"Mozilla/5.0 (X11; Linux x86_64)"})j"
          << "\n";
    }
  }
  std::string kafka;
  ASSERT_TRUE(LoadBrokerAddress("KAFKA_BOOTSTRAP", kafka));
  // {brokerload's ratio, the broker's}
  const auto ratios = [&](const std::string& codec) -> std::pair<double, double> {
    const std::string prefix = UniqueName("codec");
    BrokerloadProcess process(
        "targets:\n  kafka: {bootstrap_servers: \"" + kafka +
        "\", producer: {compression.type: " + codec +
        ", linger.ms: \"20\", statistics.interval.ms: \"500\"}}\n"
        "workload: {topics: 1, topic_prefix: " +
        prefix + ", payload: {samples: " + file +
        "}}\nprofile: {stages: [{name: s, rate: 3000, messages: " + std::to_string(kCompressed) +
        "}]}\nmetrics: {listen: \"127.0.0.1:0\"}\nrun: {warmup: 0s, max_send_lag: 60s}\n");
    const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(90));
    EXPECT_NE(port, 0) << process.Log();
    std::string metrics;
    EXPECT_TRUE(port != 0 && WaitForAbove(port, metrics, "brokerload_messages_acked_total", "kafka",
                                          kCompressed - 1, std::chrono::seconds(60)))
        << process.Log();
    // Two statistics intervals after the last ack: librdkafka has counted every request.
    std::this_thread::sleep_for(std::chrono::milliseconds(1'200));
    metrics = HttpGet(port, "/metrics").second;
    const double sent = SumMetric(metrics, "brokerload_producer_sent_bytes_total");
    const double published = SumMetric(metrics, "brokerload_bytes_published_total");
    EXPECT_EQ(process.Terminate(std::chrono::seconds(30)), 0) << process.Log();
    const CommandOutput logs = Probe("kafka-log-bytes " + kafka + " " + prefix + "-");
    EXPECT_EQ(logs.exit_code, 0) << logs.text;
    const double stored = logs.exit_code == 0 ? std::stod(logs.text.substr(6)) : 0;
    EXPECT_EQ(Cleanup(process.ConfigPath()).exit_code, 0);
    EXPECT_GT(published, 0) << codec;
    return {sent / published, stored / published};
  };
  const auto [none_ours, none_broker] = ratios("none");
  const auto [zstd_ours, zstd_broker] = ratios("zstd");
  std::printf("sent/published against stored/published: none %.3f / %.3f, zstd %.3f / %.3f\n",
              none_ours, none_broker, zstd_ours, zstd_broker);
  // Uncompressed the log holds what was published and a record's framing; so does the wire.
  EXPECT_NEAR(none_broker, 1.0, 0.15);
  EXPECT_NEAR(none_ours, none_broker, 0.15 * none_broker);
  // zstd: well under half, and brokerload says the same as the broker's log within 15 %.
  EXPECT_LT(zstd_broker, 0.5 * none_broker);
  EXPECT_NEAR(zstd_ours, zstd_broker, 0.15 * zstd_broker)
      << "brokerload's " << zstd_ours << " against the log's " << zstd_broker;
  std::filesystem::remove(file);
}

// Settings that librdkafka refuses only when it creates the client (here max.in.flight above 5
// with the idempotence brokerload turns on): the start ends at once with librdkafka's words, not
// after run.startup_timeout's retries.
TEST(Engine, KafkaClientSettingsLibrdkafkaRefusesEndTheStartAtOnce) {
  std::string kafka;
  ASSERT_TRUE(LoadBrokerAddress("KAFKA_BOOTSTRAP", kafka));
  BrokerloadProcess process("targets:\n  kafka: {bootstrap_servers: \"" + kafka +
                            "\", producer: {max.in.flight: \"15\"}}\n"
                            "profile: {rate: 100}\n"
                            "metrics: {listen: \"127.0.0.1:0\"}\n"
                            "run: {startup_timeout: 60s, warmup: 0s}\n");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(process.WaitForExit(std::chrono::seconds(90)), 3) << process.Log();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15)) << process.Log();
  EXPECT_THAT(process.Log(), HasSubstr("cannot create the Kafka client: `max.in.flight` must be "
                                       "set <= 5 when `enable.idempotence` is true"));
  EXPECT_THAT(process.Log(), Not(HasSubstr("setup attempt 2 failed")));
}

}  // namespace
}  // namespace brokerload::testing
