// brokerload against secured brokers (deploy/local/brokers.sh SECURE=1, started by the
// `secure_brokers` fixture): Kafka SASL_SSL with SCRAM-SHA-512 and SSL with a client
// certificate; NATS over TLS with a password, an NKey and a credentials file. Each run is
// accounted exactly; a wrong password and an untrusted CA end the start at once with exit 3 and
// the documented cause; and no output of any run holds a secret.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "broker_env.hpp"
#include "brokerload_process.hpp"

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
    secrets_ = {Read(dir_ + "/kafka.password"),      Read(dir_ + "/nats.password"),
                Read(dir_ + "/client-key.password"), SeedOf(dir_ + "/nkey-user.seed"),
                SeedOf(dir_ + "/user.creds"),        kWrongPassword};
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
    EXPECT_EQ(SumMetric(metrics, "brokerload_messages_published_total", labels), kMessages);
    EXPECT_EQ(SumMetric(metrics, "brokerload_messages_acked_total", labels), kMessages);
    EXPECT_EQ(SumMetric(metrics, "brokerload_messages_consumed_total", labels), kMessages);
    EXPECT_EQ(SumMetric(metrics, "brokerload_messages_processed_total", labels), kMessages);
    EXPECT_EQ(SumMetric(metrics, "brokerload_messages_lost_total", labels), 0);
    EXPECT_EQ(SumMetric(metrics, "brokerload_messages_duplicated_total", labels), 0);
    EXPECT_EQ(SumMetric(metrics, "brokerload_publish_errors_total", labels), 0)
        << Lines(metrics, "brokerload_publish_errors_total") << process.Log();
    EXPECT_EQ(SumMetric(metrics, "brokerload_broker_connected", labels), 1);
    ExpectNoSecret("/metrics", metrics);
    EXPECT_EQ(process.Terminate(std::chrono::seconds(30)), 0) << process.Log();
    ExpectNoSecret("the debug log", process.Log());
    ExpectNoSecret("stdout", process.Stdout());
  }

  // Starts `yaml` and expects exit 3 well before run.startup_timeout (60 s), with `cause`.
  void ExpectRefused(const std::string& yaml, const std::string& cause,
                     const std::string& env = "") {
    BrokerloadProcess process(yaml, env, {"--log-level", "debug"});
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(process.WaitForExit(std::chrono::seconds(45)), 3) << process.Log();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30))
        << "retried an error that retrying cannot fix";
    EXPECT_THAT(process.Log(), HasSubstr(cause));
    ExpectNoSecret("the debug log", process.Log());
    ExpectNoSecret("stdout", process.Stdout());
  }

  std::string dir_, kafka_sasl_, kafka_mtls_, nats_tls_, nats_jwt_;
  std::vector<std::string> secrets_;
};

TEST_F(SecurityTest, KafkaScramSha512OverTls) {
  RunAndAccount(Config(KafkaScram(dir_ + "/ca.pem", dir_ + "/kafka.password"), "sec-scram"),
                "kafka");
}

TEST_F(SecurityTest, KafkaMutualTlsWithAnEncryptedKey) {
  const std::string targets =
      "  kafka:\n    bootstrap_servers: \"" + kafka_mtls_ +
      "\"\n    security:\n      protocol: ssl\n      tls: {ca_file: " + dir_ +
      "/ca.pem, cert_file: " + dir_ + "/client.pem, key_file: " + dir_ +
      "/client-key-encrypted.pem, key_password: \"${env:BROKERLOAD_TEST_KEY_PASSWORD}\"}\n";
  RunAndAccount(Config(targets, "sec-mtls"), "kafka",
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

TEST_F(SecurityTest, NatsTlsWithACredentialsFile) {
  RunAndAccount(Config("  nats:\n    servers: [\"" + nats_jwt_ + "\"]\n    tls: {ca_file: " + dir_ +
                           "/ca.pem}\n    credentials_file: " + dir_ + "/user.creds\n",
                       "sec-creds"),
                "nats");
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
                        << "workload: {topic_prefix: " << UniqueName("sec-cmp")
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
