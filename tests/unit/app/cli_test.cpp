// The command line as a user meets it: exit codes and messages of the real binary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Outcome {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// `shell_prefix`: shell commands run first in the same shell (limits for the binary).
Outcome RunBrokerload(const std::string& arguments, const std::string& shell_prefix = "") {
  const std::string command =
      shell_prefix + "exec " + std::string(BROKERLOAD_BINARY) + " " + arguments + " 2>&1";
  Outcome outcome;
  FILE* pipe = popen(command.c_str(), "r");
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) outcome.output += buffer.data();
  const int status = pclose(pipe);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

TEST(Cli, PrintsItsVersion) {
  const Outcome o = RunBrokerload("--version");
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_THAT(o.output, HasSubstr("brokerload 0."));
  // The libraries it runs with, as they report themselves: those pkg-config found for the build.
  EXPECT_THAT(o.output, HasSubstr("librdkafka      " BROKERLOAD_TEST_RDKAFKA_VERSION "\n"));
  EXPECT_THAT(o.output, HasSubstr("cnats           " BROKERLOAD_TEST_NATS_VERSION "\n"));
  EXPECT_THAT(o.output, HasSubstr("nats data path  "));
  EXPECT_THAT(o.output, HasSubstr("OpenSSL         OpenSSL "));
  EXPECT_THAT(o.output, Not(HasSubstr("unknown")));
}

TEST(Cli, BadCommandLinesExitWithUsage) {
  EXPECT_EQ(RunBrokerload("").exit_code, 64);
  const Outcome unknown = RunBrokerload("fly");
  EXPECT_EQ(unknown.exit_code, 64);
  EXPECT_THAT(unknown.output, HasSubstr("unknown command 'fly'"));
  EXPECT_THAT(RunBrokerload("run").output, HasSubstr("run needs --config FILE"));
  EXPECT_THAT(RunBrokerload("run --config x --log-level loud").output,
              HasSubstr("--log-level: expected debug, info, warn or error, got 'loud'"));
}

TEST(Cli, CompareChecksItsOptions) {
  EXPECT_THAT(RunBrokerload("compare --out /tmp/x").output,
              HasSubstr("compare needs --config FILE"));
  EXPECT_THAT(RunBrokerload("compare --config x").output, HasSubstr("compare needs --out DIR"));
  const Outcome profile = RunBrokerload("compare --config x --out y --profile soak");
  EXPECT_EQ(profile.exit_code, 64);
  EXPECT_THAT(profile.output, HasSubstr("--profile: expected seed, got 'soak'"));
  EXPECT_THAT(RunBrokerload("compare --config x --out y --warmup soon").output,
              HasSubstr("--warmup: expected a duration such as 2s, got 'soon'"));
  EXPECT_THAT(RunBrokerload("compare --config x --out y --seed-rate fast").output,
              HasSubstr("--seed-rate: expected msg/s above 0, got 'fast'"));
  EXPECT_THAT(RunBrokerload("compare --config x --out y --max-p99-rise lots").output,
              HasSubstr("--max-p99-rise: expected a percentage, got 'lots'"));
  EXPECT_THAT(RunBrokerload("compare --config x --out y --baseline").output,
              HasSubstr("compare: --baseline needs a value"));
}

TEST(Cli, CompareRefusesAnEndlessProfile) {
  const std::string path = WriteFile("endless.yaml", "targets: {nats: {}}\nprofile: {rate: 10}\n");
  const Outcome o = RunBrokerload("compare --config " + path + " --out " + ::testing::TempDir());
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.output, HasSubstr("compare needs a bounded profile"));
}

TEST(Cli, CompareRefusesAnInstanceThatOnlyProducesOrOnlyConsumes) {
  const std::string path =
      WriteFile("half.yaml",
                "targets: {nats: {}}\nprofile: {stages: [{rate: 10, messages: 10}]}\n"
                "run: {role: consume-only}\n");
  const Outcome o = RunBrokerload("compare --config " + path + " --out " + ::testing::TempDir());
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.output, HasSubstr("compare measures both ends in one process: run.role must be "
                                  "full"));
}

TEST(Cli, ValidateConfigListsEveryProblemAndExitsTwo) {
  const std::string path =
      WriteFile("bad.yaml", "targets:\n  nats: {}\nworkload:\n  topics: 0\n  colour: red\n");
  const Outcome o = RunBrokerload("validate-config " + path);
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.output, HasSubstr(path + ":4:11 workload.topics: expected an integer"));
  EXPECT_THAT(o.output, HasSubstr(path + ":5:3 workload.colour: unknown key"));
  EXPECT_THAT(o.output, HasSubstr("2 problem(s) in " + path));
}

