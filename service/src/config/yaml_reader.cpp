#include "config/yaml_reader.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <system_error>
#include <type_traits>

namespace brokerload::config {
namespace {

// The whole of `text` as a number; never NaN or infinite (from_chars reads "nan" and "inf").
template <typename T>
bool ParseNumber(const std::string& text, T& value) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(value)) return false;
  }
  return ec == std::errc() && ptr == end;
}

}  // namespace

std::string YamlReader::Join(const std::string& path, const char* key) {
  return path.empty() ? std::string(key) : path + "." + key;
}

std::string YamlReader::Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    default:
      return "nothing";
  }
}

void YamlReader::ErrorAtLine(int line, int column, const std::string& key,
                             const std::string& message) {
  errors_.push_back(ConfigError{file_, line, column, key, message});
}

namespace {
// Where `at` is in the file; line 0 for a key absent from it (a default, not a place).
YAML::Mark MarkOf(const YAML::Node& at) {
  return at.IsDefined() ? at.Mark() : YAML::Mark::null_mark();
}
}  // namespace

void YamlReader::Error(const YAML::Node& at, const std::string& key, const std::string& expected) {
  const YAML::Mark mark = MarkOf(at);
  ErrorAtLine(mark.line + 1, mark.column + 1, key,
              "expected " + expected + ", got " + Describe(at));
}

void YamlReader::ErrorGot(const YAML::Node& at, const std::string& key, const std::string& expected,
                          const std::string& got) {
  const YAML::Mark mark = MarkOf(at);
  ErrorAtLine(mark.line + 1, mark.column + 1, key, "expected " + expected + ", got " + got);
}

void YamlReader::Warning(const YAML::Node& at, const std::string& key, const std::string& message) {
  const YAML::Mark mark = MarkOf(at);
  warnings_.push_back(ConfigError{file_, mark.line + 1, mark.column + 1, key, message});
}

bool YamlReader::Scalar(const YAML::Node& node, const std::string& key, const char* expected) {
  if (node.IsScalar()) return true;
  Error(node, key, expected);
  return false;
}

void YamlReader::CheckDuplicateKeys(const YAML::Node& node, const std::string& path) {
  if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      CheckDuplicateKeys(node[i], path + "[" + std::to_string(i) + "]");
    }
    return;
  }
  if (!node.IsMap()) return;
  std::map<std::string, YAML::Mark> seen;
  for (const auto& entry : node) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    const std::string key_path = Join(path, key.c_str());
    if (const auto [first, inserted] = seen.emplace(key, entry.first.Mark()); !inserted) {
      const YAML::Mark mark = entry.first.Mark();
      ErrorAtLine(mark.line + 1, mark.column + 1, key_path,
                  "appears twice in one map (first at line " +
                      std::to_string(first->second.line + 1) + "); keep one");
    }
    CheckDuplicateKeys(entry.second, key_path);
  }
}

bool YamlReader::CheckMap(const YAML::Node& node, const std::string& path,
                          std::initializer_list<const char*> allowed) {
  if (!node.IsMap()) {
    Error(node, path, "a map");
    return false;
  }
  std::string names;
  for (const char* name : allowed) names += (names.empty() ? "" : ", ") + std::string(name);
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    bool known = false;
    for (const char* name : allowed) known = known || key == name;
    if (!known) {
      const YAML::Mark mark = entry.first.Mark();
      ErrorAtLine(mark.line + 1, mark.column + 1, Join(path, key.c_str()),
                  "unknown key (allowed here: " + names + ")");
    }
  }
  return true;
}

void YamlReader::Int(const YAML::Node& map, const std::string& path, const char* key, int& out,
                     int min, int max) {
  const YAML::Node node = map[key];
  if (!node) return;
  const std::string expected =
      "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  int value = 0;
  if (!Scalar(node, Join(path, key), expected.c_str())) return;
  if (!ParseNumber(node.Scalar(), value) || value < min || value > max) {
    Error(node, Join(path, key), expected);
    return;
  }
  out = value;
}

void YamlReader::IntOrWord(const YAML::Node& map, const std::string& path, const char* key,
                           int& out, int min, int max, const char* word, bool& is_word) {
  const YAML::Node node = map[key];
  if (!node) return;
  const std::string expected =
      "an integer from " + std::to_string(min) + " to " + std::to_string(max) + ", or " + word;
  if (!Scalar(node, Join(path, key), expected.c_str())) return;
  if (node.Scalar() == word) {
    is_word = true;
    return;
  }
  int value = 0;
  if (!ParseNumber(node.Scalar(), value) || value < min || value > max) {
    Error(node, Join(path, key), expected);
    return;
  }
  out = value;
}

