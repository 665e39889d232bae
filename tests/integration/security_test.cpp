// brokerload against secured brokers (deploy/local/brokers.sh SECURE=1, started by the
// `secure_brokers` fixture): Kafka SASL_SSL with SCRAM-SHA-512 and SSL with a client
// certificate, both principals holding only the ACLs docs/security.md lists; NATS over TLS with
// a password, an NKey, a credentials file and a client certificate as the identity. Each run is
// accounted exactly; a wrong password, an untrusted CA, an expired server certificate and a topic
// outside the ACLs end the start at once with exit 3 and the documented cause; a Write ACL
// denied mid-run shows as publish errors of reason "unauthorized" and a log line; and no output
// of any run holds a secret.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <nats/nats.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "broker_env.hpp"
#include "brokerload_process.hpp"
#include "config/config.hpp"
#include "driver/nats/nats_connection.hpp"
#include "driver/nats/nats_security.hpp"
#include "log/log.hpp"

namespace brokerload::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kMessages = 1'000;
constexpr const char* kWrongPassword = "Wr0ng-pa55word-for-the-test";

std::string Read(const std::string& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  std::string value = text.str();
  while (!value.empty() && value.back() == '\n') value.pop_back();
  return value;
}

// The secret lines of a file (its seed, for creds and NKey files).
std::string SeedOf(const std::string& path) {
  std::istringstream lines(Read(path));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() == 58 && line[0] == 'S') return line;
  }
  return "";
}

