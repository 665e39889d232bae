#include "driver/kafka/kafka_properties.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <vector>

#include "driver/kafka/kafka_handles.hpp"

namespace brokerload::driver::kafka {
namespace {

// librdkafka's property table: name -> '*' (both), 'P' (producer only) or 'C' (consumer only).
const std::map<std::string, char>& PropertyScopes() {
  static const std::map<std::string, char> scopes = [] {
    std::map<std::string, char> out;
    char* text = nullptr;
    std::size_t size = 0;
    FILE* stream = open_memstream(&text, &size);
    if (stream == nullptr) return out;
    rd_kafka_conf_properties_show(stream);
    std::fclose(stream);
    const std::string table(text, size);
    std::free(text);
    std::size_t start = 0;
    while (start < table.size()) {
      std::size_t end = table.find('\n', start);
      if (end == std::string::npos) end = table.size();
      const std::string line = table.substr(start, end - start);
      start = end + 1;
      const auto bar = line.find('|');
      if (bar == std::string::npos || bar + 1 >= line.size()) continue;
      std::string name = line.substr(0, bar);
      name.erase(name.find_last_not_of(' ') + 1);
      const auto scope = line.find_first_not_of(' ', bar + 1);
      if (name.empty() || name == "Property" || name.front() == '-' || scope == std::string::npos)
        continue;
      out.emplace(name, line[scope]);
    }
    return out;
  }();
  return scopes;
}

std::size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

config::PropertyVerdict CheckProperty(config::ClientRole role, const std::string& name,
                                      const std::string& value) {
  using config::PropertyProblem;
  ConfPtr conf(rd_kafka_conf_new());
  std::array<char, 512> text{};
  const rd_kafka_conf_res_t result =
      rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), text.data(), text.size());
  const auto& scopes = PropertyScopes();
  if (result == RD_KAFKA_CONF_UNKNOWN) {
    std::string nearest;
    std::size_t best = 3;  // suggest only names within two edits
    for (const auto& [known, scope] : scopes) {
      if (const std::size_t d = EditDistance(name, known); d < best) {
        best = d;
        nearest = known;
      }
    }
    return {PropertyProblem::kUnknown, nearest.empty() ? "" : "did you mean " + nearest + "?"};
  }
  if (result != RD_KAFKA_CONF_OK) return {PropertyProblem::kBadValue, text.data()};
  const auto it = scopes.find(name);
  const char wrong = role == config::ClientRole::kProducer ? 'C' : 'P';
  if (it != scopes.end() && it->second == wrong) return {PropertyProblem::kWrongRole, ""};
  return {};
}

}  // namespace brokerload::driver::kafka
