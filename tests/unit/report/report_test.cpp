#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "report/analysis.hpp"
#include "report/baseline.hpp"
#include "report/json.hpp"
#include "report/writers.hpp"

namespace brokerload::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

StageResult Result(const std::string& target, const std::string& stage, double rate, double p99,
                   double mean = 1.0) {
  StageResult r;
  r.target = target;
  r.stage = stage;
  r.offered_rate = 1'000;
  r.achieved_rate = rate;
  r.published = r.acked = r.consumed = 1'000;
  r.end_to_end_ms.p99 = p99;
  r.end_to_end_ms.mean = mean;
  r.end_to_end_curve = {{0.5, mean}, {0.99, p99}, {1.0, p99 * 2}};
  r.resources.threads_initial = r.resources.threads_final = 4;
  return r;
}

Comparison TwoTargets() {
  Comparison c;
  c.brokerload_version = "1.2.3";
  c.generated_at = "2026-11-24T00:00:00Z";
  c.mode = "sequential";
  c.targets = {"kafka", "nats"};
  c.stages = {"low", "high"};
  c.results = {Result("kafka", "low", 1'000, 5), Result("kafka", "high", 990, 20),
               Result("nats", "low", 1'000, 2), Result("nats", "high", 700, 40)};
  return c;
}

const Winner& WinnerFor(const std::vector<Winner>& winners, const std::string& metric) {
  for (const Winner& w : winners) {
    if (w.metric == metric) return w;
  }
  static const Winner none;
  ADD_FAILURE() << "no winner for " << metric;
  return none;
}

TEST(Analysis, AveragesAreOverStages) {
  const std::vector<Averages> a = AveragesByTarget(TwoTargets());
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].target, "kafka");
  EXPECT_DOUBLE_EQ(a[0].achieved_rate, 995);
  EXPECT_DOUBLE_EQ(a[1].e2e_p99_ms, 21);
  EXPECT_DOUBLE_EQ(a[1].success_rate, 100);
}

TEST(Analysis, WinnersFollowTheDirectionOfEachMetricAndCallCloseOnesATie) {
  const std::vector<Winner> winners = Winners(TwoTargets());
  EXPECT_EQ(WinnerFor(winners, "throughput").target, "kafka");              // 995 vs 850
  EXPECT_EQ(WinnerFor(winners, "p99 end-to-end latency").target, "kafka");  // 12.5 vs 21
  EXPECT_EQ(WinnerFor(winners, "success rate").target, "tie");
  EXPECT_THAT(WinnerFor(winners, "throughput").detail, HasSubstr("kafka 995 msg/s"));
}

TEST(Analysis, WinnersWarnWhenBrokerloadFellBehind) {
  Comparison c = TwoTargets();
  c.results[3].behind_schedule = true;
  EXPECT_THAT(WinnerFor(Winners(c), "throughput").detail, HasSubstr("the tool's limit"));
}

TEST(Analysis, TrendsAndFindingsComeFromTheData) {
  Comparison c = TwoTargets();
  c.results[3].behind_schedule = true;
  c.results[3].behind_reason = "send lag p99 50.0 ms > 10 ms";
  c.results[2].lost = 3;
  c.results[0].resources.threads_final = 6;
  const std::vector<std::string> trends = Trends(c);
  EXPECT_THAT(trends, ::testing::Contains(HasSubstr("nats: from low to high, throughput 1000 "
                                                    "msg/s → 700 msg/s (-30%)")));
  EXPECT_THAT(trends, ::testing::Contains(HasSubstr("nats: achieved throughput fell below 95%")));
  EXPECT_THAT(trends, ::testing::Contains(HasSubstr("kafka: achieved throughput kept up")));
  const std::vector<std::string> findings = Findings(c);
  EXPECT_THAT(findings, ::testing::Contains(HasSubstr("nats at high: brokerload fell behind its "
                                                      "schedule (send lag p99 50.0 ms")));
  EXPECT_THAT(findings, ::testing::Contains(HasSubstr("nats at low: 3 lost")));
  EXPECT_THAT(findings,
              ::testing::Contains(HasSubstr("kafka at low: brokerload ended with 2 more")));
  EXPECT_THAT(findings, ::testing::Contains(HasSubstr("The lower p99 end-to-end latency changes "
                                                      "with load (low: nats, high: kafka)")));
  EXPECT_THAT(findings, Not(::testing::Contains(HasSubstr("No message was lost"))));
}

TEST(Analysis, ASingleTargetHasNoWinners) {
  Comparison c = TwoTargets();
  c.targets = {"kafka"};
  EXPECT_TRUE(Winners(c).empty());
  EXPECT_THAT(Findings(c), ::testing::Contains(HasSubstr("No message was lost or duplicated")));
}

TEST(Baseline, FlagsThroughputDropsAndP99RisesBeyondTolerance) {
  const Comparison baseline = TwoTargets();
  Comparison current = TwoTargets();
  current.results[0].achieved_rate = 850;     // -15% > 10%
  current.results[1].achieved_rate = 900;     // -9%: within
  current.results[2].end_to_end_ms.p99 = 3;   // +50% > 20%
  current.results[3].end_to_end_ms.p99 = 44;  // +10%: within
  const std::vector<Regression> r = FindRegressions(current, baseline, Tolerances{});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].ToString(), "kafka low: throughput 1000.00 msg/s -> 850.00 msg/s (-15.0%)");
  EXPECT_EQ(r[1].ToString(), "nats low: p99 end-to-end latency 2.00 ms -> 3.00 ms (+50.0%)");
  EXPECT_TRUE(FindRegressions(current, baseline, Tolerances{0.5, 0.6}).empty());
}