// Adds an ACL denying User:brokerload Write on topics prefixed `prefix` (deny wins over the
// allowing ACLs brokers.sh granted), through `bootstrap`'s PLAINTEXT listener, a super user.
::testing::AssertionResult DenyWrite(const std::string& bootstrap, const std::string& prefix) {
  std::array<char, 512> text{};
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), text.data(), text.size());
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, text.data(), text.size());
  if (rk == nullptr) return ::testing::AssertionFailure() << "rd_kafka_new: " << text.data();
  rd_kafka_AclBinding_t* binding = rd_kafka_AclBinding_new(
      RD_KAFKA_RESOURCE_TOPIC, prefix.c_str(), RD_KAFKA_RESOURCE_PATTERN_PREFIXED,
      "User:brokerload", "*", RD_KAFKA_ACL_OPERATION_WRITE, RD_KAFKA_ACL_PERMISSION_TYPE_DENY,
      text.data(), text.size());
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_CreateAcls(rk, &binding, 1, nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30'000);
  std::string error = event == nullptr ? "no answer within 30 s"
                      : rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR
                          ? rd_kafka_event_error_string(event)
                          : "";
  if (event != nullptr && error.empty()) {
    std::size_t count = 0;
    const rd_kafka_acl_result_t** results =
        rd_kafka_CreateAcls_result_acls(rd_kafka_event_CreateAcls_result(event), &count);
    for (std::size_t i = 0; i < count; ++i) {
      if (const rd_kafka_error_t* e = rd_kafka_acl_result_error(results[i]); e != nullptr) {
        error = rd_kafka_error_string(e);
      }
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_AclBinding_destroy(binding);
  rd_kafka_destroy(rk);
  if (!error.empty()) return ::testing::AssertionFailure() << "CreateAcls: " << error;
  return ::testing::AssertionSuccess();
}

// The lines of `exposition` that start with `name`, for failure messages.
std::string Lines(const std::string& exposition, const std::string& name) {
  std::istringstream lines(exposition);
  std::string line, out;
  while (std::getline(lines, line)) {
    if (line.rfind(name, 0) == 0) out += line + "\n";
  }
  return out;
}

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(LoadBrokerAddress("SECURE_DIR", dir_));
    ASSERT_TRUE(LoadBrokerAddress("KAFKA_SASL_SSL", kafka_sasl_));
    ASSERT_TRUE(LoadBrokerAddress("KAFKA_MTLS", kafka_mtls_));
    ASSERT_TRUE(LoadBrokerAddress("NATS_TLS_URL", nats_tls_));
    ASSERT_TRUE(LoadBrokerAddress("NATS_JWT_URL", nats_jwt_));
    ASSERT_TRUE(LoadBrokerAddress("KAFKA_EXPIRED", kafka_expired_));
    ASSERT_TRUE(LoadBrokerAddress("KAFKA_BOOTSTRAP", kafka_plain_));
    ASSERT_TRUE(LoadBrokerAddress("NATS_MTLS_URL", nats_mtls_));
    ASSERT_TRUE(LoadBrokerAddress("NATS_EXPIRED_URL", nats_expired_));
    ASSERT_TRUE(LoadBrokerAddress("NATS_TOKEN_URL", nats_token_));
    secrets_ = {Read(dir_ + "/kafka.password"),
                Read(dir_ + "/nats.password"),
                Read(dir_ + "/nats.token"),
                Read(dir_ + "/client-key.password"),
                SeedOf(dir_ + "/nkey-user.seed"),
                SeedOf(dir_ + "/user.creds"),
                kWrongPassword};
    for (const std::string& s : secrets_) ASSERT_GE(s.size(), 20u);
    std::ofstream(WrongPasswordFile()) << kWrongPassword << "\n";
  }

  std::string WrongPasswordFile() const { return ::testing::TempDir() + "/wrong-password"; }

  // `prefix` gets a unique suffix unless `exact_prefix`.
  std::string Config(const std::string& targets, const std::string& prefix,
                     bool exact_prefix = false) const {
    return "targets:\n" + targets +
           "workload: {topic_prefix: " + (exact_prefix ? prefix : UniqueName(prefix)) +
           ", workers: 8}\n"
           "profile:\n  stages: [{name: short, rate: 1000, messages: " +
           std::to_string(kMessages) +
           "}]\n"
           "metrics: {listen: \"127.0.0.1:0\"}\n"
           // Accounting, not latency, is tested: a freshly started broker on a busy machine may
           // take seconds to acknowledge, which must not turn into publish timeouts.
           "run: {loss_grace: 40s, publish_timeout: 30s, drain_timeout: 30s, "
           "startup_timeout: 60s, warmup: 0s}\n";
  }

  std::string KafkaScram(const std::string& ca, const std::string& password_file) const {
    return "  kafka:\n    bootstrap_servers: \"" + kafka_sasl_ +
           "\"\n    security:\n      protocol: sasl_ssl\n      tls: {ca_file: " + ca +
           "}\n      sasl: {mechanism: SCRAM-SHA-512, username: brokerload, password_file: " +
           password_file + "}\n";
  }

  std::string NatsPassword(const std::string& ca, const std::string& password) const {
    return "  nats:\n    servers: [\"" + nats_tls_ + "\"]\n    tls: {ca_file: " + ca +
           "}\n    user: brokerload\n    password: " + password + "\n";
  }

  // No secret in any output: the log (debug level where asked), stdout, a scrape, and
  // validate-config's output for the same config.
  void ExpectNoSecret(const std::string& what, const std::string& text) const {
    for (const std::string& s : secrets_) {
      EXPECT_THAT(text, Not(HasSubstr(s))) << what << " shows a secret";
    }
  }

  void ExpectValidateConfigShowsNoSecret(const std::string& yaml, const std::string& env) {
    const std::string config = ::testing::TempDir() + "/validate.yaml";
    const std::string out = ::testing::TempDir() + "/validate.out";
    std::ofstream(config) << yaml;
    const std::string command =
        env + " " + BROKERLOAD_BINARY + " validate-config " + config + " >" + out + " 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0) << Read(out);
    ExpectNoSecret("validate-config", Read(out));
  }

  // Runs `yaml` until every message is accounted for; every count exact.
  void RunAndAccount(const std::string& yaml, const std::string& target,
                     const std::string& env = "") {
    ExpectValidateConfigShowsNoSecret(yaml, env);
    BrokerloadProcess process(yaml, env, {"--log-level", "debug"});
    const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(10));
    ASSERT_NE(port, 0) << process.Log();
    const std::map<std::string, std::string> labels = {{"target", target}};
    std::string metrics;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (std::chrono::steady_clock::now() < deadline) {
      metrics = HttpGet(port, "/metrics").second;
      if (SumMetric(metrics, "brokerload_messages_processed_total", labels) >= kMessages &&
          SumMetric(metrics, "brokerload_messages_acked_total", labels) >= kMessages) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ExpectEachMessageOnce(metrics, labels, kMessages);
    EXPECT_EQ(SumMetric(metrics, "brokerload_messages_processed_total", labels), kMessages);
    EXPECT_EQ(SumMetric(metrics, "brokerload_publish_errors_total", labels), 0)
        << Lines(metrics, "brokerload_publish_errors_total") << process.Log();
    EXPECT_EQ(SumMetric(metrics, "brokerload_broker_connected", labels), 1);
    ExpectNoSecret("/metrics", metrics);
    EXPECT_EQ(process.Terminate(std::chrono::seconds(30)), 0) << process.Log();
    ExpectNoSecret("the debug log", process.Log());
    ExpectNoSecret("stdout", process.Stdout());
  }

  // Starts `yaml` and expects exit 3 well before run.startup_timeout (60 s), with `cause` (and
  // `detail`, the library's words, when given) in the log.
  void ExpectRefused(const std::string& yaml, const std::string& cause, const std::string& env = "",
                     const std::string& detail = "") {
    BrokerloadProcess process(yaml, env, {"--log-level", "debug"});
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(process.WaitForExit(std::chrono::seconds(45)), 3) << process.Log();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30))
        << "retried an error that retrying cannot fix";
    EXPECT_THAT(process.Log(), HasSubstr(cause));
    if (!detail.empty()) {
      EXPECT_THAT(process.Log(), HasSubstr(detail));
    }
    ExpectNoSecret("the debug log", process.Log());
    ExpectNoSecret("stdout", process.Stdout());
  }

  std::string dir_, kafka_sasl_, kafka_mtls_, kafka_expired_, kafka_plain_, nats_tls_, nats_jwt_,
      nats_mtls_, nats_expired_, nats_token_;
  std::vector<std::string> secrets_;
};

