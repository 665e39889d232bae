// The exporter's whole text output for a fixed scene (targets of every role, one still starting,
// reloads, traffic, latencies, windows), compared family by family with exporter_golden.txt,
// which the exporter wrote before it was made table-driven: a refactor that changes a family's
// name, help, type, labels, order or a value fails here. The process_* values, which depend on
// the test process, are blanked. BROKERLOAD_WRITE_GOLDEN=1 rewrites the file.
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "exporter_scene.hpp"

namespace brokerload::metrics {
namespace {

// Blanks the sample values of the process_* families (their HELP and TYPE lines stay).
std::string BlankProcessValues(const std::string& text) {
  std::istringstream in(text);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("process_")) line = line.substr(0, line.rfind(' ')) + " <value>";
    out += line + "\n";
  }
  return out;
}

// Each family's text (from its # HELP line to the next), by name, in order of appearance.
std::vector<std::pair<std::string, std::string>> Families(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> families;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("# HELP ")) {
      const std::string name = line.substr(7, line.find(' ', 7) - 7);
      families.emplace_back(name, "");
    }
    if (!families.empty()) families.back().second += line + "\n";
  }
  return families;
}

TEST(ExporterGolden, TheTextOutputOfAFixedSceneIsUnchanged) {
  ExporterScene scene;
  const std::string text =
      BlankProcessValues(prometheus::TextSerializer().Serialize(scene.exporter.Collect()));
  if (std::getenv("BROKERLOAD_WRITE_GOLDEN") != nullptr) {
    std::ofstream(BROKERLOAD_METRICS_GOLDEN) << text;
    GTEST_SKIP() << "wrote " << BROKERLOAD_METRICS_GOLDEN;
  }
  std::ifstream file(BROKERLOAD_METRICS_GOLDEN);
  ASSERT_TRUE(file) << BROKERLOAD_METRICS_GOLDEN;
  const std::string golden{std::istreambuf_iterator<char>(file), {}};
  const auto expected = Families(golden);
  const auto actual = Families(text);
  for (std::size_t i = 0; i < std::max(expected.size(), actual.size()); ++i) {
    ASSERT_LT(i, expected.size()) << "a family more: " << actual[i].first;
    ASSERT_LT(i, actual.size()) << "a family dropped: " << expected[i].first;
    EXPECT_EQ(actual[i].first, expected[i].first) << "family " << i;
    EXPECT_EQ(actual[i].second, expected[i].second) << "family " << expected[i].first;
  }
  if (!HasFailure()) {
    EXPECT_EQ(text, golden);  // and nothing outside a family
  }
}

}  // namespace
}  // namespace brokerload::metrics
