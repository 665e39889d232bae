// ClientSettings, the one assembly of a Kafka client's properties: what each client gets and in
// which order (later ones win in librdkafka).
#include "driver/kafka/kafka_conf.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace brokerload::driver::kafka {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;
using ::testing::Pair;

using Pairs = config::Properties;

config::KafkaTarget Target() {
  config::KafkaTarget target;
  target.bootstrap_servers = "k:9092";
  target.consumer_group = "g";
  return target;
}

TEST(KafkaClientSettings, TheProducerGetsItsDefaultsThenSecurityThenTheUsersThenDebug) {
  config::KafkaTarget target = Target();
  target.producer = {{"linger.ms", "5"}};
  EXPECT_THAT(
      ClientSettings(target, ClientKind::kProducer, std::chrono::milliseconds(3'000)),
      ElementsAre(
          Pair("bootstrap.servers", "k:9092"), Pair("client.id", "brokerload-producer"),
          Pair("linger.ms", "1"), Pair("max.in.flight", "5"), Pair("message.timeout.ms", "3000"),
          Pair("queue.buffering.max.messages", "500000"), Pair("statistics.interval.ms", "5000"),
          Pair("enable.idempotence", "true"), Pair("security.protocol", "plaintext"),
          Pair("linger.ms", "5"), Pair("debug", "feature")));
}

TEST(KafkaClientSettings, IdempotenceOnlyWithAcksAll) {
  for (const auto& [key, value] : Pairs{
           {"acks", "all"}, {"acks", "-1"}, {"request.required.acks", "-1"}, {"linger.ms", "2"}}) {
    config::KafkaTarget target = Target();
    target.producer = {{key, value}};
    EXPECT_THAT(ClientSettings(target, ClientKind::kProducer),
                Contains(Pair("enable.idempotence", "true")))
        << key << "=" << value;
  }
  for (const auto& [key, value] : Pairs{{"acks", "1"}, {"request.required.acks", "0"}}) {
    config::KafkaTarget target = Target();
    target.producer = {{key, value}};
    EXPECT_THAT(ClientSettings(target, ClientKind::kProducer),
                Not(Contains(Pair("enable.idempotence", "true"))))
        << key << "=" << value;
  }
}

TEST(KafkaClientSettings, TheUsersDebugContextsKeepFeature) {
  config::KafkaTarget target = Target();
  target.producer = {{"debug", "broker"}};
  const config::Properties settings = ClientSettings(target, ClientKind::kProducer);
  EXPECT_THAT(settings.back(), Pair("debug", "broker,feature"));
  EXPECT_EQ(ForwardedLogLevel(target.producer), 7);
  EXPECT_EQ(ForwardedLogLevel({{"log_level", "4"}}), 4);
  EXPECT_EQ(ForwardedLogLevel({{"log_level", "9"}}), 7);
  EXPECT_EQ(ForwardedLogLevel({}), 6);
}

TEST(KafkaClientSettings, TheConsumerGetsItsGroupAndDefaultsThenSecurityThenTheUsers) {
  config::KafkaTarget target = Target();
  target.consumer = {{"fetch.wait.max.ms", "50"}};
  target.producer = {{"linger.ms", "5"}};  // not the consumer's
  EXPECT_THAT(
      ClientSettings(target, ClientKind::kConsumer),
      ElementsAre(Pair("bootstrap.servers", "k:9092"), Pair("client.id", "brokerload-consumer"),
                  Pair("group.id", "g"), Pair("enable.auto.commit", "true"),
                  Pair("auto.offset.reset", "earliest"), Pair("enable.partition.eof", "false"),
                  Pair("partition.assignment.strategy", "range,roundrobin"),
                  Pair("fetch.wait.max.ms", "100"), Pair("session.timeout.ms", "10000"),
                  Pair("heartbeat.interval.ms", "2000"), Pair("security.protocol", "plaintext"),
                  Pair("fetch.wait.max.ms", "50")));
}

TEST(KafkaClientSettings, TheAdminClientGetsTheConnectionAndSecurityOnly) {
  config::KafkaTarget target = Target();
  target.security.protocol = config::KafkaProtocol::kSaslPlaintext;
  target.security.username = "u";
  target.security.password = config::Secret("p");
  target.producer = {{"linger.ms", "5"}};
  target.consumer = {{"fetch.wait.max.ms", "50"}};
  EXPECT_THAT(
      ClientSettings(target, ClientKind::kAdmin),
      ElementsAre(Pair("bootstrap.servers", "k:9092"), Pair("client.id", "brokerload-cleanup"),
                  Pair("security.protocol", "sasl_plaintext"),
                  Pair("sasl.mechanisms", "SCRAM-SHA-512"), Pair("sasl.username", "u"),
                  Pair("sasl.password", "p")));
}

TEST(KafkaClientSettings, EachClientsSettingsMakeAConf) {
  for (ClientKind kind : {ClientKind::kProducer, ClientKind::kConsumer, ClientKind::kAdmin}) {
    ConfPtr conf;
    std::string error;
    EXPECT_TRUE(
        BuildConf(ClientSettings(Target(), kind, std::chrono::milliseconds(1'000)), conf, error))
        << error;
  }
}

}  // namespace
}  // namespace brokerload::driver::kafka
