#include "driver/kafka/broker_release.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace brokerload::driver::kafka {
namespace {

struct Served {
  std::int16_t key;
  std::int16_t min;
  std::int16_t max;
};

BrokerApis Broker(std::string name, std::initializer_list<Served> served) {
  BrokerApis broker;
  broker.broker = std::move(name);
  for (const Served& s : served) broker.apis[static_cast<std::size_t>(s.key)] = {s.min, s.max};
  return broker;
}

// The APIs the release table reads, as each release's KRaft broker serves them.
BrokerApis Kafka39(std::string name) {
  return Broker(std::move(name), {{0, 0, 11},
                                  {1, 0, 17},
                                  {2, 0, 9},
                                  {3, 0, 12},
                                  {8, 0, 9},
                                  {9, 0, 9},
                                  {15, 0, 5},
                                  {26, 0, 4},
                                  {27, 0, 1},
                                  {28, 0, 4},
                                  {35, 0, 4},
                                  {42, 0, 2}});
}
BrokerApis Kafka40(std::string name) {
  return Broker(std::move(name), {{0, 0, 12},
                                  {1, 4, 17},
                                  {2, 1, 10},
                                  {3, 0, 13},
                                  {8, 2, 9},
                                  {9, 1, 9},
                                  {15, 0, 6},
                                  {26, 0, 5},
                                  {27, 1, 1},
                                  {28, 0, 5},
                                  {35, 1, 4},
                                  {42, 0, 2}});
}
BrokerApis Kafka41(std::string name) {
  return Broker(std::move(name), {{0, 0, 13},
                                  {1, 4, 18},
                                  {2, 1, 10},
                                  {3, 0, 13},
                                  {8, 2, 9},
                                  {9, 1, 9},
                                  {15, 0, 6},
                                  {26, 0, 5},
                                  {27, 1, 1},
                                  {28, 0, 5},
                                  {35, 1, 4},
                                  {42, 0, 2}});
}
BrokerApis Kafka42(std::string name) {
  return Broker(std::move(name), {{0, 0, 13},
                                  {1, 4, 18},
                                  {2, 1, 11},
                                  {3, 0, 13},
                                  {8, 2, 10},
                                  {9, 1, 10},
                                  {15, 0, 6},
                                  {26, 0, 5},
                                  {27, 1, 2},
                                  {28, 0, 5},
                                  {35, 1, 4},
                                  {42, 0, 2}});
}
BrokerApis Kafka38(std::string name) {
  return Broker(std::move(name), {{0, 0, 11}, {1, 0, 16}, {2, 0, 8}, {3, 0, 12}});
}

std::string Describe(std::vector<BrokerApis> brokers, std::string protocol_version = "",
                     std::string gap = "") {
  return DescribeBrokerVersion(
      {std::move(brokers), "the reason", std::move(protocol_version), std::move(gap)});
}

TEST(BrokerRelease, EachReleaseInTheTableIsNamedWithItsEvidence) {
  EXPECT_EQ(Describe({Kafka39("h:9092/1")}),
            "3.9 (inferred from the API versions it serves: Produce v11, Fetch v17, ListOffsets "
            "v9; the patch level is not on the wire)");
  EXPECT_EQ(Describe({Kafka40("h:9092/1")}),
            "4.0 (inferred from the API versions it serves: Produce v12, Metadata v13; the patch "
            "level is not on the wire)");
  EXPECT_EQ(Describe({Kafka41("h:9092/1")}),
            "4.1 (inferred from the API versions it serves: Produce v13, Fetch v18; the patch "
            "level is not on the wire)");
  EXPECT_EQ(Describe({Kafka42("h:9092/1")}),
            "at least 4.2 (inferred from the API versions it serves: ListOffsets v11, "
            "OffsetCommit v10, OffsetFetch v10; the patch level is not on the wire)");
}

// Past the newest release in the table, no later one is claimed: what is newer shows as evidence.
TEST(BrokerRelease, VersionsBeyond42AreShownAndNoLaterReleaseIsClaimed) {
  BrokerApis broker = Kafka42("h:9092/1");
  broker.apis[28] = {0, 6};  // TxnOffsetCommit
  broker.apis[42] = {0, 3};  // DeleteGroups
  EXPECT_EQ(Describe({broker}),
            "at least 4.2 (inferred from the API versions it serves: ListOffsets v11, "
            "OffsetCommit v10, OffsetFetch v10; newer than 4.2's: TxnOffsetCommit v6, "
            "DeleteGroups v3; the patch level is not on the wire)");
}

// A release is met only when every one of its markers is: 4.2's list offsets alone is not 4.2.
TEST(BrokerRelease, APartialMatchFallsToTheNewestReleaseFullyMet) {
  BrokerApis broker = Kafka41("h:9092/1");
  broker.apis[2] = {1, 11};
  EXPECT_EQ(Describe({broker}),
            "4.1 (inferred from the API versions it serves: Produce v13, Fetch v18; the patch "
            "level is not on the wire)");
}

// librdkafka logs a connection's answer under "<address>/bootstrap" until it learns the broker's
// id; the same address under its id, or a logical broker, repeats a broker's answer.
TEST(BrokerRelease, RepeatedAnswersAreLeftOutAndBootstrapAddressesCount) {
  EXPECT_EQ(Describe({Kafka41("a:9092/bootstrap"), Kafka41("b:9092/2"), Kafka41("c:9092/3")}),
            "4.1 (inferred from the API versions its brokers serve: Produce v13, Fetch v18; the "
            "patch level is not on the wire)");
  EXPECT_EQ(Describe({Kafka40("a:9092/bootstrap")}),
            "4.0 (inferred from the API versions it serves: Produce v12, Metadata v13; the patch "
            "level is not on the wire)");
  EXPECT_EQ(
      Describe({Kafka40("a:9092/bootstrap"), Kafka41("a:9092/1"), Kafka40("TxnCoordinator/1")}),
      "4.1 (inferred from the API versions it serves: Produce v13, Fetch v18; the patch "
      "level is not on the wire)");
  EXPECT_EQ(Describe({Kafka40("TxnCoordinator/1")}),
            "4.0 (inferred from the API versions it serves: Produce v12, Metadata v13; the patch "
            "level is not on the wire)");
  // A bootstrap address that is not the advertised one: two connections to one broker.
  EXPECT_EQ(Describe({Kafka42("kafka:9092/bootstrap"), Kafka42("kafka-0.kafka:9092/0")}),
            "at least 4.2 (inferred from the API versions its brokers serve: ListOffsets v11, "
            "OffsetCommit v10, OffsetFetch v10; the patch level is not on the wire)");
}

// A rolling upgrade: each release with the brokers that serve it, in the order first seen.
TEST(BrokerRelease, BrokersThatDifferAreListedByRelease) {
  EXPECT_EQ(Describe({Kafka40("a:9092/bootstrap"), Kafka41("b:9092/2"), Kafka40("c:9092/3")}),
            "brokers differ: 4.0 on a:9092/bootstrap, c:9092/3 (Produce v12, Metadata v13); 4.1 on "
            "b:9092/2 (Produce v13, Fetch v18); inferred from the API versions they serve; the "
            "patch level is not on the wire");
  EXPECT_EQ(Describe({Kafka38("a:9092/1"), Kafka39("b:9092/2")}),
            "brokers differ: older than 3.9 on a:9092/1 (Produce v11, Fetch v16, ListOffsets v8); "
            "3.9 on b:9092/2 (Produce v11, Fetch v17, ListOffsets v9); inferred from the API "
            "versions they serve; the patch level is not on the wire");
}

// Below the table, and with no answer at all, inter.broker.protocol.version speaks for 3.x.
TEST(BrokerRelease, WithoutAReleaseFromTheAnswersTheProtocolVersionOrTheReasons) {
  EXPECT_EQ(Describe({Kafka38("h:9092/1")}, "3.8-IV0"),
            "inter.broker.protocol.version 3.8-IV0 (read by DescribeConfigs; the API versions it "
            "serves are older than 3.9's: Produce v11, Fetch v16, ListOffsets v8)");
  EXPECT_EQ(Describe({Kafka38("h:9092/1")}, "",
                     "DescribeConfigs failed: Broker: Cluster "
                     "authorization failed"),
            "unknown (the API versions it serves are older than 3.9's: Produce v11, Fetch v16, "
            "ListOffsets v8; inter.broker.protocol.version: DescribeConfigs failed: Broker: "
            "Cluster authorization failed)");
  EXPECT_EQ(Describe({}, "3.9-IV0"),
            "inter.broker.protocol.version 3.9-IV0 (read by DescribeConfigs; no ApiVersions "
            "answer was recorded: the reason)");
  EXPECT_EQ(Describe({}, "", "broker 1 has no such config (Kafka 4.0 removed it)"),
            "unknown (no ApiVersions answer was recorded: the reason; "
            "inter.broker.protocol.version: broker 1 has no such config (Kafka 4.0 removed it))");
  EXPECT_EQ(Describe({}),
            "unknown (no ApiVersions answer was recorded: the reason; "
            "inter.broker.protocol.version: not read)");
  // An API the broker does not list at all.
  EXPECT_EQ(Describe({Broker("h:9092/1", {{0, 0, 7}})}),
            "unknown (the API versions it serves are older than 3.9's: Produce v7, no Fetch, no "
            "ListOffsets; inter.broker.protocol.version: not read)");
}

TEST(BrokerRelease, TheProtocolVersionIsNeededOnlyWhenNoBrokerNamesARelease) {
  EXPECT_FALSE(NamesRelease({}));
  EXPECT_FALSE(NamesRelease({Kafka38("h:9092/1")}));
  EXPECT_TRUE(NamesRelease({Kafka39("h:9092/1")}));
  EXPECT_TRUE(NamesRelease({Kafka38("a:9092/1"), Kafka42("b:9092/2")}));
  // The same address under its id decides.
  EXPECT_FALSE(NamesRelease({Kafka41("a:9092/bootstrap"), Kafka38("a:9092/1")}));
}

TEST(BrokerRelease, FeatureIsAddedToTheUsersDebugContexts) {
  EXPECT_EQ(WithFeatureDebug(""), "feature");
  EXPECT_EQ(WithFeatureDebug("broker"), "broker,feature");
  EXPECT_EQ(WithFeatureDebug("broker,topic"), "broker,topic,feature");
  EXPECT_EQ(WithFeatureDebug("broker, feature"), "broker, feature");
  EXPECT_EQ(WithFeatureDebug("all"), "all");
  EXPECT_EQ(WithFeatureDebug("features"), "features,feature");
}

// Lines as librdkafka 2.0.2 logs them with facility APIVERSION.
constexpr const char* kSupport = "[thrd:h:9092/1]: h:9092/1: Broker API support:";
constexpr const char* kFeature =
    "[thrd:h:9092/1]: h:9092/1:  Feature MsgVer1: Produce (2..2) supported by broker";

TEST(ApiVersionsLog, AnAnswerIsKeptOnceTheFeatureCheckFollowsIt) {
  ApiVersionsLog log;
  log.Record(kSupport);
  log.Record("[thrd:h:9092/1]: h:9092/1:   ApiKey Produce (0) Versions 0..11");
  log.Record("[thrd:h:9092/1]: h:9092/1:   ApiKey Fetch (1) Versions 4..17");
  // librdkafka 2.0.2 has no name for the keys after its time: the number decides.
  log.Record("[thrd:h:9092/1]: h:9092/1:   ApiKey Unknown-74? (74) Versions 0..1");
  log.Record("[thrd:h:9092/1]: h:9092/1:   ApiKey Unknown-300? (300) Versions 0..1");  // not kept
  EXPECT_TRUE(log.Brokers().empty());  // still listing
  log.Record(kFeature);
  log.Record(kFeature);
  const std::vector<BrokerApis> brokers = log.Brokers();
  ASSERT_EQ(brokers.size(), 1u);
  EXPECT_EQ(brokers[0].broker, "h:9092/1");
  EXPECT_EQ(brokers[0].apis[0].min, 0);
  EXPECT_EQ(brokers[0].apis[0].max, 11);
  EXPECT_EQ(brokers[0].apis[1].min, 4);
  EXPECT_EQ(brokers[0].apis[1].max, 17);
  EXPECT_EQ(brokers[0].apis[74].max, 1);
  EXPECT_EQ(brokers[0].apis[2].max, -1);  // not listed
}

TEST(ApiVersionsLog, AReconnectionsAnswerReplacesTheLastAndARetriedOneIsNotKept) {
  ApiVersionsLog log;
  for (const char* max : {"11", "12"}) {
    log.Record(kSupport);
    log.Record(std::string("[thrd:h:9092/1]: h:9092/1:   ApiKey Produce (0) Versions 0..") + max);
    log.Record(kFeature);
  }
  // A broker that refuses ApiVersions v3 lists only that key, then librdkafka retries with v0.
  log.Record("[thrd:h:9092/2]: h:9092/2: Broker API support:");
  log.Record("[thrd:h:9092/2]: h:9092/2:   ApiKey ApiVersion (18) Versions 0..2");
  log.Record(
      "[thrd:h:9092/2]: h:9092/2: ApiVersionRequest v3 failed due to UNSUPPORTED_VERSION: "
      "retrying with v2");
  log.Record("[thrd:h:9092/2]: h:9092/2:  Feature MsgVer1: Produce (2..2) supported by broker");
  std::vector<BrokerApis> brokers = log.Brokers();
  ASSERT_EQ(brokers.size(), 1u);
  EXPECT_EQ(brokers[0].apis[0].max, 12);
  log.Record("[thrd:h:9092/2]: h:9092/2: Broker API support:");
  log.Record("[thrd:h:9092/2]: h:9092/2:   ApiKey Produce (0) Versions 0..13");
  log.Record("[thrd:h:9092/2]: h:9092/2:  Feature MsgVer1: Produce (2..2) supported by broker");
  brokers = log.Brokers();
  ASSERT_EQ(brokers.size(), 2u);
  EXPECT_EQ(brokers[1].broker, "h:9092/2");
  EXPECT_EQ(brokers[1].apis[0].max, 13);
  EXPECT_EQ(brokers[1].apis[18].max, -1);  // from the refused listing: gone
}

TEST(ApiVersionsLog, LinesWithoutTheThreadNameAndMalformedOnesAreHandled) {
  ApiVersionsLog log;
  log.Record("sasl_ssl://h:9093/1: Broker API support:");  // log.thread.name=false
  log.Record("sasl_ssl://h:9093/1:   ApiKey Produce (0) Versions 0..11");
  log.Record("sasl_ssl://h:9093/1:   ApiKey Fetch (1) Versions 0..x");
  log.Record("sasl_ssl://h:9093/1:   ApiKey Metadata (3) Versions 0");
  log.Record("sasl_ssl://h:9093/1:   ApiKey ListOffsets 2 Versions 0..9");
  log.Record("sasl_ssl://h:9093/1:   ApiKey OffsetCommit (-1) Versions 0..9");
  log.Record("[thrd:h:9093/1");
  log.Record("no broker here");
  log.Record("h:9092/9:   ApiKey Produce (0) Versions 0..11");  // no listing begun
  log.Record("h:9092/9:  Feature MsgVer1: Produce (2..2) supported by broker");
  log.Record("sasl_ssl://h:9093/1:  Feature MsgVer1: Produce (2..2) supported by broker");
  const std::vector<BrokerApis> brokers = log.Brokers();
  ASSERT_EQ(brokers.size(), 1u);
  EXPECT_EQ(brokers[0].broker, "sasl_ssl://h:9093/1");
  EXPECT_EQ(brokers[0].apis[0].max, 11);
  for (std::size_t key = 1; key < kRecordedApiKeys; ++key) {
    EXPECT_EQ(brokers[0].apis[key].max, -1) << key;
  }
}

}  // namespace
}  // namespace brokerload::driver::kafka
