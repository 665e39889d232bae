#include "config/reload.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "config/loader.hpp"

namespace brokerload::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

Config Load(const std::string& yaml) {
  const LoadResult result = Parse(yaml, "test.yaml");
  for (const ConfigError& e : result.errors) ADD_FAILURE() << e.ToString();
  return result.config.value_or(Config{});
}

const std::string kBase =
    "targets:\n"
    "  kafka:\n"
    "    bootstrap_servers: k:9092\n"
    "    producer: {linger.ms: \"1\", acks: all}\n"
    "  nats: {servers: [nats://n:4222]}\n"
    "workload: {topics: 5, message_size: 256, workers: 2, work: {mode: spin, time: 10us}}\n"
    "profile: {rate: 1000}\n"
    "metrics: {listen: \"127.0.0.1:0\"}\n"
    "run: {warmup: 15s}\n";

ConfigDiff DiffAfter(const std::function<void(Config&)>& change) {
  const Config running = Load(kBase);
  Config next = running;
  change(next);
  return Diff(running, next);
}

TEST(ConfigDiff, TheSameFileWithOtherCommentsAndLayoutIsNoChange) {
  const Config running = Load(kBase);
  const Config next = Load(
      "# rewritten by hand\n"
      "targets:\n"
      "  kafka: {bootstrap_servers: \"k:9092\", producer: {acks: all, linger.ms: \"1\"}}\n"
      "  nats:\n"
      "    servers: [nats://n:4222]   # the same server\n"
      "workload:\n"
      "  topics: 5\n"
      "  message_size: {min: 256, max: 256}\n"
      "  workers: 2\n"
      "  work: {mode: spin, time: 10000ns}\n"
      "profile: {rate: 1000.0}\n"
      "metrics: {listen: \"127.0.0.1:0\"}\n"
      "run: {warmup: 15000ms}\n");
  const ConfigDiff diff = Diff(running, next);
  EXPECT_TRUE(diff.Empty()) << ::testing::PrintToString(diff.fixed)
                            << ::testing::PrintToString(diff.reloadable);
}

TEST(ConfigDiff, RateMessageSizePayloadAndWorkAreReloadable) {
  const Config running = Load(kBase);
  const Config next = Load(
      "targets:\n"
      "  kafka:\n"
      "    bootstrap_servers: k:9092\n"
      "    producer: {linger.ms: \"1\", acks: all}\n"
      "  nats: {servers: [nats://n:4222]}\n"
      "workload: {topics: 5, message_size: {min: 128, max: 1024}, payload: compressible,\n"
      "           workers: 2, work: {mode: sleep, time: 1ms}}\n"
      "profile: {stages: [{name: a, rate: 500, duration: 1m}, {name: b, rate: 9000, "
      "messages: 10}], repeat: true}\n"
      "metrics: {listen: \"127.0.0.1:0\"}\n"
      "run: {warmup: 5s, loss_grace: 40s, drain_timeout: 3s, max_send_lag: 2s, min_wake: 0s,\n"
      "      startup_timeout: 2m}\n"
      "log: {level: debug}\n");
  const ConfigDiff diff = Diff(running, next);
  EXPECT_THAT(diff.fixed, IsEmpty());
  EXPECT_THAT(diff.reloadable,
              ElementsAre("workload.message_size", "workload.payload", "workload.work.mode",
                          "workload.work.time", "profile", "run.loss_grace", "run.drain_timeout",
                          "run.max_send_lag", "run.min_wake", "run.startup_timeout", "run.warmup",
                          "log.level"));
}

TEST(ConfigDiff, OnlyTheMaximumSizeChangingIsAMessageSizeChange) {
  const ConfigDiff diff = DiffAfter([](Config& c) { c.workload.max_size = 300; });
  EXPECT_THAT(diff.reloadable, ElementsAre("workload.message_size"));
  EXPECT_THAT(diff.fixed, IsEmpty());
}

TEST(ConfigDiff, ADistributionOfSizesIsAMessageSizeChange) {
  const ConfigDiff diff = DiffAfter([](Config& c) {
    c.workload.size_distribution = SizeDistribution::kLogNormal;
    c.workload.size_p50 = 300;
    c.workload.size_p99 = 3'000;
  });
  EXPECT_THAT(diff.reloadable, ElementsAre("workload.message_size"));
  EXPECT_THAT(diff.fixed, IsEmpty());
}

TEST(ConfigDiff, SamplesAreComparedByTheirBytesAndTheirChangeIsAPayloadChange) {
  const std::string one = ::testing::TempDir() + "diff_samples_one.jsonl";
  const std::string two = ::testing::TempDir() + "diff_samples_two.jsonl";
  std::ofstream(one) << "{\"a\":1}\n";
  std::ofstream(two) << "{\"a\":2}\n";
  const std::string with = "workload: {topics: 5, payload: {samples: ";
  const auto config = [&](const std::string& file) {
    std::string yaml = kBase;
    yaml.replace(yaml.find("workload: {topics: 5, message_size: 256"),
                 std::string("workload: {topics: 5, message_size: 256").size(), with + file + "}");
    return Load(yaml);
  };
  // The same file loaded twice: other objects, the same bytes.
  EXPECT_TRUE(Diff(config(one), config(one)).Empty());
  EXPECT_THAT(Diff(config(one), config(two)).reloadable, ElementsAre("workload.payload"));
  // From sizes to samples and back: a change of payload alone (samples set the sizes).
  EXPECT_THAT(Diff(Load(kBase), config(one)).reloadable, ElementsAre("workload.payload"));
  EXPECT_THAT(Diff(config(one), Load(kBase)).reloadable, ElementsAre("workload.payload"));
}

