#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <random>

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
  r.end_to_end_ms.count = 1'000;  // enough for a p99, not for a p99.9
  r.publish_ms.count = 1'000;
  r.window_seconds = 10;
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
  // Pooled figures as compare computes them from the union of the stages' samples.
  for (const char* t : {"kafka", "nats"}) {
    Overall o;
    o.target = t;
    o.achieved_rate = o.target == "kafka" ? 995 : 850;
    o.end_to_end_ms.p99 = o.target == "kafka" ? 12.5 : 21;
    o.end_to_end_ms.count = o.publish_ms.count = 2'000;
    o.success_rate = 100;
    c.overall.push_back(o);
  }
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

TEST(Analysis, AQuantileNeedsTenSamplesBeyondIt) {
  EXPECT_EQ(MinSamples(0.5), 20u);
  EXPECT_EQ(MinSamples(0.99), 1'000u);
  EXPECT_EQ(MinSamples(0.999), 10'000u);
  EXPECT_EQ(MinSamples(1.0), 10'000u);  // the maximum, under the p99.9 rule
  LatencySummary l;
  l.count = 999;
  EXPECT_EQ(Quantile(l, 0.99, 4.0), "n/a (999 samples)");
  l.count = 1'000;
  EXPECT_EQ(Quantile(l, 0.99, 4.0), "4.00");
  EXPECT_EQ(Quantile(l, 0.999, 9.0), "n/a (1000 samples)");
}

TEST(Analysis, WinnersComeFromThePooledFiguresNotFromAveragedPercentiles) {
  Comparison c = TwoTargets();
  c.overall[0].end_to_end_ms.p99 =
      30;  // pooled p99 worse than nats' though kafka's stages avg 12.5
  EXPECT_EQ(WinnerFor(Winners(c), "p99 end-to-end latency").target, "nats");
  c.overall[1].end_to_end_ms.count = 500;  // too few samples for a p99
  EXPECT_EQ(WinnerFor(Winners(c), "p99 end-to-end latency").target, "n/a");
  c.overall[0].rate_estimable = false;
  EXPECT_EQ(WinnerFor(Winners(c), "throughput").target, "n/a");
}

TEST(Analysis, AStageTooShortOrNotSteadyIsSaidSo) {
  Comparison c = TwoTargets();
  c.results[0].rate_estimable = false;
  c.results[0].window_seconds = 0.1;
  c.results[1].steady = false;
  c.results[1].first_tenth_p99_ms = 900;
  c.results[1].last_tenth_p99_ms = 5;
  const std::vector<std::string> findings = Findings(c);
  EXPECT_THAT(findings, ::testing::Contains(HasSubstr("kafka at low: the 0.10 s window is too "
                                                      "short to estimate a rate")));
  EXPECT_THAT(findings, ::testing::Contains(HasSubstr("kafka at high: not steady: e2e p99 fell "
                                                      "from 900 ms")));
  const std::string md = ToMarkdown(c);
  EXPECT_THAT(md, HasSubstr("| low | 1000 | n/a (window too short) | 1000.0 |"));
  EXPECT_THAT(md, HasSubstr("**no** (900.00 / 5.00)"));
}

TEST(Analysis, ADifferenceInDurabilityIsSaidPlainly) {
  Comparison c = TwoTargets();
  c.target_info = {
      {"kafka", "3.9", "librdkafka 2.0.2", {{"acks", "all"}}, "on disk", 1, 0.1, 10, "", {}, ""},
      {"nats", "2.9.10", "cnats 3.4.1", {}, "in memory", 0.2, 0.01, 10, "", {}, ""}};
  EXPECT_THAT(Findings(c), ::testing::Contains(HasSubstr("The targets differ in durability: "
                                                         "kafka on disk; nats in memory")));
  const std::string md = ToMarkdown(c);
  EXPECT_THAT(md, HasSubstr("## What was compared"));
  EXPECT_THAT(md, HasSubstr("| client | librdkafka 2.0.2 | cnats 3.4.1 |"));
  EXPECT_THAT(md, HasSubstr("acks=all"));
  EXPECT_THAT(md, HasSubstr("| ready after (setup + probe round trip) | 1.10 s (1.00 + 0.10) |"));
  c.target_info[1].durability = "on disk";
  EXPECT_THAT(Findings(c), Not(::testing::Contains(HasSubstr("differ in durability"))));
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
  c.overall[1].stages_behind = 1;
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
  c.overall.resize(1);
  c.results.resize(2);
  EXPECT_TRUE(Winners(c).empty());
  EXPECT_THAT(Findings(c), ::testing::Contains(HasSubstr("No message was lost or duplicated")));
}

// The regressions among the verdicts.
std::vector<Verdict> Regressions(const Comparison& current, const Comparison& baseline,
                                 const Tolerances& tolerances) {
  std::vector<Verdict> regressions;
  for (const Verdict& v : Judge(current, baseline, tolerances)) {
    if (v.change == Change::kRegression) regressions.push_back(v);
  }
  return regressions;
}

TEST(Baseline, WithOneRunASideTheToleranceAloneFlagsThroughputDropsAndP99Rises) {
  const Comparison baseline = TwoTargets();
  Comparison current = TwoTargets();
  current.results[0].achieved_rate = 850;     // -15% > 10%
  current.results[1].achieved_rate = 900;     // -9%: within
  current.results[2].end_to_end_ms.p99 = 3;   // +50% > 20%
  current.results[3].end_to_end_ms.p99 = 44;  // +10%: within
  const std::vector<Verdict> r = Regressions(current, baseline, Tolerances{});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].ToString(),
            "kafka low: throughput median 1000.00 msg/s -> 850.00 msg/s (-15.0%): regression "
            "(noise not measured (1 vs 1 runs): fixed tolerance)");
  EXPECT_EQ(r[1].ToString(),
            "nats low: p99 end-to-end latency median 2.00 ms -> 3.00 ms (+50.0%): regression "
            "(noise not measured (1 vs 1 runs): fixed tolerance)");
  EXPECT_TRUE(Regressions(current, baseline, Tolerances{0.5, 0.6}).empty());
}

TEST(Baseline, StagesMissingFromTheBaselineAreIgnored) {
  Comparison baseline = TwoTargets();
  baseline.results.resize(1);
  Comparison current = TwoTargets();
  current.results[3].achieved_rate = 1;
  EXPECT_TRUE(Regressions(current, baseline, Tolerances{}).empty());
}

TEST(RankTest, IsExactForSmallSamples) {
  // All 3 above all 3: one split in C(6,3) = 20 is as extreme.
  EXPECT_DOUBLE_EQ(RankTestGreater({4, 5, 6}, {1, 2, 3}), 1.0 / 20);
  EXPECT_DOUBLE_EQ(RankTestGreater({1, 2, 3}, {4, 5, 6}), 1.0);
  // U = 8 of 9 (one pair the other way): 2 splits of 20 reach it.
  EXPECT_DOUBLE_EQ(RankTestGreater({3.5, 5, 6}, {1, 2, 4}), 2.0 / 20);
  // Identical values: every split ties, nothing is greater.
  EXPECT_DOUBLE_EQ(RankTestGreater({1, 1, 1}, {1, 1, 1}), 1.0);
  // 20 vs 20 takes the normal approximation: a clear shift, a tiny p.
  std::vector<double> high, low;
  for (int i = 0; i < 20; ++i) {
    high.push_back(100 + i);
    low.push_back(50 + i);
  }
  EXPECT_LT(RankTestGreater(high, low), 1e-6);
  EXPECT_GT(RankTestGreater(low, high), 0.99);
}

// Repetitions of one (target, stage) with `p99s` as their end-to-end p99s (and rates).
Comparison Repeated(const std::vector<double>& p99s, const std::vector<double>& rates) {
  Comparison c = TwoTargets();
  c.results.resize(1);  // kafka low
  Comparison repetition = c;
  for (std::size_t i = 0; i < p99s.size(); ++i) {
    repetition.results[0].end_to_end_ms.p99 = p99s[i];
    repetition.results[0].achieved_rate = rates[i];
    AddRepetition(c, repetition);
  }
  c.results[0].end_to_end_ms.p99 = p99s[0];
  c.results[0].achieved_rate = rates[0];
  return c;
}

// Medians 25 % apart, by chance: the runs overlap, the rank test finds nothing and the gate stays
// quiet, where one run a side (the first of each) would have paged.
TEST(Baseline, AChangeWithinTheMeasuredNoiseIsNoRegression) {
  const std::vector<double> rates(5, 1000);
  const Comparison baseline = Repeated({10, 11, 12, 30, 31}, rates);
  const Comparison current = Repeated({15, 10.5, 11.5, 29, 32}, rates);
  const std::vector<Verdict> verdicts = Judge(current, baseline, Tolerances{});
  ASSERT_EQ(verdicts.size(), 2u);
  const Verdict& p99 = verdicts[1];
  EXPECT_EQ(p99.metric, "p99 end-to-end latency");
  EXPECT_EQ(p99.baseline_median, 12);
  EXPECT_EQ(p99.current_median, 15);
  EXPECT_TRUE(p99.noise_measured);
  EXPECT_GT(p99.p_worse, 0.2);
  EXPECT_EQ(p99.change, Change::kWithinNoise);
  Comparison one_run = current;
  one_run.repeated.clear();
  Comparison one_run_baseline = baseline;
  one_run_baseline.repeated.clear();
  EXPECT_EQ(Regressions(one_run, one_run_baseline, Tolerances{}).size(), 1u);  // 10 -> 15 ms
}

// Synthetic repetitions: 400 trials of 5 runs a side drawn from one distribution (p99 around
// 10 ms, 25 % run-to-run noise, log-normal) flag at most alpha of them; the same noise with the
// current runs twice as slow is caught in nearly every trial, and twice as fast is an
// improvement. (At 1.5 times, 5 runs a side catch about 70 %: more runs, more power.)
TEST(Baseline, PureNoiseIsRarelyFlaggedAndARealShiftIsCaught) {
  std::mt19937 random(20261207);
  std::lognormal_distribution<double> noise(0.0, 0.25);
  const std::vector<double> rates(5, 1000);
  const auto draw = [&](double scale) {
    std::vector<double> p99s;
    for (int i = 0; i < 5; ++i) p99s.push_back(10 * scale * noise(random));
    return p99s;
  };
  int false_alarms = 0, caught = 0, improvements = 0;
  constexpr int kTrials = 400;
  for (int t = 0; t < kTrials; ++t) {
    const Comparison baseline = Repeated(draw(1), rates);
    false_alarms += static_cast<int>(Regressions(Repeated(draw(1), rates), baseline, {}).size());
    caught += static_cast<int>(Regressions(Repeated(draw(2), rates), baseline, {}).size());
    for (const Verdict& v : Judge(Repeated(draw(0.5), rates), baseline, {})) {
      improvements += v.change == Change::kImprovement ? 1 : 0;
    }
  }
  std::printf("false alarms %d, caught %d, improvements %d of %d\n", false_alarms, caught,
              improvements, kTrials);
  EXPECT_LE(false_alarms, kTrials * 5 / 100);
  EXPECT_GE(caught, kTrials * 90 / 100);
  EXPECT_GE(improvements, kTrials * 90 / 100);
}

TEST(Json, RoundTripsWhatTheBaselineNeeds) {
  const Comparison original = TwoTargets();
  const std::string text = ToJson(original);
  EXPECT_THAT(text, HasSubstr("\"schema\": \"brokerload.compare\""));
  EXPECT_THAT(text, HasSubstr("\"version\": 2"));
  EXPECT_THAT(text, HasSubstr("\"p999\": null"));  // 1,000 samples do not support a p99.9
  Comparison read;
  std::string error;
  ASSERT_TRUE(FromJson(text, read, error)) << error;
  EXPECT_EQ(read.targets, original.targets);
  EXPECT_EQ(read.stages, original.stages);
  ASSERT_EQ(read.results.size(), 4u);
  EXPECT_EQ(read.results[3].achieved_rate, 700);
  EXPECT_EQ(read.results[3].end_to_end_ms.p99, 40);
  EXPECT_TRUE(Regressions(original, read, Tolerances{}).empty());
}

TEST(Baseline, AnotherWorkloadIsNamedFieldByField) {
  Comparison current = TwoTargets();
  current.topics = 5;
  current.message_size = current.message_size_max = 256;
  current.message_sizes = "256-byte messages";
  current.keys = 0;
  current.key_skew = 0;
  Comparison read;
  std::string error;
  ASSERT_TRUE(FromJson(ToJson(current), read, error)) << error;
  EXPECT_EQ(WorkloadDifference(current, read), "");  // itself, through its report.json
  Comparison other = current;
  other.topics = 6;
  other.message_sizes =
      "sample payloads from /s.jsonl (3 samples, in turn, mean 40 B after "
      "brokerload's 56-byte header)";
  other.keys = 8;
  other.key_skew = 1.5;
  EXPECT_EQ(WorkloadDifference(other, read),
            "workload.topics: the baseline's 5, this comparison's 6; messages: the baseline's "
            "256-byte messages, this comparison's sample payloads from /s.jsonl (3 samples, in "
            "turn, mean 40 B after brokerload's 56-byte header); workload.keys: the baseline's 0, "
            "this comparison's 8; workload.key_skew: the baseline's 0, this comparison's 1.5");
  // A report from before these fields were written is not judged on them.
  Comparison old;
  ASSERT_TRUE(FromJson(R"({"schema": "brokerload.compare", "version": 2, "targets": [],
                           "stages": [], "results": []})",
                       old, error))
      << error;
  EXPECT_EQ(WorkloadDifference(other, old), "");
  // One with sizes only (no message_sizes): judged on those.
  old.message_size = 256;
  old.message_size_max = 512;
  EXPECT_EQ(WorkloadDifference(current, old),
            "workload.message_size: the baseline's 256-512, this comparison's 256-256");
}

