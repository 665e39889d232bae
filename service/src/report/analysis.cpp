#include "report/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "report/baseline.hpp"

namespace brokerload::report {
namespace {

std::string Ms(double value) { return FormatNumber(value, value < 10 ? "%.2f ms" : "%.0f ms"); }
std::string Rate(double value) { return FormatNumber(value, "%.0f msg/s"); }
std::string Percent(double value) { return FormatNumber(value, "%.1f%%"); }

std::vector<const StageResult*> ResultsOf(const Comparison& c, const std::string& target) {
  std::vector<const StageResult*> results;
  for (const std::string& stage : c.stages) {
    if (const StageResult* r = c.Find(target, stage)) results.push_back(r);
  }
  return results;
}

// Which of two values is better; "tie" when within kTieTolerance of each other.
std::string Better(const std::string& a_name, double a, const std::string& b_name, double b,
                   bool higher_is_better) {
  const double scale = std::max(std::fabs(a), std::fabs(b));
  if (scale == 0 || std::fabs(a - b) / scale <= kTieTolerance) return "tie";
  return (a > b) == higher_is_better ? a_name : b_name;
}

}  // namespace

const Repeated* Comparison::RepeatedOf(const std::string& target, const std::string& stage) const {
  for (const Repeated& r : repeated) {
    if (r.target == target && r.stage == stage) return &r;
  }
  return nullptr;
}

const StageResult* Comparison::Find(const std::string& target, const std::string& stage) const {
  for (const StageResult& r : results) {
    if (r.target == target && r.stage == stage) return &r;
  }
  return nullptr;
}

std::uint64_t MinSamples(double q) {
  return q >= 1 ? MinSamples(0.999)
                : static_cast<std::uint64_t>(std::ceil(10.0 / (1.0 - q) - 1e-9));
}

const TargetInfo* Comparison::Info(const std::string& target) const {
  for (const TargetInfo& i : target_info) {
    if (i.name == target) return &i;
  }
  return nullptr;
}

const Overall* Comparison::OverallOf(const std::string& target) const {
  for (const Overall& o : overall) {
    if (o.target == target) return &o;
  }
  return nullptr;
}

std::string FormatNumber(double value, const char* format) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

std::string Title(const Comparison& c) {
  std::string title;
  for (const std::string& t : c.targets) title += (title.empty() ? "" : " vs ") + t;
  return title;
}

std::string Quantile(const LatencySummary& summary, double q, double value, const char* format) {
  if (q >= 1 ? summary.SupportsMax() : summary.Supports(q)) return FormatNumber(value, format);
  return "n/a (" + std::to_string(summary.count) + " samples)";
}

std::string RateText(double rate, bool estimable) {
  return estimable ? FormatNumber(rate, "%.1f") : std::string("n/a (window too short)");
}

std::string KeysText(const Comparison& comparison) {
  if (comparison.keys == 0) return "";
  return ", " + std::to_string(comparison.keys) + " keys " +
         (comparison.key_skew > 0
              ? "drawn with Zipf skew " + FormatNumber(comparison.key_skew, "%g")
              : std::string("in turn"));
}

std::string SizesText(const Comparison& c) {
  if (!c.message_sizes.empty()) return c.message_sizes;
  return std::to_string(c.message_size) + "-byte messages";
}

std::string BurstNote(const Comparison& comparison) {
  if (comparison.burst_interval_seconds <= 0 && !comparison.burst_interval_auto) return "";
  const std::string interval =
      comparison.burst_interval_auto
          ? "auto: each stage's interval the shorter of 100 messages and 40 ms at its rate, none "
            "below 50 msg/s"
          : FormatNumber(comparison.burst_interval_seconds * 1e3, "%g") + " ms";
  return " Messages were sent in bursts (profile.burst_interval " + interval +
         "): each interval's messages were due at its start, so in every latency figure a "
         "burst's later messages include their wait behind its earlier ones.";
}

std::string DurabilityDifference(const Comparison& c) {
  if (c.target_info.size() != 2 || c.target_info[0].durability == c.target_info[1].durability) {
    return "";
  }
  return "The targets differ in durability: " + c.target_info[0].name + " " +
         c.target_info[0].durability + "; " + c.target_info[1].name + " " +
         c.target_info[1].durability + ". Their latencies buy different guarantees.";
}

std::vector<Winner> Winners(const Comparison& c) {
  // Interrupted, the targets' pooled figures cover different stages: no footing for a winner.
  if (c.overall.size() != 2 || !c.interrupted.empty()) return {};
  const Overall& a = c.overall[0];
  const Overall& b = c.overall[1];
  struct Metric {
    const char* name;
    std::function<double(const Overall&)> value;
    bool higher_is_better;
    std::function<std::string(double)> show;
    bool supported;  // both targets have the samples for it
  };
  const bool rates = a.rate_estimable && b.rate_estimable;
  const bool p99 = a.end_to_end_ms.Supports(0.99) && b.end_to_end_ms.Supports(0.99);
  const bool publish_p99 = a.publish_ms.Supports(0.99) && b.publish_ms.Supports(0.99);
  const Metric metrics[] = {
      {"throughput", [](const Overall& x) { return x.achieved_rate; }, true, Rate, rates},
      {"mean end-to-end latency", [](const Overall& x) { return x.end_to_end_ms.mean; }, false, Ms,
       true},
      {"p99 end-to-end latency", [](const Overall& x) { return x.end_to_end_ms.p99; }, false, Ms,
       p99},
      {"p99 publish latency", [](const Overall& x) { return x.publish_ms.p99; }, false, Ms,
       publish_p99},
      {"success rate", [](const Overall& x) { return x.success_rate; }, true, Percent, true},
      {"brokerload memory delta", [](const Overall& x) { return x.memory_delta_mb; }, false,
       [](double v) { return FormatNumber(v, "%.2f MB"); }, true},
      {"brokerload CPU per message", [](const Overall& x) { return x.cpu_us_per_message; }, false,
       [](double v) { return FormatNumber(v, "%.1f us"); }, true},
  };
  std::vector<Winner> winners;
  for (const Metric& m : metrics) {
    Winner w;
    w.metric = m.name;
    if (!m.supported) {
      w.target = "n/a";
      w.detail = "too few samples or too short a window to tell";
      winners.push_back(w);
      continue;
    }
    w.target = Better(a.target, m.value(a), b.target, m.value(b), m.higher_is_better);
    w.detail = a.target + " " + m.show(m.value(a)) + ", " + b.target + " " + m.show(m.value(b));
    if (a.stages_behind + b.stages_behind > 0) {
      w.detail += " (brokerload fell behind its schedule in " +
                  std::to_string(a.stages_behind + b.stages_behind) +
                  " stage(s): those figures are the tool's limit)";
    }
    if (a.stages_not_steady + b.stages_not_steady > 0) {
      w.detail += " (" + std::to_string(a.stages_not_steady + b.stages_not_steady) +
                  " stage(s) not steady)";
    }
    winners.push_back(w);
  }
  return winners;
}

std::vector<std::string> Trends(const Comparison& c) {
  std::vector<std::string> trends;
  for (const std::string& target : c.targets) {
    const auto results = ResultsOf(c, target);
    if (results.size() < 2) continue;
    const StageResult& first = *results.front();
    const StageResult& last = *results.back();
    auto change = [](double from, double to) {
      return from == 0 ? std::string("n/a") : FormatNumber(100.0 * (to - from) / from, "%+.0f%%");
    };
    const bool rates = first.rate_estimable && last.rate_estimable;
    trends.push_back(target + ": from " + first.stage + " to " + last.stage + ", throughput " +
                     (rates ? Rate(first.achieved_rate) + " → " + Rate(last.achieved_rate) + " (" +
                                  change(first.achieved_rate, last.achieved_rate) + ")"
                            : std::string("n/a (window too short)")) +
                     ", p99 end-to-end " + Ms(first.end_to_end_ms.p99) + " → " +
                     Ms(last.end_to_end_ms.p99) + " (" +
                     change(first.end_to_end_ms.p99, last.end_to_end_ms.p99) + ")");
    bool rate_tracks_offer = true;
    for (const StageResult* r : results) {
      rate_tracks_offer =
          rate_tracks_offer && (!r->rate_estimable || r->achieved_rate >= 0.95 * r->offered_rate);
    }
    trends.push_back(target + (rate_tracks_offer
                                   ? ": achieved throughput kept up with the offered rate at "
                                     "every stage"
                                   : ": achieved throughput fell below 95% of the offered rate "
                                     "in at least one stage"));
  }
  return trends;
}

std::vector<std::string> Findings(const Comparison& c) {
  std::vector<std::string> findings;
  if (const std::string durability = DurabilityDifference(c); !durability.empty()) {
    findings.push_back(durability);
  }
  for (const StageResult& r : c.results) {
    if (!r.steady) {
      findings.push_back(r.target + " at " + r.stage + ": not steady: e2e p99 fell from " +
                         Ms(r.first_tenth_p99_ms) + " in the window's first tenth to " +
                         Ms(r.last_tenth_p99_ms) +
                         " in its last; a longer warm-up or stage would measure the broker "
                         "settled.");
    }
    if (!r.rate_estimable) {
      findings.push_back(r.target + " at " + r.stage + ": the " +
                         FormatNumber(r.window_seconds, "%.2f") +
                         " s window is too short to estimate a rate (needs 1 s and 10x the e2e "
                         "p99); its throughput is not shown.");
    }
    if (r.delivered_after_error + r.unconfirmed + r.dropped_by_client + r.arrived_late > 0) {
      findings.push_back(r.target + " at " + r.stage + ": " +
                         std::to_string(r.delivered_after_error) +
                         " delivered after a publish error, " + std::to_string(r.arrived_late) +
                         " arrived after being counted lost, " + std::to_string(r.unconfirmed) +
                         " unconfirmed at the end, " + std::to_string(r.dropped_by_client) +
                         " dropped inside brokerload's client library.");
    }
    if (r.behind_schedule) {
      findings.push_back(r.target + " at " + r.stage + ": brokerload fell behind its schedule (" +
                         r.behind_reason + "); this stage measures brokerload, not " + r.target +
                         ".");
    }
    if (r.lost + r.duplicated + r.out_of_order > 0) {
      findings.push_back(r.target + " at " + r.stage + ": " + std::to_string(r.lost) + " lost, " +
                         std::to_string(r.duplicated) + " duplicated, " +
                         std::to_string(r.out_of_order) + " out of order.");
    }
    if (r.resources.ThreadsLeaked() > 0) {
      findings.push_back(r.target + " at " + r.stage + ": brokerload ended with " +
                         std::to_string(r.resources.ThreadsLeaked()) +
                         " more thread(s) than it started with.");
    }
  }
  if (c.targets.size() == 2) {
    // Who had the lower p99 at each stage, and whether that changes with load.
    std::vector<std::string> lower;
    for (const std::string& stage : c.stages) {
      const StageResult* a = c.Find(c.targets[0], stage);
      const StageResult* b = c.Find(c.targets[1], stage);
      if (!a || !b) continue;
      lower.push_back(
          Better(a->target, a->end_to_end_ms.p99, b->target, b->end_to_end_ms.p99, false));
    }
    if (!lower.empty()) {
      const bool same = std::all_of(lower.begin(), lower.end(),
                                    [&](const std::string& w) { return w == lower.front(); });
      if (same && lower.front() != "tie") {
        findings.push_back(lower.front() + " had the lower p99 end-to-end latency at every stage.");
      } else if (!same) {
        std::string sequence;
        for (std::size_t i = 0; i < lower.size(); ++i) {
          sequence += (i ? ", " : "") + c.stages[i] + ": " + lower[i];
        }
        findings.push_back("The lower p99 end-to-end latency changes with load (" + sequence +
                           ").");
      }
    }
  }
  std::uint64_t lost = 0;
  for (const StageResult& r : c.results) lost += r.lost + r.duplicated + r.unconfirmed;
  if (lost == 0 && !c.results.empty()) {
    findings.push_back("No message was lost or duplicated in any stage of any target.");
  }
  return findings;
}

namespace {

// "995.1 median (990.2 to 998.0, 3 runs)", or "not supported" when no run supports it.
std::string Spread(const std::vector<double>& all, const char* unit) {
  std::vector<double> values;
  for (double v : all) {
    if (std::isfinite(v)) values.push_back(v);
  }
  if (values.empty()) return "not supported by any run";
  const auto [low, high] = std::minmax_element(values.begin(), values.end());
  char text[160];
  const double median = Median(values);
  std::snprintf(text, sizeof text,
                "%.2f%s median (%.2f to %.2f, %zu of %zu runs; range %.0f %% of the median)",
                median, unit, *low, *high, values.size(), all.size(),
                median > 0 ? 100.0 * (*high - *low) / median : 0.0);
  return text;
}

}  // namespace

std::vector<std::string> RepetitionLines(const Comparison& c) {
  std::vector<std::string> lines;
  if (c.repetitions <= 1) return lines;
  for (const Repeated& r : c.repeated) {
    lines.push_back(r.target + " " + r.stage + ": throughput " + Spread(r.achieved_rate, " msg/s") +
                    "; end-to-end p99 " + Spread(r.end_to_end_p99_ms, " ms"));
  }
  return lines;
}

std::vector<std::string> VerdictLines(const Comparison& c) {
  std::vector<std::string> lines;
  if (c.baseline.empty()) return lines;
  lines.push_back(
      "Against " + c.baseline +
      ": a regression (improvement) is a change of the medians beyond the tolerance that, where "
      "both sides have 3 or more runs, a one-sided Mann-Whitney rank test over the runs also "
      "finds (exact, at 5 % unless set); with fewer runs the noise is not measured and the "
      "tolerance alone decides.");
  for (const Verdict& v : c.verdicts) lines.push_back(v.ToString());
  return lines;
}

}  // namespace brokerload::report