struct FixedCase {
  const char* key;
  std::function<void(Config&)> change;
};

TEST(ConfigDiff, EachFixedKeyIsNamedAloneWhenItChanges) {
  const std::vector<FixedCase> cases = {
      {"targets.kafka.bootstrap_servers", [](Config& c) { c.kafka->bootstrap_servers = "x:1"; }},
      {"targets.kafka.consumer_group", [](Config& c) { c.kafka->consumer_group = "g"; }},
      {"targets.kafka.consumer.fetch.wait.max.ms",
       [](Config& c) { c.kafka->consumer.emplace_back("fetch.wait.max.ms", "5"); }},
      {"targets.kafka.security.protocol",
       [](Config& c) { c.kafka->security.protocol = KafkaProtocol::kSsl; }},
      {"targets.kafka.security.tls.ca_file",
       [](Config& c) { c.kafka->security.tls.ca_file = "/ca.pem"; }},
      {"targets.kafka.security.tls.key_password",
       [](Config& c) { c.kafka->security.tls.key_password = Secret("k"); }},
      {"targets.kafka.security.sasl.mechanism",
       [](Config& c) { c.kafka->security.mechanism = SaslMechanism::kPlain; }},
      {"targets.kafka.security.sasl.username", [](Config& c) { c.kafka->security.username = "u"; }},
      {"targets.kafka.topic.partitions", [](Config& c) { c.kafka->topic.partitions.count = 6; }},
      {"targets.kafka.topic.partitions",
       [](Config& c) { c.kafka->topic.partitions.per_broker = true; }},
      {"targets.kafka.topic.replication_factor",
       [](Config& c) { c.kafka->topic.replication_factor = 3; }},
      {"targets.kafka.topic.create", [](Config& c) { c.kafka->topic.create = false; }},
      {"targets.kafka.topic.config.retention.ms",
       [](Config& c) {
         c.kafka->topic.config = {{"retention.ms", "1"}};
       }},
      {"targets.nats.servers", [](Config& c) { c.nats->servers = {"nats://m:4222"}; }},
      {"targets.nats.stream.storage", [](Config& c) { c.nats->stream.storage = Storage::kFile; }},
      {"targets.nats.stream.replicas", [](Config& c) { c.nats->stream.replicas = 3; }},
      {"targets.nats.stream.compression", [](Config& c) { c.nats->stream.compress_s2 = true; }},
      {"targets.nats.stream.max_bytes", [](Config& c) { c.nats->stream.max_bytes = -1; }},
      {"targets.nats.stream.max_age",
       [](Config& c) { c.nats->stream.max_age = std::chrono::seconds(1); }},
      {"targets.nats.stream.discard", [](Config& c) { c.nats->stream.discard = Discard::kNew; }},
      {"targets.nats.stream.create", [](Config& c) { c.nats->stream.create = false; }},
      {"targets.nats.ack_policy", [](Config& c) { c.nats->ack_policy = AckPolicy::kAll; }},
      {"targets.nats.max_ack_pending", [](Config& c) { c.nats->max_ack_pending = 5; }},
      {"targets.nats.max_pending", [](Config& c) { c.nats->max_pending = 5; }},
      {"targets.nats.send_asap", [](Config& c) { c.nats->send_asap = true; }},
      {"targets.nats.tls", [](Config& c) { c.nats->tls = TlsSettings{}; }},
      {"targets.nats.user", [](Config& c) { c.nats->user = "u"; }},
      {"targets.nats.password", [](Config& c) { c.nats->password = Secret("p"); }},
      {"targets.nats.token", [](Config& c) { c.nats->token = Secret("t"); }},
      {"targets.nats.nkey_seed_file", [](Config& c) { c.nats->nkey_seed_file = "/u.nk"; }},
      {"targets.nats.credentials_file", [](Config& c) { c.nats->credentials_file = "/u.creds"; }},
      {"workload.topics", [](Config& c) { c.workload.topics = 6; }},
      {"workload.topic_prefix", [](Config& c) { c.workload.topic_prefix = "other"; }},
      {"workload.keys", [](Config& c) { c.workload.keys = 8; }},
      {"workload.brokerload_header",
       [](Config& c) { c.workload.brokerload_header = config::HeaderPlace::kMessageHeader; }},
      {"workload.headers.count", [](Config& c) { c.workload.extra_headers = 2; }},
      {"workload.headers.size", [](Config& c) { c.workload.extra_header_size = 8; }},
      {"workload.key_skew", [](Config& c) { c.workload.key_skew = 1.2; }},
      {"workload.workers", [](Config& c) { c.workload.workers = 3; }},
      {"workload.worker_queue", [](Config& c) { c.workload.worker_queue = 64; }},
      {"metrics.listen", [](Config& c) { c.metrics.listen = "127.0.0.1:1"; }},
      {"metrics.path", [](Config& c) { c.metrics.path = "/m"; }},
      {"metrics.tls",
       [](Config& c) {
         c.metrics.tls = MetricsTls{"/c.pem", "/k.pem"};
       }},
      {"metrics.basic_auth",
       [](Config& c) {
         c.metrics.basic_auth = BasicAuth{"u", Secret("p")};
       }},
      {"metrics.latency_buckets",
       [](Config& c) {
         c.metrics.latency_buckets = {0.1, 1};
       }},
      {"run.publish_timeout", [](Config& c) { c.run.publish_timeout = std::chrono::seconds(20); }},
      {"run.tick", [](Config& c) { c.run.tick = std::chrono::milliseconds(2); }},
      {"run.realtime_priority", [](Config& c) { c.run.realtime_priority = 0; }},
      {"run.spin", [](Config& c) { c.run.spin = true; }},
      {"run.cpu_dma_latency",
       [](Config& c) { c.run.cpu_dma_latency = std::chrono::microseconds(0); }},
      {"run.role", [](Config& c) { c.run.role = config::Role::kProduceOnly; }},
      {"workload.topics_per_replica", [](Config& c) { c.workload.topics_per_replica = true; }},
      {"workload.publishers", [](Config& c) { c.workload.publishers = 5; }},
  };
  for (const FixedCase& c : cases) {
    const ConfigDiff diff = DiffAfter(c.change);
    EXPECT_THAT(diff.fixed, ElementsAre(c.key)) << c.key;
    EXPECT_THAT(diff.reloadable, IsEmpty()) << c.key;
  }
}