TEST(Json, RepetitionsAndVerdictsAreInEveryFormat) {
  Comparison c = Repeated({10, 12, std::nan("")}, {1000, 990, 980});
  std::string error;
  Comparison read;
  ASSERT_TRUE(FromJson(ToJson(c), read, error)) << error;
  EXPECT_EQ(read.repetitions, 3);
  ASSERT_EQ(read.repeated.size(), 1u);
  EXPECT_EQ(read.repeated[0].end_to_end_p99_ms[1], 12);
  EXPECT_TRUE(std::isnan(read.repeated[0].end_to_end_p99_ms[2]));  // null: not supported
  EXPECT_THAT(ToMarkdown(c), HasSubstr("## Repetitions"));
  EXPECT_THAT(ToMarkdown(c), HasSubstr("kafka low: throughput 990.00 msg/s median (980.00 to "
                                       "1000.00, 3 of 3 runs; range 2 % of the median); "
                                       "end-to-end p99 11.00 ms median (10.00 to 12.00, 2 of 3 "
                                       "runs; range 18 % of the median)"));
  EXPECT_THAT(ToHtml(c), HasSubstr("Repetitions"));
  c.baseline = "old.json";
  c.verdicts = Judge(c, c, Tolerances{});
  EXPECT_THAT(ToMarkdown(c), HasSubstr("## Against the baseline"));
  EXPECT_THAT(ToMarkdown(c), HasSubstr("within noise (rank test, 3 vs 3 runs"));
  EXPECT_THAT(ToJson(c), HasSubstr("\"change\": \"within_noise\""));
}

