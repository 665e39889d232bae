// targets.kafka.security, the NATS credentials, secrets from the environment and files, and the
// vetting of Kafka pass-through properties: every message, and that no message shows a secret.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "config/loader.hpp"

namespace brokerload::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr const char* kSecret = "Sup3r-s3cret-value";

// A file in the test's temp dir, removed at exit.
class TempFile {
 public:
  TempFile(const std::string& name, const std::string& content)
      : path_(std::string(::testing::TempDir()) + "/" + name + "-" + std::to_string(getpid())) {
    std::ofstream(path_) << content;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<std::string> Lines(const std::vector<ConfigError>& list) {
  std::vector<std::string> out;
  for (const ConfigError& e : list) out.push_back(e.ToString());
  return out;
}

LoadResult Load(const std::string& yaml, const PropertyCheck& check = {}) {
  LoadResult result = Parse(yaml, "t.yaml", check);
  // Whatever the outcome, no message may carry the secret.
  for (const std::string& line : Lines(result.errors)) EXPECT_THAT(line, Not(HasSubstr(kSecret)));
  for (const std::string& line : Lines(result.warnings)) {
    EXPECT_THAT(line, Not(HasSubstr(kSecret)));
  }
  return result;
}

std::vector<std::string> Errors(const std::string& yaml, const PropertyCheck& check = {}) {
  return Lines(Load(yaml, check).errors);
}

TEST(Security, KafkaSaslSslWithAPasswordFile) {
  const TempFile password("pw", std::string(kSecret) + "\n");
  const TempFile ca("ca", "-----BEGIN CERTIFICATE-----\n");
  const LoadResult r = Load(
      "targets:\n  kafka:\n    security:\n      protocol: sasl_ssl\n"
      "      tls: {ca_file: " +
      ca.path() +
      ", verify_hostname: false}\n"
      "      sasl: {mechanism: SCRAM-SHA-256, username: u, password_file: " +
      password.path() + "}\n");
  ASSERT_TRUE(r.config) << Lines(r.errors).front();
  EXPECT_THAT(r.warnings, IsEmpty());
  const KafkaSecurity& s = r.config->kafka->security;
  EXPECT_EQ(s.protocol, KafkaProtocol::kSaslSsl);
  EXPECT_EQ(s.mechanism, SaslMechanism::kScramSha256);
  EXPECT_EQ(s.username, "u");
  EXPECT_EQ(s.password.Reveal(), kSecret);  // the trailing newline is not part of it
  EXPECT_EQ(s.tls.ca_file, ca.path());
  EXPECT_FALSE(s.tls.verify_hostname);
}

TEST(Security, SecretFromTheEnvironment) {
  setenv("BROKERLOAD_TEST_SECRET", kSecret, 1);
  const LoadResult r =
      Load("targets:\n  nats:\n    user: bob\n    password: ${env:BROKERLOAD_TEST_SECRET}\n");
  unsetenv("BROKERLOAD_TEST_SECRET");
  ASSERT_TRUE(r.config);
  EXPECT_EQ(r.config->nats->password.Reveal(), kSecret);
  EXPECT_THAT(r.warnings, IsEmpty());
}

TEST(Security, ALiteralSecretIsAcceptedWithAWarningNamingTheKey) {
  const LoadResult r = Load(std::string("targets:\n  nats:\n    token: ") + kSecret + "\n");
  ASSERT_TRUE(r.config);
  EXPECT_EQ(r.config->nats->token.Reveal(), kSecret);
  EXPECT_THAT(Lines(r.warnings),
              ElementsAre("t.yaml:3:12 targets.nats.token: a literal secret in the config file; "
                          "prefer ${env:NAME} or token_file"));
}

TEST(Security, SecretErrors) {
  unsetenv("BROKERLOAD_TEST_UNSET");
  EXPECT_THAT(Errors("targets:\n  nats: {user: u, password: \"${env:BROKERLOAD_TEST_UNSET}\"}\n"),
              ElementsAre("t.yaml:2:29 targets.nats.password: expected environment variable "
                          "'BROKERLOAD_TEST_UNSET' to be set, got nothing (unset or empty)"));
  EXPECT_THAT(Errors("targets:\n  nats: {user: u, password: x, password_file: /etc/hostname}\n"),
              ElementsAre("t.yaml:2:47 targets.nats.password_file: expected either password or "
                          "password_file, got both"));
  EXPECT_THAT(Errors("targets:\n  nats: {user: u, password_file: /nonexistent/pw}\n"),
              ElementsAre("t.yaml:2:34 targets.nats.password_file: expected a readable file, got "
                          "'/nonexistent/pw'"));
  const TempFile empty("empty", "\n");
  EXPECT_THAT(Errors("targets:\n  nats: {user: u, password_file: " + empty.path() + "}\n"),
              ElementsAre("t.yaml:2:34 targets.nats.password_file: expected a file holding the "
                          "secret, got an empty file"));
  EXPECT_THAT(Errors("targets:\n  nats: {token: [a]}\n"),
              ElementsAre("t.yaml:2:17 targets.nats.token: expected a secret: ${env:NAME}, or "
                          "token_file beside it, got a list"));
  EXPECT_THAT(Errors("targets:\n  nats: {credentials_file: {a: 1}}\n"),
              ElementsAre("t.yaml:2:28 targets.nats.credentials_file: expected a file path, got "
                          "a map"));
}

TEST(Security, KafkaSecurityErrors) {
  EXPECT_THAT(Errors("targets:\n  kafka:\n    security: {protocol: tls}\n"),
              ElementsAre("t.yaml:3:26 targets.kafka.security.protocol: expected one of "
                          "plaintext|sasl_plaintext|sasl_ssl|ssl, got 'tls'"));
  EXPECT_THAT(
      Errors("targets:\n  kafka:\n    security: {tls: {verify_hostname: false}}\n"),
      ElementsAre("t.yaml:3:21 targets.kafka.security.tls: expected protocol ssl or sasl_ssl for "
                  "TLS settings, got protocol plaintext"));
  EXPECT_THAT(
      Errors("targets:\n  kafka:\n    security: {protocol: ssl, sasl: {username: u}}\n"),
      ElementsAre("t.yaml:3:37 targets.kafka.security.sasl: expected protocol sasl_plaintext or "
                  "sasl_ssl for SASL settings, got protocol ssl",
                  "t.yaml:3:37 targets.kafka.security.sasl.password: expected a password (or "
                  "password_file), got nothing"));
  EXPECT_THAT(Errors("targets:\n  kafka:\n    security: {protocol: sasl_ssl}\n"),
              ElementsAre("t.yaml:3:15 targets.kafka.security.sasl: expected a map with "
                          "mechanism, username and password, got nothing"));
  EXPECT_THAT(
      Errors("targets:\n  kafka:\n    security: {protocol: sasl_ssl, sasl: {password: x}}\n"),
      ElementsAre("t.yaml:3:42 targets.kafka.security.sasl.username: expected a user name, got "
                  "nothing"));
  EXPECT_THAT(
      Errors(
          "targets:\n  kafka:\n    security: {protocol: ssl, tls: {cert_file: /etc/hostname}}\n"),
      ElementsAre("t.yaml:3:36 targets.kafka.security.tls.key_file: expected cert_file and "
                  "key_file together (mutual TLS), got only one of them"));
  EXPECT_THAT(Errors("targets:\n  kafka:\n    security: {protocol: ssl, tls: {ca: x}}\n"),
              ElementsAre("t.yaml:3:37 targets.kafka.security.tls.ca: unknown key (allowed here: "
                          "ca_file, cert_file, key_file, key_password, key_password_file, "
                          "verify_hostname)"));
}

TEST(Security, PlainOverPlaintextIsAWarning) {
  const LoadResult r = Load(
      "targets:\n  kafka:\n    security:\n      protocol: sasl_plaintext\n"
      "      sasl: {mechanism: PLAIN, username: u, password: \"${env:HOME}\"}\n");
  ASSERT_TRUE(r.config);
  EXPECT_THAT(Lines(r.warnings),
              ElementsAre("t.yaml:5:13 targets.kafka.security.sasl.mechanism: PLAIN over "
                          "sasl_plaintext sends the password unencrypted; use sasl_ssl"));
}

TEST(Security, NatsCredentialErrors) {
  EXPECT_THAT(Errors("targets:\n  nats: {user: u}\n"),
              ElementsAre("t.yaml:2:9 targets.nats.password: expected user and password "
                          "together, got only one of them"));
  EXPECT_THAT(
      Errors("targets:\n  nats: {user: u, password: \"${env:HOME}\", token: \"${env:HOME}\"}\n"),
      ElementsAre("t.yaml:2:9 targets.nats: expected at most one of user+password, token, "
                  "nkey_seed_file, credentials_file, got user, token"));
  EXPECT_THAT(
      Errors(std::string("targets:\n  nats: {servers: [\"nats://u:") + kSecret + "@h:4222\"]}\n"),
      ElementsAre("t.yaml:2:19 targets.nats.servers: expected URLs without credentials (use "
                  "user with password or password_file), got a URL with a password (not shown)"));
  EXPECT_THAT(Errors("targets:\n  nats: {tls: {key_password: x}}\n"),
              ElementsAre("t.yaml:2:16 targets.nats.tls.key_password: unknown key (allowed here: "
                          "ca_file, cert_file, key_file, verify_hostname)"));
}

// A stand-in for the driver's librdkafka check.
PropertyVerdict FakeCheck(ClientRole role, const std::string& name, const std::string&) {
  if (name == "linger.mss") return {PropertyProblem::kUnknown, "did you mean linger.ms?"};
  if (name == "auto.offset.reset" && role == ClientRole::kProducer) {
    return {PropertyProblem::kWrongRole, ""};
  }
  if (name == "acks" || name == "sasl.password") {
    return {PropertyProblem::kBadValue, "Invalid value for configuration property"};
  }
  return {};
}

TEST(Security, PassThroughPropertiesAreVettedWithTheirPlace) {
  EXPECT_THAT(
      Errors("targets:\n  kafka:\n    producer: {linger.mss: '5', auto.offset.reset: latest}\n"
             "    consumer: {acks: banana, sasl.password: \"${env:HOME}\"}\n",
             FakeCheck),
      ElementsAre("t.yaml:3:16 targets.kafka.producer.linger.mss: expected a librdkafka "
                  "property, got an unknown name (did you mean linger.ms?)",
                  "t.yaml:3:33 targets.kafka.producer.auto.offset.reset: expected a producer "
                  "property, got a property only the consumer uses (move it to "
                  "targets.kafka.consumer)",
                  "t.yaml:4:22 targets.kafka.consumer.acks: expected a value librdkafka accepts, "
                  "got 'banana' (Invalid value for configuration property)",
                  "t.yaml:4:45 targets.kafka.consumer.sasl.password: expected a value librdkafka "
                  "accepts, got a value it refuses (not shown: a secret)"));
}

TEST(Security, PassThroughSecretsComeFromTheEnvironmentOrWarn) {
  setenv("BROKERLOAD_TEST_SECRET", kSecret, 1);
  const LoadResult r = Load(std::string("targets:\n  kafka:\n    producer:\n"
                                        "      sasl.password: ${env:BROKERLOAD_TEST_SECRET}\n"
                                        "      ssl.key.password: ") +
                            kSecret + "\n");
  unsetenv("BROKERLOAD_TEST_SECRET");
  ASSERT_TRUE(r.config);
  EXPECT_THAT(r.config->kafka->producer,
              ElementsAre(std::pair<std::string, std::string>{"sasl.password", kSecret},
                          std::pair<std::string, std::string>{"ssl.key.password", kSecret}));
  EXPECT_THAT(Lines(r.warnings),
              ElementsAre("t.yaml:5:25 targets.kafka.producer.ssl.key.password: a literal secret "
                          "in the config file; prefer ${env:NAME} or targets.kafka.security with "
                          "password_file"));
  EXPECT_THAT(
      Errors("targets:\n  kafka:\n    consumer: {sasl.password: \"${env:BROKERLOAD_NO}\"}\n"),
      ElementsAre("t.yaml:3:31 targets.kafka.consumer.sasl.password: expected "
                  "environment variable 'BROKERLOAD_NO' to be set, got nothing (unset or "
                  "empty)"));
}

TEST(Security, PassThroughMayNotRepeatWhatSecuritySets) {
  EXPECT_THAT(
      Errors("targets:\n  kafka:\n    security: {protocol: ssl}\n"
             "    consumer: {ssl.ca.location: /etc/ssl/ca.pem, ssl.cipher.suites: HIGH}\n"),
      ElementsAre("t.yaml:4:16 targets.kafka.consumer.ssl.ca.location: expected a property that "
                  "targets.kafka.security does not set, got one it sets (keep it in "
                  "targets.kafka.security only)"));
  // Without a security map, the pass-through is the only place: accepted as before.
  EXPECT_THAT(Errors("targets:\n  kafka:\n    consumer: {security.protocol: ssl}\n"), IsEmpty());
}

TEST(Security, MetricsTlsAndBasicAuth) {
  const TempFile cert("cert", "x");
  const LoadResult r = Load("targets: {nats: {}}\nmetrics:\n  tls: {cert_file: " + cert.path() +
                            ", key_file: " + cert.path() +
                            "}\n  basic_auth: {username: prometheus, password: "
                            "\"${env:HOME}\"}\n");
  ASSERT_TRUE(r.config);
  ASSERT_TRUE(r.config->metrics.tls);
  EXPECT_EQ(r.config->metrics.tls->cert_file, cert.path());
  ASSERT_TRUE(r.config->metrics.basic_auth);
  EXPECT_EQ(r.config->metrics.basic_auth->username, "prometheus");
  EXPECT_THAT(r.warnings, IsEmpty());
  EXPECT_FALSE(Load("targets: {nats: {}}\n").config->metrics.tls.has_value());
}

TEST(Security, MetricsSecurityErrors) {
  EXPECT_THAT(Errors("targets: {nats: {}}\nmetrics: {tls: {cert_file: /etc/hostname}}\n"),
              ElementsAre("t.yaml:2:16 metrics.tls.key_file: expected a PEM file, got nothing"));
  EXPECT_THAT(Errors("targets: {nats: {}}\nmetrics: {basic_auth: {username: u}}\n"),
              ElementsAre("t.yaml:2:23 metrics.basic_auth.password: expected a password (or "
                          "password_file), got nothing"));
  EXPECT_THAT(
      Errors("targets: {nats: {}}\nmetrics: {basic_auth: {password_file: /etc/hostname}}\n"),
      ElementsAre("t.yaml:2:23 metrics.basic_auth.username: expected a user name, got "
                  "nothing"));
  const LoadResult r = Load(
      "targets: {nats: {}}\nmetrics: {basic_auth: {username: u, password_file: /etc/hostname}}\n");
  EXPECT_THAT(Lines(r.warnings),
              ElementsAre("t.yaml:2:23 metrics.basic_auth: basic auth without metrics.tls sends "
                          "the password unencrypted on every scrape"));
}

}  // namespace
}  // namespace brokerload::config