TEST(ConfigDiff, AChangedPropertyMapNamesEachPropertyAddedRemovedOrChanged) {
  const ConfigDiff diff = DiffAfter([](Config& c) {
    c.kafka->producer = {{"compression.type", "lz4"}, {"linger.ms", "5"}};
  });
  EXPECT_THAT(diff.fixed,
              ElementsAre("targets.kafka.producer.linger.ms", "targets.kafka.producer.acks",
                          "targets.kafka.producer.compression.type"));
}

TEST(ConfigDiff, ATargetAddedOrRemovedIsNamedAsAWhole) {
  EXPECT_THAT(DiffAfter([](Config& c) { c.kafka.reset(); }).fixed, ElementsAre("targets.kafka"));
  const Config nats_only = Load("targets: {nats: {}}\n");
  Config both = nats_only;
  both.kafka = KafkaTarget{};
  EXPECT_THAT(Diff(nats_only, both).fixed, ElementsAre("targets.kafka"));
}

TEST(ConfigDiff, ASecretIsNamedNeverShown) {
  const Config running = Load(kBase);
  Config next = running;
  next.kafka->security.password = Secret("hunter2-old");
  Config rotated = next;
  rotated.kafka->security.password = Secret("hunter2-new");
  const ConfigDiff diff = Diff(next, rotated);
  ASSERT_THAT(diff.fixed, ElementsAre("targets.kafka.security.sasl.password"));
  for (const std::string& key : diff.fixed) {
    EXPECT_EQ(key.find("hunter2"), std::string::npos);
  }
}

TEST(ConfigDiff, FixedAndReloadableChangesTogetherAreBothListed) {
  const ConfigDiff diff = DiffAfter([](Config& c) {
    c.profile.stages[0].rate = 2'000;
    c.workload.topics = 7;
    c.nats->servers.push_back("nats://n2:4222");
  });
  EXPECT_THAT(diff.fixed, ElementsAre("targets.nats.servers", "workload.topics"));
  EXPECT_THAT(diff.reloadable, ElementsAre("profile"));
}

// rate: max and its window are part of the profile: a switch to or from unpaced reloads.
TEST(ConfigDiff, SwitchingToRateMaxOrChangingItsWindowIsAProfileReload) {
  const ConfigDiff to_max = DiffAfter([](Config& c) { c.profile.max_in_flight = 500; });
  EXPECT_TRUE(to_max.fixed.empty());
  EXPECT_THAT(to_max.reloadable, ElementsAre("profile"));
}

TEST(ConfigDiff, ResultNamesAreTheMetricsLabelValues) {
  EXPECT_EQ(ReloadResultName(ReloadResult::kApplied), "applied");
  EXPECT_EQ(ReloadResultName(ReloadResult::kUnchanged), "unchanged");
  EXPECT_EQ(ReloadResultName(ReloadResult::kRefused), "refused");
  EXPECT_EQ(ReloadResultName(ReloadResult::kInvalid), "invalid");
}

}  // namespace
}  // namespace brokerload::config