void YamlReader::Int64(const YAML::Node& map, const std::string& path, const char* key,
                       std::int64_t& out, std::int64_t min) {
  const YAML::Node node = map[key];
  if (!node) return;
  const std::string expected = "an integer of at least " + std::to_string(min);
  std::int64_t value = 0;
  if (!Scalar(node, Join(path, key), expected.c_str())) return;
  if (!ParseNumber(node.Scalar(), value) || value < min) {
    Error(node, Join(path, key), expected);
    return;
  }
  out = value;
}

void YamlReader::UInt64(const YAML::Node& map, const std::string& path, const char* key,
                        std::optional<std::uint64_t>& out) {
  const YAML::Node node = map[key];
  if (!node) return;
  std::uint64_t value = 0;
  const char* expected = "a whole number of messages above 0";
  if (!Scalar(node, Join(path, key), expected)) return;
  if (!ParseNumber(node.Scalar(), value) || value == 0) {
    Error(node, Join(path, key), expected);
    return;
  }
  out = value;
}

void YamlReader::Rate(const YAML::Node& map, const std::string& path, const char* key, double& out,
                      bool or_max) {
  const YAML::Node node = map[key];
  if (!node) return;
  const char* expected =
      or_max ? "a rate in messages per second above 0 (at most 10000000), or max (unpaced)"
             : "a rate in messages per second above 0 (at most 10000000)";
  double value = 0;
  if (!Scalar(node, Join(path, key), expected)) return;
  if (!ParseNumber(node.Scalar(), value) || !(value > 0) || value > 1e7) {
    Error(node, Join(path, key), expected);
    return;
  }
  out = value;
}

void YamlReader::Number(const YAML::Node& map, const std::string& path, const char* key,
                        double& out, double min, double max) {
  const YAML::Node node = map[key];
  if (!node) return;
  char expected[96];
  std::snprintf(expected, sizeof expected, "a number from %g to %g", min, max);
  double value = 0;
  if (!Scalar(node, Join(path, key), expected)) return;
  if (!ParseNumber(node.Scalar(), value) || !(value >= min) || !(value <= max)) {
    Error(node, Join(path, key), expected);
    return;
  }
  out = value;
}

void YamlReader::Bool(const YAML::Node& map, const std::string& path, const char* key, bool& out) {
  const YAML::Node node = map[key];
  if (!node) return;
  if (!Scalar(node, Join(path, key), "true or false")) return;
  const std::string& text = node.Scalar();
  if (text == "true") {
    out = true;
  } else if (text == "false") {
    out = false;
  } else {
    Error(node, Join(path, key), "true or false");
  }
}

void YamlReader::String(const YAML::Node& map, const std::string& path, const char* key,
                        std::string& out) {
  const YAML::Node node = map[key];
  if (!node) return;
  if (!Scalar(node, Join(path, key), "a non-empty string")) return;
  if (node.Scalar().empty()) {
    Error(node, Join(path, key), "a non-empty string");
    return;
  }
  out = node.Scalar();
}

void YamlReader::Duration(const YAML::Node& map, const std::string& path, const char* key,
                          config::Duration& out, bool allow_zero) {
  const YAML::Node node = map[key];
  if (!node) return;
  const std::string expected =
      std::string("a duration such as 250us, 10ms, 5s, 2m or 1h") + (allow_zero ? "" : ", above 0");
  if (!Scalar(node, Join(path, key), expected.c_str())) return;
  const std::optional<config::Duration> value = ParseDuration(node.Scalar());
  if (value && (allow_zero || value->count() > 0)) {
    out = *value;
    return;
  }
  Error(node, Join(path, key), expected);
}

void YamlReader::OptionalDuration(const YAML::Node& map, const std::string& path, const char* key,
                                  std::optional<config::Duration>& out) {
  if (!map[key]) return;
  config::Duration value{-1};
  Duration(map, path, key, value, false);
  if (value.count() > 0) out = value;
}

void YamlReader::StringList(const YAML::Node& map, const std::string& path, const char* key,
                            std::vector<std::string>& out) {
  const YAML::Node node = map[key];
  if (!node) return;
  if (node.IsScalar() && !node.Scalar().empty()) {
    out = {node.Scalar()};
    return;
  }
  if (!node.IsSequence() || node.size() == 0) {
    Error(node, Join(path, key), "a non-empty list of strings");
    return;
  }
  std::vector<std::string> values;
  for (const auto& item : node) {
    if (!item.IsScalar() || item.Scalar().empty()) {
      Error(item, Join(path, key), "a non-empty string");
      return;
    }
    values.push_back(item.Scalar());
  }
  out = std::move(values);
}

