// The accounting memory check that config::LoadFile takes from the app (config::WorkloadCheck).
#include "app/config_checks.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/loader.hpp"

namespace brokerload::app {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Errors(const std::string& yaml) {
  std::vector<std::string> out;
  for (const auto& e : config::Parse(yaml, "test.yaml", {}, CheckTrackingMemory).errors) {
    out.push_back(e.ToString());
  }
  return out;
}

void Valid(const std::string& yaml) { EXPECT_THAT(Errors(yaml), ElementsAre()) << yaml; }

const std::string kTargets = "targets:\n  nats: {}\n";

TEST(CheckTrackingMemory, RefusesTopicsTimesKeysWhoseAccountingWouldNotFitWithTheEstimate) {
  // 1,000 topics x 1,000,000 keys: 8 bytes a key alone is 8 GB per target.
  EXPECT_THAT(Errors("targets:\n  nats: {}\n  kafka: {}\nworkload:\n  topics: 1000\n  "
                     "keys: 1000000\n"),
              ElementsAre(AllOf(HasSubstr("test.yaml:6:9 workload: 1000 topics x 1000000 keys "
                                          "on 2 target(s) would need about "),
                                HasSubstr(" MiB of accounting memory ("),
                                HasSubstr(" KiB per topic and target); at most 1024 MiB: use "
                                          "fewer topics or keys"))));
  // The estimate follows the workload: the largest topic count without keys fits on two targets,
  // and so do 100,000 keys on 100 topics on one.
  Valid("targets:\n  nats: {}\n  kafka: {}\nworkload: {topics: 1000}\n");
  Valid(kTargets + "workload: {topics: 100, keys: 100000}\n");
  EXPECT_EQ(Errors(kTargets + "workload: {topics: 1000, keys: 200000}\n").size(), 1u);
}

TEST(CheckTrackingMemory, ConsumeOnlyCountsTheMemoryOfEveryProducerItMayTrack) {
  // 100 topics fit on two targets for one's own messages, not for 64 producers' (3 GiB).
  const std::string yaml = "targets:\n  nats: {}\n  kafka: {}\nworkload: {topics: 100}\n";
  Valid(yaml);
  EXPECT_THAT(Errors(yaml + "run: {role: consume-only}\n"),
              ElementsAre(AllOf(HasSubstr("test.yaml:4:11 workload: 100 topics x 0 keys on 2 "
                                          "target(s) would need about "),
                                HasSubstr(" KiB per topic and target, tracking up to 64 "
                                          "producers in consume-only); at most 1024 MiB"))));
  Valid(yaml + "run: {role: produce-only}\n");
}

}  // namespace
}  // namespace brokerload::app
