// What the leaders tests read: brokerload_broker_partitions_led from a scrape, and the brokers'
// own answer through deploy/local/probe.py (BROKERLOAD_SOURCE_DIR must be defined).
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace brokerload::testing {

// brokerload_broker_partitions_led{target=`target`} of one scrape, by broker label.
inline std::map<std::string, int> PartitionsLed(const std::string& exposition,
                                                const std::string& target) {
  std::map<std::string, int> led;
  const std::string prefix = "brokerload_broker_partitions_led{target=\"" + target + "\",broker=\"";
  std::istringstream in(exposition);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) != 0) continue;
    const std::size_t end = line.find('"', prefix.size());
    const std::size_t space = line.rfind(' ');
    if (end == std::string::npos || space == std::string::npos) continue;
    led[line.substr(prefix.size(), end - prefix.size())] = std::stoi(line.substr(space + 1));
  }
  return led;
}

// Runs deploy/local/probe.py with `args`: its exit code and the first line it printed.
inline std::pair<int, std::string> Probe(const std::string& args) {
  const std::string command = "python3 " BROKERLOAD_SOURCE_DIR "/deploy/local/probe.py " + args;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, ""};
  std::string line;
  char buffer[4096];
  if (std::fgets(buffer, sizeof buffer, pipe) != nullptr) line = buffer;
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
  }
  const int status = pclose(pipe);
  if (!line.empty() && line.back() == '\n') line.pop_back();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, line};
}

// probe.py kafka-leader-counts' line: "partitions=3,3 1=2 2=2 3=2".
struct KafkaLeaderCounts {
  std::vector<int> partitions;     // each topic's, in name order
  std::map<std::string, int> led;  // by broker id: the partitions of those topics it leads
};
inline KafkaLeaderCounts ParseLeaderCounts(const std::string& line) {
  KafkaLeaderCounts counts;
  std::istringstream words(line);
  for (std::string word; words >> word;) {
    const std::size_t equals = word.find('=');
    if (equals == std::string::npos) continue;
    const std::string key = word.substr(0, equals);
    const std::string value = word.substr(equals + 1);
    if (key == "partitions") {
      std::istringstream sizes(value);
      for (std::string size; std::getline(sizes, size, ',');) {
        counts.partitions.push_back(std::stoi(size));
      }
    } else {
      counts.led[key] = std::stoi(value);
    }
  }
  return counts;
}

}  // namespace brokerload::testing