// The Kafka principals hold only the ACLs docs/security.md lists (brokers.sh grants them for
// topics and groups prefixed brokerload-): what the docs claim is enough, is.
TEST_F(SecurityTest, KafkaScramSha512OverTls) {
  RunAndAccount(Config(KafkaScram(dir_ + "/ca.pem", dir_ + "/kafka.password"), "brokerload-scram"),
                "kafka");
}

TEST_F(SecurityTest, KafkaMutualTlsWithAnEncryptedKey) {
  const std::string targets =
      "  kafka:\n    bootstrap_servers: \"" + kafka_mtls_ +
      "\"\n    security:\n      protocol: ssl\n      tls: {ca_file: " + dir_ +
      "/ca.pem, cert_file: " + dir_ + "/client.pem, key_file: " + dir_ +
      "/client-key-encrypted.pem, key_password: \"${env:BROKERLOAD_TEST_KEY_PASSWORD}\"}\n";
  RunAndAccount(Config(targets, "brokerload-mtls"), "kafka",
                "BROKERLOAD_TEST_KEY_PASSWORD=" + Read(dir_ + "/client-key.password"));
}

TEST_F(SecurityTest, NatsTlsWithPasswordFromTheEnvironment) {
  RunAndAccount(Config(NatsPassword(dir_ + "/ca.pem", "\"${env:BROKERLOAD_TEST_NATS_PASSWORD}\""),
                       "sec-natspw"),
                "nats", "BROKERLOAD_TEST_NATS_PASSWORD=" + Read(dir_ + "/nats.password"));
}

TEST_F(SecurityTest, NatsTlsWithAnNKey) {
  RunAndAccount(Config("  nats:\n    servers: [\"" + nats_tls_ + "\"]\n    tls: {ca_file: " + dir_ +
                           "/ca.pem}\n    nkey_seed_file: " + dir_ + "/nkey-user.seed\n",
                       "sec-nkey"),
                "nats");
}

