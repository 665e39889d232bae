// The drivers' security pieces that need no broker: librdkafka's verdict on pass-through
// properties, the librdkafka properties of targets.kafka.security, and NKey public keys.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "driver/kafka/kafka_conf.hpp"
#include "driver/kafka/kafka_properties.hpp"
#include "driver/nats/nkey.hpp"

namespace brokerload::driver {
namespace {

using config::ClientRole;
using config::PropertyProblem;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(KafkaCheckProperty, KnownPropertiesOfTheRightRolePass) {
  EXPECT_EQ(kafka::CheckProperty(ClientRole::kProducer, "linger.ms", "5").problem,
            PropertyProblem::kNone);
  EXPECT_EQ(kafka::CheckProperty(ClientRole::kProducer, "acks", "all").problem,
            PropertyProblem::kNone);
  EXPECT_EQ(kafka::CheckProperty(ClientRole::kConsumer, "fetch.wait.max.ms", "50").problem,
            PropertyProblem::kNone);
  EXPECT_EQ(kafka::CheckProperty(ClientRole::kConsumer, "client.rack", "a").problem,
            PropertyProblem::kNone);  // both roles
}

TEST(KafkaCheckProperty, AMisspeltNameIsUnknownWithTheNearestName) {
  const config::PropertyVerdict v = kafka::CheckProperty(ClientRole::kProducer, "linger.mss", "5");
  EXPECT_EQ(v.problem, PropertyProblem::kUnknown);
  EXPECT_EQ(v.hint, "did you mean linger.ms?");
  EXPECT_EQ(kafka::CheckProperty(ClientRole::kProducer, "no.such.thing.at.all", "5").hint, "");
}

TEST(KafkaCheckProperty, APropertyOfTheOtherRoleIsMisplaced) {
  EXPECT_EQ(kafka::CheckProperty(ClientRole::kProducer, "auto.offset.reset", "latest").problem,
            PropertyProblem::kWrongRole);
  EXPECT_EQ(kafka::CheckProperty(ClientRole::kConsumer, "linger.ms", "1").problem,
            PropertyProblem::kWrongRole);
}

TEST(KafkaCheckProperty, ARefusedValueIsBad) {
  EXPECT_EQ(kafka::CheckProperty(ClientRole::kProducer, "acks", "banana").problem,
            PropertyProblem::kBadValue);
  EXPECT_EQ(kafka::CheckProperty(ClientRole::kProducer, "security.protocol", "tls").problem,
            PropertyProblem::kBadValue);
}

TEST(KafkaSecurity, SaslSslMapsToLibrdkafkaProperties) {
  config::KafkaSecurity s;
  s.protocol = config::KafkaProtocol::kSaslSsl;
  s.tls.ca_file = "/ca.pem";
  s.tls.cert_file = "/c.pem";
  s.tls.key_file = "/k.pem";
  s.tls.key_password = config::Secret("kp");
  s.mechanism = config::SaslMechanism::kScramSha256;
  s.username = "u";
  s.password = config::Secret("p");
  const config::Properties p = kafka::SecurityProperties(s);
  EXPECT_THAT(p, Contains(Pair("security.protocol", "sasl_ssl")));
  EXPECT_THAT(p, Contains(Pair("ssl.ca.location", "/ca.pem")));
  EXPECT_THAT(p, Contains(Pair("ssl.certificate.location", "/c.pem")));
  EXPECT_THAT(p, Contains(Pair("ssl.key.location", "/k.pem")));
  EXPECT_THAT(p, Contains(Pair("ssl.key.password", "kp")));
  EXPECT_THAT(p, Contains(Pair("ssl.endpoint.identification.algorithm", "https")));
  EXPECT_THAT(p, Contains(Pair("sasl.mechanisms", "SCRAM-SHA-256")));
  EXPECT_THAT(p, Contains(Pair("sasl.username", "u")));
  EXPECT_THAT(p, Contains(Pair("sasl.password", "p")));
  // Each is a property librdkafka accepts.
  kafka::ConfPtr conf;
  std::string error;
  EXPECT_TRUE(kafka::BuildConf(p, conf, error)) << error;
}

TEST(KafkaSecurity, ARefusedSecretIsNotShownInTheError) {
  kafka::ConfPtr conf;
  std::string error;
  EXPECT_FALSE(kafka::BuildConf({{"sasl.password", "x"}, {"acks", "Sup3r-s3cret"}}, conf, error));
  EXPECT_THAT(error, HasSubstr("acks"));
  EXPECT_FALSE(kafka::BuildConf({{"ssl.key.password", ""},
                                 {"sasl.oauthbearer.config", "x"},
                                 {"sasl.password", std::string(600, 'x')}},
                                conf, error) &&
               error.find("xxx") != std::string::npos);
}

// A key pair made by `nk -gen user -pubout` (a throwaway, for this test only).
TEST(NKey, ThePublicKeyOfAUserSeedIsWhatNkPrints) {
  EXPECT_EQ(nats::UserPublicKey("SUAG3D5W2TK6NXYN6HSZHV2ANODEQYJTQXJUGZOKG57IUANUII5LDFJUSU"),
            "UBGZGC27BOLJDVFTISM2M6JEAE2SNE745ROP6ARIKHPZYT4CFZ2N6CYR");
  // A changed character breaks the checksum; an account seed is not a user seed.
  EXPECT_EQ(nats::UserPublicKey("SUAG3D5W2TK7NXYN6HSZHV2ANODEQYJTQXJUGZOKG57IUANUII5LDFJUSU"),
            std::nullopt);
  EXPECT_EQ(nats::UserPublicKey("not a seed"), std::nullopt);
  std::string error;
  EXPECT_EQ(nats::UserPublicKeyFromFile("/nonexistent/seed", error), std::nullopt);
  EXPECT_EQ(error, "cannot read the NKey seed file /nonexistent/seed");
}

}  // namespace
}  // namespace brokerload::driver
