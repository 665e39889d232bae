#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/loader.hpp"

namespace brokerload::config {

// Reads typed values out of YAML maps and records every problem, with its place, instead of
// stopping at the first. A value that is missing keeps the default already in `out`.
class YamlReader {
 public:
  YamlReader(std::string file, std::vector<ConfigError>& errors, std::vector<ConfigError>& warnings)
      : file_(std::move(file)), errors_(errors), warnings_(warnings) {}

  void Error(const YAML::Node& at, const std::string& key, const std::string& expected);
  // Like Error, but `got` replaces the description of the value (for secrets, never the value).
  void ErrorGot(const YAML::Node& at, const std::string& key, const std::string& expected,
                const std::string& got);
  void Warning(const YAML::Node& at, const std::string& key, const std::string& message);
  // Errors recorded so far: a check that combines values runs only if none of them was refused.
  std::size_t ErrorCount() const { return errors_.size(); }
  void ErrorAtLine(int line, int column, const std::string& key, const std::string& message);

  // Records each key that appears twice in one map, anywhere below `node` (yaml-cpp keeps both
  // and answers lookups with the first, so the second would be ignored without a word).
  void CheckDuplicateKeys(const YAML::Node& node, const std::string& path);

  // True when `node` is a map; records a wrong type and each key that is not in `allowed`.
  bool CheckMap(const YAML::Node& node, const std::string& path,
                std::initializer_list<const char*> allowed);

  void Int(const YAML::Node& map, const std::string& path, const char* key, int& out, int min,
           int max);
  // An integer as Int, or the word `word` instead (sets `is_word`; `out` keeps its value).
  void IntOrWord(const YAML::Node& map, const std::string& path, const char* key, int& out, int min,
                 int max, const char* word, bool& is_word);
  void Int64(const YAML::Node& map, const std::string& path, const char* key, std::int64_t& out,
             std::int64_t min);
  void UInt64(const YAML::Node& map, const std::string& path, const char* key,
              std::optional<std::uint64_t>& out);
  // `or_max`: the error also offers `max` (which the caller reads itself).
  void Rate(const YAML::Node& map, const std::string& path, const char* key, double& out,
            bool or_max = false);
  // A number from min to max, both included.
  void Number(const YAML::Node& map, const std::string& path, const char* key, double& out,
              double min, double max);
  void Bool(const YAML::Node& map, const std::string& path, const char* key, bool& out);
  void String(const YAML::Node& map, const std::string& path, const char* key, std::string& out);
  void Duration(const YAML::Node& map, const std::string& path, const char* key,
                config::Duration& out, bool allow_zero);
  void OptionalDuration(const YAML::Node& map, const std::string& path, const char* key,
                        std::optional<config::Duration>& out);
  template <typename E>
  void Enum(const YAML::Node& map, const std::string& path, const char* key, E& out,
            const std::map<std::string, E>& names);
  void StringList(const YAML::Node& map, const std::string& path, const char* key,
                  std::vector<std::string>& out);
  void Properties(const YAML::Node& map, const std::string& path, const char* key,
                  config::Properties& out);
  // A secret at `key`: literal (accepted with a warning), `${env:NAME}`, or read from the file
  // named by `<key>_file`. No message ever shows the value.
  void SecretValue(const YAML::Node& map, const std::string& path, const char* key,
                   config::Secret& out);
  // A path at `key` to a file that must be readable now.
  void File(const YAML::Node& map, const std::string& path, const char* key, std::string& out);
  void Buckets(const YAML::Node& map, const std::string& path, const char* key,
               std::vector<double>& out);

 private:
  static std::string Join(const std::string& path, const char* key);
  static std::string Describe(const YAML::Node& node);
  bool Scalar(const YAML::Node& node, const std::string& key, const char* expected);

  std::string file_;
  std::vector<ConfigError>& errors_;
  std::vector<ConfigError>& warnings_;
};

// The value of `${env:NAME}` (nullopt when `text` is not of that form); sets `name`.
std::optional<std::string> EnvReference(const std::string& text, std::string& name);

template <typename E>
void YamlReader::Enum(const YAML::Node& map, const std::string& path, const char* key, E& out,
                      const std::map<std::string, E>& names) {
  const YAML::Node node = map[key];
  if (!node) return;
  std::string allowed;
  for (const auto& [name, value] : names) allowed += (allowed.empty() ? "" : "|") + name;
  if (!Scalar(node, Join(path, key), ("one of " + allowed).c_str())) return;
  const auto it = names.find(node.Scalar());
  if (it == names.end()) {
    Error(node, Join(path, key), "one of " + allowed);
    return;
  }
  out = it->second;
}

}  // namespace brokerload::config