TEST_F(SecurityTest, NatsTlsWithATokenFile) {
  RunAndAccount(Config("  nats:\n    servers: [\"" + nats_token_ + "\"]\n    tls: {ca_file: " +
                           dir_ + "/ca.pem}\n    token_file: " + dir_ + "/nats.token\n",
                       "sec-token"),
                "nats");
}

TEST_F(SecurityTest, NatsTlsWithACredentialsFile) {
  RunAndAccount(Config("  nats:\n    servers: [\"" + nats_jwt_ + "\"]\n    tls: {ca_file: " + dir_ +
                           "/ca.pem}\n    credentials_file: " + dir_ + "/user.creds\n",
                       "sec-creds"),
                "nats");
}

// Every connect with a signed authentication (a credentials file on the JWT server, an NKey on the
// TLS server) is let in. cnats 3.4.1 omits the signature when its first byte is zero, one connect
// in 256; with one attempt each, 1,000 connects fail this with probability 98 %. The options are
// made once per kind (each costs ~40 ms of TLS setup) with the product's TLS and credentials, and
// each connect is driver::nats::Connect, as JetStreamConnection::Open's.
TEST_F(SecurityTest, NatsSignedAuthenticationIsLetInEveryTime) {
  config::NatsTarget creds, nkey;
  creds.servers = {nats_jwt_};
  creds.credentials_file = dir_ + "/user.creds";
  nkey.servers = {nats_tls_};
  nkey.nkey_seed_file = dir_ + "/nkey-user.seed";
  for (config::NatsTarget* target : {&creds, &nkey}) {
    target->tls = config::TlsSettings{};
    target->tls->ca_file = dir_ + "/ca.pem";
  }
  constexpr int kConnects = 500;
  for (const config::NatsTarget* target : {&creds, &nkey}) {
    natsOptions* raw = nullptr;
    ASSERT_EQ(natsOptions_Create(&raw), NATS_OK);
    const std::unique_ptr<natsOptions, decltype(&natsOptions_Destroy)> opts(raw,
                                                                            natsOptions_Destroy);
    std::string error;
    ASSERT_EQ(
        natsOptions_SetServers(opts.get(), std::array{target->servers.front().c_str()}.data(), 1),
        NATS_OK);
    ASSERT_EQ(driver::nats::ApplySecurity(opts.get(), *target, error), NATS_OK) << error;
    int refused = 0;
    log::SetLevel(log::Level::kDebug);  // Connect logs each retry
    ::testing::internal::CaptureStderr();
    for (int i = 0; i < kConnects; ++i) {
      natsConnection* nc = nullptr;
      if (driver::nats::Connect(&nc, opts.get(), *target) != NATS_OK) ++refused;
      natsConnection_Destroy(nc);
    }
    const std::string log = ::testing::internal::GetCapturedStderr();
    log::SetLevel(log::Level::kInfo);
    EXPECT_EQ(refused, 0) << target->servers.front() << ": " << refused << " of " << kConnects
                          << " connects refused (cnats " << nats_GetVersion() << ", "
                          << driver::nats::AuthAttempts(*target, nats_GetVersionNumber())
                          << " attempts each)";
    std::size_t retries = 0;
    for (std::size_t at = log.find("connecting again"); at != std::string::npos;
         at = log.find("connecting again", at + 1)) {
      ++retries;
    }
    std::printf("%s: %d connects, %zu retried (cnats %s)\n", target->servers.front().c_str(),
                kConnects, retries, nats_GetVersion());
  }
}

// A creds user allowed only the subjects docs/security.md lists (natsauth's limited.creds, for
// topic_prefix brokerload-perm): what the docs claim is enough, is.
TEST_F(SecurityTest, NatsWithOnlyTheDocumentedPermissions) {
  RunAndAccount(Config("  nats:\n    servers: [\"" + nats_jwt_ + "\"]\n    tls: {ca_file: " + dir_ +
                           "/ca.pem}\n    credentials_file: " + dir_ +
                           "/limited.creds\n    ack_policy: explicit\n",
                       "brokerload-perm", true),
                "nats");
}

