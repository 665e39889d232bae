#include "report/baseline.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

namespace brokerload::report {
namespace {

constexpr double kMaxSplits = 200'000;
constexpr std::size_t kMinRepetitions = 3;

// Pairs (a in first, b in second) with a > b, ties as halves, in half units.
std::int64_t HalfU(const std::vector<double>& first, const std::vector<double>& second) {
  std::int64_t u = 0;
  for (double a : first) {
    for (double b : second) u += a > b ? 2 : a == b ? 1 : 0;
  }
  return u;
}

double Splits(std::size_t n, std::size_t m) {
  double splits = 1;
  for (std::size_t i = 1; i <= n; ++i) {
    splits = splits * static_cast<double>(m + i) / static_cast<double>(i);
  }
  return splits;
}

// Every way of taking n of the pooled values as "first": the share whose U is at least `observed`.
double ExactGreater(const std::vector<double>& pooled, std::size_t n, std::int64_t observed) {
  std::vector<bool> chosen(pooled.size(), false);
  std::fill(chosen.begin(), chosen.begin() + static_cast<std::ptrdiff_t>(n), true);
  std::uint64_t at_least = 0;
  std::uint64_t all = 0;
  std::vector<double> first, second;
  do {
    first.clear();
    second.clear();
    for (std::size_t i = 0; i < pooled.size(); ++i)
      (chosen[i] ? first : second).push_back(pooled[i]);
    if (HalfU(first, second) >= observed) ++at_least;
    ++all;
  } while (std::prev_permutation(chosen.begin(), chosen.end()));
  return static_cast<double>(at_least) / static_cast<double>(all);
}

double NormalGreater(const std::vector<double>& first, const std::vector<double>& second) {
  const double n = static_cast<double>(first.size());
  const double m = static_cast<double>(second.size());
  std::vector<double> pooled(first);
  pooled.insert(pooled.end(), second.begin(), second.end());
  std::sort(pooled.begin(), pooled.end());
  double ties = 0;  // sum of t^3 - t over groups of equal values
  for (std::size_t i = 0; i < pooled.size();) {
    std::size_t j = i;
    while (j < pooled.size() && pooled[j] == pooled[i]) ++j;
    const double t = static_cast<double>(j - i);
    ties += t * t * t - t;
    i = j;
  }
  const double total = n + m;
  const double variance = n * m / 12.0 * ((total + 1) - ties / (total * (total - 1)));
  if (variance <= 0) return 1;
  const double u = static_cast<double>(HalfU(first, second)) / 2;
  const double z = (u - n * m / 2 - 0.5) / std::sqrt(variance);  // continuity corrected
  return 0.5 * std::erfc(z / std::sqrt(2.0));
}

std::vector<double> Supported(const std::vector<double>& values) {
  std::vector<double> kept;
  for (double v : values) {
    if (std::isfinite(v)) kept.push_back(v);
  }
  return kept;
}

struct Figure {
  const char* metric;
  bool higher_is_better;
  double tolerance;
  std::vector<double> Repeated::*series;
  std::function<double(const StageResult&)> single;  // NaN when not supported
};

// A side's values of a figure: its repetitions when it has them, else its one result.
std::vector<double> Values(const Comparison& c, const StageResult& result, const Figure& figure) {
  if (const Repeated* repeated = c.RepeatedOf(result.target, result.stage)) {
    return Supported(repeated->*figure.series);
  }
  return Supported({figure.single(result)});
}

}  // namespace

double Median(std::vector<double> values) {
  if (values.empty()) return std::nan("");
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

double RankTestGreater(const std::vector<double>& first, const std::vector<double>& second) {
  if (first.empty() || second.empty()) return 1;
  if (Splits(first.size(), second.size()) > kMaxSplits) return NormalGreater(first, second);
  std::vector<double> pooled(first);
  pooled.insert(pooled.end(), second.begin(), second.end());
  return ExactGreater(pooled, first.size(), HalfU(first, second));
}

void AddRepetition(Comparison& first, const Comparison& repetition) {
  for (const StageResult& r : repetition.results) {
    Repeated* repeated = nullptr;
    for (Repeated& existing : first.repeated) {
      if (existing.target == r.target && existing.stage == r.stage) repeated = &existing;
    }
    if (repeated == nullptr) {
      repeated = &first.repeated.emplace_back();
      repeated->target = r.target;
      repeated->stage = r.stage;
    }
    repeated->achieved_rate.push_back(r.rate_estimable ? r.achieved_rate : std::nan(""));
    repeated->end_to_end_p99_ms.push_back(r.end_to_end_ms.Supports(0.99) ? r.end_to_end_ms.p99
                                                                         : std::nan(""));
  }
  first.repetitions =
      first.repeated.empty() ? 1 : static_cast<int>(first.repeated[0].achieved_rate.size());
}

std::string Verdict::ToString() const {
  char text[320];
  const double change_pct =
      baseline_median == 0 ? 0 : 100.0 * (current_median - baseline_median) / baseline_median;
  const bool latency = metric != "throughput";
  const char* word = change == Change::kRegression    ? "regression"
                     : change == Change::kImprovement ? "improvement"
                                                      : "within noise";
  char how[96];
  if (noise_measured) {
    std::snprintf(how, sizeof how, "rank test, %zu vs %zu runs, p %.3g worse / %.3g better",
                  current.size(), baseline.size(), p_worse, p_better);
  } else {
    std::snprintf(how, sizeof how, "noise not measured (%zu vs %zu runs): fixed tolerance",
                  current.size(), baseline.size());
  }
  std::snprintf(text, sizeof text, "%s %s: %s median %.2f%s -> %.2f%s (%+.1f%%): %s (%s)",
                target.c_str(), stage.c_str(), metric.c_str(), baseline_median,
                latency ? " ms" : " msg/s", current_median, latency ? " ms" : " msg/s", change_pct,
                word, how);
  return text;
}

std::vector<Verdict> Judge(const Comparison& current, const Comparison& baseline,
                           const Tolerances& tolerances) {
  const Figure figures[] = {
      {"throughput", true, tolerances.throughput_drop, &Repeated::achieved_rate,
       [](const StageResult& r) { return r.rate_estimable ? r.achieved_rate : std::nan(""); }},
      {"p99 end-to-end latency", false, tolerances.p99_rise, &Repeated::end_to_end_p99_ms,
       [](const StageResult& r) {
         return r.end_to_end_ms.Supports(0.99) ? r.end_to_end_ms.p99 : std::nan("");
       }},
  };
  std::vector<Verdict> verdicts;
  for (const StageResult& now : current.results) {
    const StageResult* before = baseline.Find(now.target, now.stage);
    if (before == nullptr) continue;
    for (const Figure& figure : figures) {
      Verdict v{.target = now.target,
                .stage = now.stage,
                .metric = figure.metric,
                .baseline = Values(baseline, *before, figure),
                .current = Values(current, now, figure)};
      if (v.baseline.empty() || v.current.empty()) continue;
      v.baseline_median = Median(v.baseline);
      v.current_median = Median(v.current);
      // The medians' change, as a share of the baseline's, signed so that above 0 is worse.
      if (!(v.baseline_median > 0)) continue;
      const double worse_by = (figure.higher_is_better ? v.baseline_median - v.current_median
                                                       : v.current_median - v.baseline_median) /
                              v.baseline_median;
      const bool beyond_worse = worse_by > figure.tolerance;
      const bool beyond_better = -worse_by > figure.tolerance;
      v.noise_measured =
          v.current.size() >= kMinRepetitions && v.baseline.size() >= kMinRepetitions;
      if (v.noise_measured) {
        // Worse: lower throughput, higher latency.
        const auto& high = figure.higher_is_better ? v.baseline : v.current;
        const auto& low = figure.higher_is_better ? v.current : v.baseline;
        v.p_worse = RankTestGreater(high, low);
        v.p_better = RankTestGreater(low, high);
        if (beyond_worse && v.p_worse <= tolerances.alpha) v.change = Change::kRegression;
        if (beyond_better && v.p_better <= tolerances.alpha) v.change = Change::kImprovement;
      } else {
        if (beyond_worse) v.change = Change::kRegression;
        if (beyond_better) v.change = Change::kImprovement;
      }
      verdicts.push_back(std::move(v));
    }
  }
  return verdicts;
}

std::string WorkloadDifference(const Comparison& current, const Comparison& baseline) {
  std::string out;
  const auto differ = [&out](const std::string& what, const std::string& then,
                             const std::string& now) {
    out += (out.empty() ? "" : "; ") + what + ": the baseline's " + then + ", this comparison's " +
           now;
  };
  if (baseline.topics > 0 && baseline.topics != current.topics) {
    differ("workload.topics", std::to_string(baseline.topics), std::to_string(current.topics));
  }
  if (!baseline.message_sizes.empty()) {
    if (baseline.message_sizes != current.message_sizes) {
      differ("messages", baseline.message_sizes, current.message_sizes);
    }
  } else if (baseline.message_size > 0 && (baseline.message_size != current.message_size ||
                                           baseline.message_size_max != current.message_size_max)) {
    differ("workload.message_size",
           std::to_string(baseline.message_size) + "-" + std::to_string(baseline.message_size_max),
           std::to_string(current.message_size) + "-" + std::to_string(current.message_size_max));
  }
  if (baseline.keys >= 0 && baseline.keys != current.keys) {
    differ("workload.keys", std::to_string(baseline.keys), std::to_string(current.keys));
  }
  if (baseline.key_skew >= 0 && baseline.key_skew != current.key_skew) {
    char then[32];
    char now[32];
    std::snprintf(then, sizeof then, "%g", baseline.key_skew);
    std::snprintf(now, sizeof now, "%g", current.key_skew);
    differ("workload.key_skew", then, now);
  }
  return out;
}

}  // namespace brokerload::report
