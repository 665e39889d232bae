// What the cluster tests share: deploy/local/cluster.sh and probe.py run against the `cluster`
// fixture's state directory, a node killed and restarted, a bounded single-topic config.
// BROKERLOAD_SOURCE_DIR must be defined; BROKERLOAD_BROKERS_ENV is set by the fixture.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <utility>

namespace brokerload::testing {

inline std::string StateDir() {
  return std::filesystem::path(std::getenv("BROKERLOAD_BROKERS_ENV")).parent_path().string();
}

// Runs deploy/local/cluster.sh or probe.py with `args`; the exit code and the first line of its
// standard output (its standard error goes to commands.log in the state directory).
inline std::pair<int, std::string> Local(const std::string& program, const std::string& args) {
  const std::string out = StateDir() + "/command.out";
  const std::string command = "BROKERLOAD_CLUSTER_DIR=" + StateDir() +
                              " " BROKERLOAD_SOURCE_DIR "/deploy/local/" + program + " " + args +
                              " >" + out + " 2>>" + StateDir() + "/commands.log";
  const int status = std::system(command.c_str());
  std::ifstream file(out);
  std::string text;
  std::getline(file, text);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

// Kills node `node` of `broker` (SIGKILL), waits 10 s and starts it again on its data. It
// restarts the node even when the kill failed, so that the next test finds the whole cluster.
inline ::testing::AssertionResult KillForTenSeconds(const std::string& broker,
                                                    const std::string& node) {
  const int killed = Local("cluster.sh", "kill " + broker + " " + node).first;
  if (killed == 0) std::this_thread::sleep_for(std::chrono::seconds(10));
  const int restarted = Local("cluster.sh", "restart " + broker + " " + node).first;
  if (killed == 0 && restarted == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "cluster.sh kill " << broker << " " << node << " exited " << killed
         << ", restart exited " << restarted << "; see " << StateDir() << "/commands.log";
}

// One topic at 200 msg/s for `messages` messages. `publish_timeout` bounds each publish (Kafka:
// message.timeout.ms); see each test for its choice.
inline std::string Config(const std::string& target_yaml, const std::string& prefix, int messages,
                          const std::string& publish_timeout) {
  return "targets:\n" + target_yaml + "workload: {topics: 1, topic_prefix: " + prefix +
         "}\n"
         "profile:\n  stages: [{name: steady, rate: 200, messages: " +
         std::to_string(messages) +
         "}]\n"
         "metrics: {listen: \"127.0.0.1:0\"}\n"
         "run: {loss_grace: 90s, publish_timeout: " +
         publish_timeout + ", drain_timeout: 60s, warmup: 0s}\n";
}

}  // namespace brokerload::testing