TEST_F(SecurityTest, KafkaWrongPasswordEndsTheStartAtOnce) {
  ExpectRefused(Config(KafkaScram(dir_ + "/ca.pem", WrongPasswordFile()), "sec-badpw"),
                "kafka: authentication failed: ");
}

TEST_F(SecurityTest, KafkaUntrustedCaEndsTheStartAtOnce) {
  ExpectRefused(Config(KafkaScram(dir_ + "/other-ca.pem", dir_ + "/kafka.password"), "sec-badca"),
                "kafka: certificate verify failed: ");
}

TEST_F(SecurityTest, KafkaPlaintextToATlsListenerEndsTheStartAtOnce) {
  ExpectRefused(Config("  kafka: {bootstrap_servers: \"" + kafka_sasl_ + "\"}\n", "sec-plain"),
                "kafka: protocol mismatch");
}

TEST_F(SecurityTest, NatsWrongPasswordEndsTheStartAtOnce) {
  ExpectRefused(
      Config(NatsPassword(dir_ + "/ca.pem", "\"${env:BROKERLOAD_TEST_WRONG}\""), "sec-nbadpw"),
      "nats: cannot connect to " + nats_tls_ + ": authentication failed: ",
      std::string("BROKERLOAD_TEST_WRONG=") + kWrongPassword);
}

TEST_F(SecurityTest, NatsUntrustedCaEndsTheStartAtOnce) {
  ExpectRefused(
      Config(NatsPassword(dir_ + "/other-ca.pem", "\"${env:BROKERLOAD_TEST_PW}\""), "sec-nbadca"),
      "nats: cannot connect to " + nats_tls_ + ": certificate verify failed: ",
      "BROKERLOAD_TEST_PW=" + Read(dir_ + "/nats.password"));
}

TEST_F(SecurityTest, KafkaExpiredServerCertificateEndsTheStartAtOnce) {
  ExpectRefused(
      Config("  kafka:\n    bootstrap_servers: \"" + kafka_expired_ +
                 "\"\n    security: {protocol: ssl, tls: {ca_file: " + dir_ + "/ca.pem}}\n",
             "brokerload-expired"),
      "kafka: certificate verify failed: ", "", "certificate has expired");
}

TEST_F(SecurityTest, KafkaTopicOutsideTheAclsEndsTheStartAtOnce) {
  ExpectRefused(Config(KafkaScram(dir_ + "/ca.pem", dir_ + "/kafka.password"), "sec-noacl"),
                "kafka: not authorized: topic sec-noacl-", "", "Authorization failed");
}

// An ACL denying Write, added while the run goes on: the refused publishes count as
// publish errors of reason "unauthorized", one log line says so, and nothing else is blamed.
TEST_F(SecurityTest, KafkaWriteDeniedMidRunIsUnauthorized) {
  const std::string prefix = UniqueName("brokerload-deny");
  std::string yaml = Config(KafkaScram(dir_ + "/ca.pem", dir_ + "/kafka.password"), prefix, true);
  const std::string stages =
      "stages: [{name: short, rate: 1000, messages: " + std::to_string(kMessages) + "}]";
  yaml.replace(yaml.find(stages), stages.size(),
               "stages: [{name: long, rate: 200, duration: 10m}]");
  BrokerloadProcess process(yaml, "", {"--log-level", "debug"});
  const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(10));
  ASSERT_NE(port, 0) << process.Log();
  const std::map<std::string, std::string> kafka = {{"target", "kafka"}};
  const std::map<std::string, std::string> unauthorized = {{"target", "kafka"},
                                                           {"reason", "unauthorized"}};
  auto wait_for = [&](const char* metric, const std::map<std::string, std::string>& labels) {
    std::string metrics;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    while (std::chrono::steady_clock::now() < deadline) {
      metrics = HttpGet(port, "/metrics").second;
      if (SumMetric(metrics, metric, labels) >= 100) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return metrics;
  };
  std::string metrics = wait_for("brokerload_messages_acked_total", kafka);
  ASSERT_GE(SumMetric(metrics, "brokerload_messages_acked_total", kafka), 100) << process.Log();
  EXPECT_EQ(SumMetric(metrics, "brokerload_publish_errors_total", kafka), 0);
  ASSERT_TRUE(DenyWrite(kafka_plain_, prefix));
  metrics = wait_for("brokerload_publish_errors_total", unauthorized);
  EXPECT_GE(SumMetric(metrics, "brokerload_publish_errors_total", unauthorized), 100)
      << Lines(metrics, "brokerload_publish_errors_total") << process.Log();
  EXPECT_EQ(SumMetric(metrics, "brokerload_publish_errors_total", kafka),
            SumMetric(metrics, "brokerload_publish_errors_total", unauthorized))
      << Lines(metrics, "brokerload_publish_errors_total");
  // The interval's problem line (every 10 s) names the reason.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (process.Log().find("(totals: unauthorized ") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_THAT(process.Log(), HasSubstr("kafka: ")) << process.Log();
  EXPECT_THAT(process.Log(), HasSubstr("(totals: unauthorized ")) << process.Log();
  EXPECT_EQ(SumMetric(metrics, "brokerload_messages_duplicated_total", kafka), 0);
  EXPECT_EQ(process.Terminate(std::chrono::seconds(60)), 0) << process.Log();
  ExpectNoSecret("the debug log", process.Log());
}