TEST(Baseline, StagesMissingFromTheBaselineAreIgnored) {
  Comparison baseline = TwoTargets();
  baseline.results.resize(1);
  Comparison current = TwoTargets();
  current.results[3].achieved_rate = 1;
  EXPECT_TRUE(FindRegressions(current, baseline, Tolerances{}).empty());
}

TEST(Json, RoundTripsWhatTheBaselineNeeds) {
  const Comparison original = TwoTargets();
  const std::string text = ToJson(original);
  EXPECT_THAT(text, HasSubstr("\"schema\": \"brokerload.compare\""));
  EXPECT_THAT(text, HasSubstr("\"version\": 1"));
  Comparison read;
  std::string error;
  ASSERT_TRUE(FromJson(text, read, error)) << error;
  EXPECT_EQ(read.targets, original.targets);
  EXPECT_EQ(read.stages, original.stages);
  ASSERT_EQ(read.results.size(), 4u);
  EXPECT_EQ(read.results[3].achieved_rate, 700);
  EXPECT_EQ(read.results[3].end_to_end_ms.p99, 40);
  EXPECT_TRUE(FindRegressions(original, read, Tolerances{}).empty());
}

TEST(Json, RejectsOtherDocumentsWithAReason) {
  Comparison c;
  std::string error;
  EXPECT_FALSE(FromJson("{\"schema\": \"something\"}", c, error));
  EXPECT_THAT(error, HasSubstr("not a brokerload comparison"));
  EXPECT_FALSE(FromJson("{\"schema\": \"brokerload.compare\", \"version\": 9}", c, error));
  EXPECT_THAT(error, HasSubstr("schema version 9 is not supported"));
  EXPECT_FALSE(FromJson("not json", c, error));
  EXPECT_THAT(error, HasSubstr("invalid report.json"));
}

TEST(Writers, MarkdownFollowsTheSeedStructure) {
  const std::string md = ToMarkdown(TwoTargets());
  for (const char* section : {"# brokerload comparison: kafka vs nats", "## Overview",
                              "## Stage low", "## Stage high", "## Averages over all stages",
                              "## Winner per metric", "## Trends across stages", "## Findings"}) {
    EXPECT_THAT(md, HasSubstr(section));
  }
  EXPECT_THAT(md, HasSubstr("| high | 1000 | 990.0 | 700.0 |"));
}

TEST(Writers, HtmlIsSelfContainedWithThreeChartsAndEscapedText) {
  Comparison c = TwoTargets();
  c.results[3].behind_schedule = true;
  c.results[3].behind_reason = "<lag>";
  const std::string html = ToHtml(c);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_THAT(html, HasSubstr("id=\"throughput\""));
  EXPECT_THAT(html, HasSubstr("id=\"tail-latency\""));
  EXPECT_THAT(html, HasSubstr("id=\"percentiles\""));
  EXPECT_THAT(html, HasSubstr("<polyline"));
  EXPECT_THAT(html, HasSubstr("&lt;lag&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("src=")));  // nothing to fetch
}

}  // namespace
}  // namespace brokerload::report
