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

// Parses and validates YAML text; `file_name` only labels the errors. Secrets are resolved from
// the environment and from files here. `check`, when set, vets Kafka pass-through properties.
// Never throws.
LoadResult Parse(std::string_view text, const std::string& file_name,
                 const PropertyCheck& check = {});

// Reads and parses a file. Never throws.
LoadResult LoadFile(const std::string& path, const PropertyCheck& check = {});

// "250us", "10ms", "5s", "2m", "1h" (also "ns"); nullopt for anything else or a negative value.
std::optional<Duration> ParseDuration(std::string_view text);

}  // namespace brokerload::config