void YamlReader::Properties(const YAML::Node& map, const std::string& path, const char* key,
                            config::Properties& out) {
  const YAML::Node node = map[key];
  if (!node) return;
  if (!node.IsMap()) {
    Error(node, Join(path, key), "a map of client property names to values");
    return;
  }
  for (const auto& entry : node) {
    if (!entry.second.IsScalar()) {
      Error(entry.second, Join(path, key) + "." + entry.first.Scalar(), "a scalar value");
      continue;
    }
    out.emplace_back(entry.first.Scalar(), entry.second.Scalar());
  }
}

std::optional<std::string> EnvReference(const std::string& text, std::string& name) {
  constexpr std::string_view kPrefix = "${env:";
  if (!text.starts_with(kPrefix) || !text.ends_with("}")) return std::nullopt;
  name = text.substr(kPrefix.size(), text.size() - kPrefix.size() - 1);
  const char* value = name.empty() ? nullptr : std::getenv(name.c_str());
  return std::string(value == nullptr ? "" : value);
}

void YamlReader::SecretValue(const YAML::Node& map, const std::string& path, const char* key,
                             config::Secret& out) {
  const std::string file_key = std::string(key) + "_file";
  const YAML::Node node = map[key];
  const YAML::Node file_node = map[file_key];
  if (node && file_node) {
    ErrorGot(file_node, Join(path, file_key.c_str()),
             std::string("either ") + key + " or " + file_key, "both");
    return;
  }
  if (file_node) {
    std::string file_name;
    File(map, path, file_key.c_str(), file_name);
    if (file_name.empty()) return;
    std::ifstream file(file_name);
    std::ostringstream text;
    text << file.rdbuf();
    std::string value = text.str();
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    if (value.empty()) {
      ErrorGot(file_node, Join(path, file_key.c_str()), "a file holding the secret",
               "an empty file");
      return;
    }
    out = config::Secret(std::move(value));
    return;
  }
  if (!node) return;
  if (!node.IsScalar() || node.Scalar().empty()) {
    ErrorGot(node, Join(path, key), "a secret: ${env:NAME}, or " + file_key + " beside it",
             node.IsScalar() ? "an empty value" : (node.IsMap() ? "a map" : "a list"));
    return;
  }
  std::string env_name;
  if (const std::optional<std::string> value = EnvReference(node.Scalar(), env_name)) {
    if (value->empty()) {
      ErrorGot(node, Join(path, key), "environment variable '" + env_name + "' to be set",
               "nothing (unset or empty)");
      return;
    }
    out = config::Secret(*value);
    return;
  }
  Warning(node, Join(path, key),
          "a literal secret in the config file; prefer ${env:NAME} or " + file_key);
  out = config::Secret(node.Scalar());
}

void YamlReader::File(const YAML::Node& map, const std::string& path, const char* key,
                      std::string& out) {
  const YAML::Node node = map[key];
  if (!node) return;
  if (!Scalar(node, Join(path, key), "a file path")) return;
  std::ifstream file(node.Scalar());
  if (!file) {
    Error(node, Join(path, key), "a readable file");
    return;
  }
  out = node.Scalar();
}

void YamlReader::Buckets(const YAML::Node& map, const std::string& path, const char* key,
                         std::vector<double>& out) {
  const YAML::Node node = map[key];
  if (!node) return;
  const char* expected = "a non-empty list of increasing bucket bounds in seconds";
  if (!node.IsSequence() || node.size() == 0) {
    Error(node, Join(path, key), expected);
    return;
  }
  std::vector<double> values;
  for (const auto& item : node) {
    double value = 0;
    if (!item.IsScalar() || !ParseNumber(item.Scalar(), value) || !(value > 0) ||
        (!values.empty() && value <= values.back())) {
      Error(item, Join(path, key), expected);
      return;
    }
    values.push_back(value);
  }
  out = std::move(values);
}

std::optional<Duration> ParseDuration(std::string_view text) {
  const std::pair<const char*, double> units[] = {{"ns", 1},  {"us", 1e3}, {"ms", 1e6},
                                                  {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  for (const auto& [unit, ns_per_unit] : units) {
    const std::string_view suffix(unit);
    if (text.size() <= suffix.size() || !text.ends_with(suffix)) continue;
    double value = 0;
    if (!ParseNumber(std::string(text.substr(0, text.size() - suffix.size())), value) ||
        value < 0 || value * ns_per_unit > 1e18) {
      return std::nullopt;
    }
    return Duration(static_cast<std::int64_t>(std::llround(value * ns_per_unit)));
  }
  return std::nullopt;
}

}  // namespace brokerload::config