TEST(Json, AnInterruptedComparisonSaysSoInEveryFormat) {
  Comparison c = TwoTargets();
  EXPECT_THAT(ToJson(c), HasSubstr("\"interrupted\": null"));
  EXPECT_THAT(ToMarkdown(c), Not(HasSubstr("Interrupted")));
  c.interrupted = "by signal 2 (nats in stage high)";
  Comparison read;
  std::string error;
  ASSERT_TRUE(FromJson(ToJson(c), read, error)) << error;
  EXPECT_EQ(read.interrupted, "by signal 2 (nats in stage high)");
  EXPECT_THAT(ToMarkdown(c), HasSubstr("**Interrupted by signal 2 (nats in stage high)**"));
  EXPECT_THAT(ToHtml(c), HasSubstr("<b>Interrupted by signal 2 (nats in stage high)</b>"));
}

TEST(Json, BurstsAreSaidInEveryFormat) {
  Comparison c = TwoTargets();
  EXPECT_THAT(ToMarkdown(c), Not(HasSubstr("bursts")));
  EXPECT_THAT(ToHtml(c), Not(HasSubstr("bursts")));
  c.burst_interval_seconds = 0.005;
  Comparison read;
  std::string error;
  ASSERT_TRUE(FromJson(ToJson(c), read, error)) << error;
  EXPECT_EQ(read.burst_interval_seconds, 0.005);
  const char* note = "Messages were sent in bursts (profile.burst_interval 5 ms)";
  EXPECT_THAT(ToMarkdown(c), HasSubstr(note));
  EXPECT_THAT(ToHtml(c), HasSubstr(note));
  EXPECT_FALSE(read.burst_interval_auto);
  c.burst_interval_seconds = 0;
  c.burst_interval_auto = true;
  ASSERT_TRUE(FromJson(ToJson(c), read, error)) << error;
  EXPECT_TRUE(read.burst_interval_auto);
  const char* automatic = "Messages were sent in bursts (profile.burst_interval auto: each stage's";
  EXPECT_THAT(ToMarkdown(c), HasSubstr(automatic));
  EXPECT_THAT(ToHtml(c), HasSubstr(automatic));
}