TEST(Cli, ValidateConfigAcceptsAGoodFile) {
  const Outcome o =
      RunBrokerload("validate-config " + WriteFile("good.yaml", "targets: {nats: {}}\n"));
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_THAT(o.output, HasSubstr("valid"));
}

TEST(Cli, RunRefusesAnInvalidConfigBeforeTouchingABroker) {
  const Outcome o = RunBrokerload("run --config /nonexistent.yaml");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.output, HasSubstr("/nonexistent.yaml cannot read the config file"));
}

TEST(Cli, RunExitsThreeWhenABrokerIsUnreachableAtStart) {
  const std::string path = WriteFile(
      "unreachable.yaml",
      "targets:\n  nats: {servers: [nats://127.0.0.1:1]}\nmetrics: {listen: 127.0.0.1:0}\n"
      "run: {startup_timeout: 1s}\n");
  const Outcome o = RunBrokerload("run --config " + path);
  EXPECT_EQ(o.exit_code, 3);
  EXPECT_THAT(o.output, HasSubstr("nats: cannot connect to nats://127.0.0.1:1"));
}

// BROKERLOAD_PRODUCER_ID names a replica's topics: a pod name where its ordinal belongs is an
// error of configuration, not producer 0.
TEST(Cli, AProducerIdThatIsNotANumberIsAConfigError) {
  const std::string path =
      WriteFile("producer_id.yaml", "targets:\n  nats: {servers: [nats://127.0.0.1:1]}\n");
  for (const std::string command : {"run --config ", "validate-config "}) {
    const Outcome o = RunBrokerload(command + path, "BROKERLOAD_PRODUCER_ID=brokerload-2 ");
    EXPECT_EQ(o.exit_code, 2) << command;
    EXPECT_THAT(o.output, HasSubstr("BROKERLOAD_PRODUCER_ID: expected a whole number from 0 to "
                                    "4294967295 (each replica's own, such as its pod's ordinal), "
                                    "got 'brokerload-2'"));
  }
}

// What escapes a command (here: no thread can be created, as each would reserve a 3 GB stack in
// a 2 GB address space) is a runtime error with its reason, exit 4, not an abort.
TEST(Cli, AThreadTheSystemRefusesIsARuntimeErrorNotAnAbort) {
#if defined(BROKERLOAD_TEST_SANITIZED)
  GTEST_SKIP() << "a sanitizer's shadow memory needs more address space than the limit leaves";
#endif
  const std::string path =
      WriteFile("no_threads.yaml", "targets:\n  nats: {servers: [nats://127.0.0.1:1]}\n");
  const std::string limits = "ulimit -s 3000000 && ulimit -v 2000000 && ";
  const Outcome compare = RunBrokerload(
      "compare --profile seed --out " + ::testing::TempDir() + " --config " + path, limits);
  EXPECT_EQ(compare.exit_code, 4) << compare.output;
  EXPECT_THAT(compare.output,
              HasSubstr("brokerload: fatal: the system refused a thread or a resource: "));
  EXPECT_THAT(compare.output, HasSubstr("Resource temporarily unavailable"));
  const Outcome run = RunBrokerload("run --config " + path, limits);
  EXPECT_EQ(run.exit_code, 4) << run.output;
  EXPECT_THAT(run.output, HasSubstr("metrics server: cannot start its thread: Resource"));
}

// cleanup --wait: below the floor refused; below the config's quiet time raised to it; a broker
// that cannot be asked is asked again until the wait is over, then exit 3 with nothing deleted.
TEST(Cli, CleanupWaitsOutABrokerItCannotAskAndDeletesNothing) {
  const std::string path = WriteFile(
      "cleanup-unreachable.yaml",
      "targets:\n  nats: {servers: [nats://127.0.0.1:1]}\nmetrics: {listen: 127.0.0.1:0}\n"
      "run: {startup_timeout: 1s, publish_timeout: 7s, drain_timeout: 4500ms}\n");
  const Outcome short_wait = RunBrokerload("cleanup --config " + path + " --wait 9s");
  EXPECT_EQ(short_wait.exit_code, 64);
  EXPECT_THAT(short_wait.output, HasSubstr("--wait: expected a duration of 10s or more, got '9s'"));
  const Outcome o = RunBrokerload("cleanup --config " + path + " --wait 10s");
  EXPECT_EQ(o.exit_code, 3) << o.output;
  EXPECT_THAT(o.output, HasSubstr("--wait raised to 12 s"));
  EXPECT_THAT(o.output, HasSubstr("cleanup: still in use after 12 s, nothing deleted: nats: "
                                  "cannot ask: "));
  EXPECT_THAT(o.output, Not(HasSubstr("deleted stream")));
}

}  // namespace
