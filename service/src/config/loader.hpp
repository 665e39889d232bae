#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/property_check.hpp"

namespace brokerload::config {

// One problem in a config file, shown as `file:line:col key: expected X, got Y`.
struct ConfigError {
  std::string file;
  int line = 0;  // 1-based; 0 when the problem has no place (an unreadable file)
  int column = 0;
  std::string key;  // dotted path, e.g. targets.kafka.topic.partitions
  std::string message;

  std::string ToString() const;
};

struct LoadResult {
  std::optional<Config> config;     // set when errors is empty
  std::vector<ConfigError> errors;  // every problem found, in file order
  std::vector<ConfigError>
      warnings;  // accepted, but worth a line (a literal secret); never a value
};

// A check of the workload as a whole that needs a module above config (the app's estimate of the
// accounting memory it takes): the problem in words, or nullopt. Called once the rest is read,
// whether or not it had errors.
using WorkloadCheck = std::function<std::optional<std::string>(const Config& config)>;

// Parses and validates YAML text; `file_name` only labels the errors. Secrets are resolved from
// the environment and from files here. `check`, when set, vets Kafka pass-through properties;
// `workload_check`'s problem is reported at workload.keys (or workload). Never throws.
LoadResult Parse(std::string_view text, const std::string& file_name,
                 const PropertyCheck& check = {}, const WorkloadCheck& workload_check = {});

// Reads and parses a file. Never throws.
LoadResult LoadFile(const std::string& path, const PropertyCheck& check = {},
                    const WorkloadCheck& workload_check = {});

// "250us", "10ms", "5s", "2m", "1h" (also "ns"); nullopt for anything else or a negative value.
std::optional<Duration> ParseDuration(std::string_view text);

}  // namespace brokerload::config
