#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace brokerload::testing {

// The real brokerload binary, started with a config file, for tests that scrape its metrics.
class BrokerloadProcess {
 public:
  // Writes `config_yaml` to a temp file and starts `brokerload run` (the build's binary, or
  // $BROKERLOAD_TEST_BINARY); logs go to a temp file.
  // `extra_env` ("NAME=value") is added to the environment.
  explicit BrokerloadProcess(const std::string& config_yaml, const std::string& extra_env = "",
                             const std::vector<std::string>& extra_args = {});
  ~BrokerloadProcess();  // SIGKILL if still running

  // Waits for the "metrics on port N" log line; 0 when it never came.
  unsigned short WaitForMetricsPort(std::chrono::seconds timeout);
  // Sends SIGTERM and waits; the exit code, or -1 on timeout or death by signal.
  int Terminate(std::chrono::seconds timeout);
  // Waits for the process to exit on its own; the exit code, or -1 on timeout or signal.
  int WaitForExit(std::chrono::seconds timeout);
  std::string Log() const;
  std::string Stdout() const;
  pid_t Pid() const { return pid_; }
  // The config file it runs with (`run --config`), for tests that change it under it.
  std::string ConfigPath() const { return dir_ + "/config.yaml"; }

 private:
  std::string dir_;
  pid_t pid_ = -1;
};

// A shell command's exit code (-1 when it did not exit) and its stdout and stderr together.
struct CommandOutput {
  int exit_code = -1;
  std::string text;
};
CommandOutput Command(const std::string& command);

// `brokerload cleanup --config config_path` (the binary BrokerloadProcess runs): deletes the
// topics and streams a run of that config created. A JetStream memory stream holds its max_bytes
// of the shared test server's memory until it is deleted.
CommandOutput Cleanup(const std::string& config_path);

// GET http://127.0.0.1:port/path; the status code and body (status 0 when no connection).
std::pair<int, std::string> HttpGet(unsigned short port, const std::string& path);

// Sums the samples of `name` (exact metric name) whose labels contain every `labels` pair.
double SumMetric(const std::string& exposition, const std::string& name,
                 const std::map<std::string, std::string>& labels = {});

// The test suites' one check that every message of the series matching `labels` was accounted
// once: `messages` published, acknowledged and consumed, none lost or duplicated, no publish
// error, no send dropped. Each metric is one gtest expectation naming it.
void ExpectEachMessageOnce(const std::string& exposition,
                           const std::map<std::string, std::string>& labels, double messages);

// The end-of-run summary's row for `target` in the process's stdout: published, acked, consumed,
// errors, lost, unconfirmed, duplicated (app/summary.cpp); empty when there is none.
std::vector<double> SummaryRow(const std::string& stdout_text, const std::string& target);

// Polls `condition` every 200 ms until it holds (true) or `timeout` passes (false).
bool WaitFor(const std::function<bool()>& condition, std::chrono::seconds timeout);

// Scrapes brokerload's /metrics on `port` into `metrics` until the sum of `name` over the
// series of `target` exceeds `threshold` (true) or `timeout` passes (false).
bool WaitForAbove(unsigned short port, std::string& metrics, const std::string& name,
                  const std::string& target, double threshold, std::chrono::seconds timeout);

}  // namespace brokerload::testing