TEST(Writers, TheKeysAndTheirSkewAreSaidInEveryFormat) {
  Comparison c = TwoTargets();
  c.message_size = 256;
  EXPECT_THAT(ToMarkdown(c), Not(HasSubstr(" keys ")));
  c.keys = 64;
  EXPECT_THAT(ToMarkdown(c), HasSubstr("256-byte messages, 64 keys in turn, "));
  c.key_skew = 1.2;
  EXPECT_THAT(ToMarkdown(c), HasSubstr("-byte messages, 64 keys drawn with Zipf skew 1.2, "));
  EXPECT_THAT(ToHtml(c), HasSubstr("-byte messages, 64 keys drawn with Zipf skew 1.2; "));
  EXPECT_THAT(ToJson(c), HasSubstr("\"key_skew\": 1.2"));
  EXPECT_THAT(ToJson(c), HasSubstr("\"keys\": 64"));
}

TEST(Writers, WhoLedWhatIsInTheReportAndABrokerThatLedNoneIsNamed) {
  Comparison c = TwoTargets();
  c.target_info = {{"kafka", "3.9", "librdkafka 2.0.2", {}, "on disk", 1, 0.1, 10, "", {}, ""},
                   {"nats", "2.9.10", "cnats 3.4.1", {}, "on disk", 0.2, 0.01, 10, "", {}, ""}};
  EXPECT_THAT(ToMarkdown(c), HasSubstr("| leaders when sending stopped | unknown | unknown |"));
  EXPECT_THAT(ToJson(c), HasSubstr("\"leads\": null"));
  TargetInfo& kafka = c.target_info.front();
  kafka.leader_kind = "broker";
  kafka.leads = {{"1", 2}, {"2", 0}};
  kafka.leads_warning =
      "kafka: broker 2 leads no partition of this run: brokerload does not measure it";
  const std::string md = ToMarkdown(c);
  EXPECT_THAT(md,
              HasSubstr("| leaders when sending stopped | broker 1: 2, broker 2: 0 ⚠ | unknown |"));
  EXPECT_THAT(md, HasSubstr("**kafka: broker 2 leads no partition of this run"));
  EXPECT_THAT(ToHtml(c), HasSubstr("<p class=\"warn\">kafka: broker 2 leads no partition"));
  const std::string json = ToJson(c);
  EXPECT_THAT(json, HasSubstr("\"leader_kind\": \"broker\""));
  EXPECT_THAT(json, HasSubstr("\"2\": 0"));
  EXPECT_THAT(json, HasSubstr("\"leads_warning\": \"kafka: broker 2 leads no partition"));
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
  for (const char* section :
       {"# brokerload comparison: kafka vs nats", "## Overview", "## Stage low", "## Stage high",
        "## All stages pooled", "## Winner per metric", "## Trends across stages", "## Findings"}) {
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
  EXPECT_THAT(html, HasSubstr("ms, log scale"));  // latencies span decades
  EXPECT_THAT(html, HasSubstr("&lt;lag&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("src=")));  // nothing to fetch
}

}  // namespace
}  // namespace brokerload::report