TEST_F(SecurityTest, NatsClientCertificateAsTheIdentity) {
  RunAndAccount(Config("  nats:\n    servers: [\"" + nats_mtls_ +
                           "\"]\n    tls: {ca_file: " + dir_ + "/ca.pem, cert_file: " + dir_ +
                           "/client.pem, key_file: " + dir_ + "/client-key.pem}\n",
                       "sec-nmtls"),
                "nats");
}

TEST_F(SecurityTest, NatsWithoutTheClientCertificateEndsTheStartAtOnce) {
  ExpectRefused(Config("  nats:\n    servers: [\"" + nats_mtls_ +
                           "\"]\n    tls: {ca_file: " + dir_ + "/ca.pem}\n",
                       "sec-nnocert"),
                "nats: cannot connect to " + nats_mtls_ +
                    ": the server requires a client certificate (its INFO says tls_verify");
}

TEST_F(SecurityTest, NatsExpiredServerCertificateEndsTheStartAtOnce) {
  ExpectRefused(Config("  nats:\n    servers: [\"" + nats_expired_ +
                           "\"]\n    tls: {ca_file: " + dir_ + "/ca.pem}\n",
                       "sec-nexpired"),
                "nats: cannot connect to " + nats_expired_ + ": certificate verify failed: ", "",
                "certificate has expired");
}

// compare on both secured targets: the three reports, the output (debug level) and exit 0, none
// holding a secret.
TEST_F(SecurityTest, CompareReportsShowNoSecret) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / UniqueName("sec-compare");
  std::filesystem::create_directories(dir);
  const std::string config = (dir / "compare.yaml").string();
  std::ofstream(config) << "targets:\n"
                        << KafkaScram(dir_ + "/ca.pem", dir_ + "/kafka.password")
                        << "  nats:\n    servers: [\"" << nats_jwt_
                        << "\"]\n    tls: {ca_file: " << dir_
                        << "/ca.pem}\n    credentials_file: " << dir_ << "/user.creds\n"
                        << "workload: {topic_prefix: " << UniqueName("brokerload-cmp")
                        << ", workers: 8}\n";
  const std::string output = (dir / "output").string();
  const std::string command = std::string(BROKERLOAD_BINARY) + " compare --config " + config +
                              " --profile seed --seed-rate 4000 --warmup 1s --log-level debug "
                              "--out " +
                              (dir / "report").string() + " >" + output + " 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0) << Read(output);
  ExpectNoSecret("compare's output", Read(output));
  for (const char* name : {"report.md", "report.json", "report.html"}) {
    const std::string report = Read((dir / "report" / name).string());
    EXPECT_FALSE(report.empty()) << name;
    ExpectNoSecret(name, report);
  }
}

}  // namespace
}  // namespace brokerload::testing
