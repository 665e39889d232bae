#include "broker_env.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>

namespace brokerload::testing {

::testing::AssertionResult LoadBrokerAddress(std::string_view key, std::string& address) {
  const char* path = std::getenv("BROKERLOAD_BROKERS_ENV");
  if (path == nullptr || *path == '\0') {
    return ::testing::AssertionFailure()
           << "BROKERLOAD_BROKERS_ENV is not set: run integration tests through ctest, whose "
              "`brokers` fixture starts the brokers (deploy/local/brokers.sh)";
  }
  std::ifstream file(path);
  if (!file) {
    return ::testing::AssertionFailure()
           << "broker env file " << path << " is missing: the `brokers` fixture did not start";
  }
  std::string line;
  while (std::getline(file, line)) {
    if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 &&
        line[key.size()] == '=') {
      address = line.substr(key.size() + 1);
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure()
         << "no " << key << " in " << path << ": that broker did not start (see the log beside it)";
}

::testing::AssertionResult SingleTargetYaml(const std::string& target, std::string& yaml,
                                            std::string& address) {
  const bool kafka = target == "kafka";
  ::testing::AssertionResult found =
      LoadBrokerAddress(kafka ? "KAFKA_BOOTSTRAP" : "NATS_URL", address);
  if (!found) return found;
  yaml =
      kafka ? "targets:\n  kafka: {bootstrap_servers: \"" + address + "\"}\n"
            : "targets:\n  nats: {servers: [\"" + address + "\"], stream: {max_bytes: 16777216}}\n";
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult BothTargetsYaml(std::string& yaml) {
  std::string kafka, nats;
  if (auto found = LoadBrokerAddress("KAFKA_BOOTSTRAP", kafka); !found) return found;
  if (auto found = LoadBrokerAddress("NATS_URL", nats); !found) return found;
  yaml = "targets:\n  kafka: {bootstrap_servers: \"" + kafka + "\"}\n  nats: {servers: [\"" + nats +
         "\"], stream: {max_bytes: 16777216}}\n";
  return ::testing::AssertionSuccess();
}

std::string UniqueName(std::string_view prefix) {
  static std::atomic<int> counter{0};
  return std::string(prefix) + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(counter.fetch_add(1));
}

}  // namespace brokerload::testing
