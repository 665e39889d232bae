#include "report/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

namespace brokerload::report {
namespace {

std::string Format(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

std::string Ms(double value) { return Format(value < 10 ? "%.2f ms" : "%.0f ms", value); }
std::string Rate(double value) { return Format("%.0f msg/s", value); }
std::string Percent(double value) { return Format("%.1f%%", value); }

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

const StageResult* Comparison::Find(const std::string& target, const std::string& stage) const {
  for (const StageResult& r : results) {
    if (r.target == target && r.stage == stage) return &r;
  }
  return nullptr;
}

std::vector<Averages> AveragesByTarget(const Comparison& c) {
  std::vector<Averages> all;
  for (const std::string& target : c.targets) {
    const auto results = ResultsOf(c, target);
    if (results.empty()) continue;
    Averages a;
    a.target = target;
    for (const StageResult* r : results) {
      a.achieved_rate += r->achieved_rate;
      a.e2e_mean_ms += r->end_to_end_ms.mean;
      a.e2e_p99_ms += r->end_to_end_ms.p99;
      a.publish_p99_ms += r->publish_ms.p99;
      a.success_rate += r->SuccessRate();
      a.memory_delta_mb += r->resources.MemoryDeltaMb();
      a.cpu_us_per_message += r->cpu_us_per_message;
      a.stages_behind += r->behind_schedule ? 1 : 0;
    }
    const auto n = static_cast<double>(results.size());
    a.achieved_rate /= n;
    a.e2e_mean_ms /= n;
    a.e2e_p99_ms /= n;
    a.publish_p99_ms /= n;
    a.success_rate /= n;
    a.memory_delta_mb /= n;
    a.cpu_us_per_message /= n;
    all.push_back(a);
  }
  return all;
}

std::vector<Winner> Winners(const Comparison& c) {
  const std::vector<Averages> averages = AveragesByTarget(c);
  if (averages.size() != 2) return {};
  const Averages& a = averages[0];
  const Averages& b = averages[1];
  struct Metric {
    const char* name;
    std::function<double(const Averages&)> value;
    bool higher_is_better;
    std::function<std::string(double)> show;
  };
  const Metric metrics[] = {
      {"throughput", [](const Averages& x) { return x.achieved_rate; }, true, Rate},
      {"mean end-to-end latency", [](const Averages& x) { return x.e2e_mean_ms; }, false, Ms},
      {"p99 end-to-end latency", [](const Averages& x) { return x.e2e_p99_ms; }, false, Ms},
      {"p99 publish latency", [](const Averages& x) { return x.publish_p99_ms; }, false, Ms},
      {"success rate", [](const Averages& x) { return x.success_rate; }, true, Percent},
      {"brokerload memory delta", [](const Averages& x) { return x.memory_delta_mb; }, false,
       [](double v) { return Format("%.2f MB", v); }},
      {"brokerload CPU per message", [](const Averages& x) { return x.cpu_us_per_message; }, false,
       [](double v) { return Format("%.1f us", v); }},
  };
  std::vector<Winner> winners;
  for (const Metric& m : metrics) {
    Winner w;
    w.metric = m.name;
    w.target = Better(a.target, m.value(a), b.target, m.value(b), m.higher_is_better);
    w.detail = a.target + " " + m.show(m.value(a)) + ", " + b.target + " " + m.show(m.value(b));
    if (a.stages_behind + b.stages_behind > 0) {
      w.detail += " (brokerload fell behind its schedule in " +
                  std::to_string(a.stages_behind + b.stages_behind) +
                  " stage(s): those figures are the tool's limit)";
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
      return from == 0 ? std::string("n/a") : Format("%+.0f%%", 100.0 * (to - from) / from);
    };
    trends.push_back(target + ": from " + first.stage + " to " + last.stage + ", throughput " +
                     Rate(first.achieved_rate) + " → " + Rate(last.achieved_rate) + " (" +
                     change(first.achieved_rate, last.achieved_rate) + "), p99 end-to-end " +
                     Ms(first.end_to_end_ms.p99) + " → " + Ms(last.end_to_end_ms.p99) + " (" +
                     change(first.end_to_end_ms.p99, last.end_to_end_ms.p99) + ")");
    bool rate_tracks_offer = true;
    for (const StageResult* r : results) {
      rate_tracks_offer = rate_tracks_offer && r->achieved_rate >= 0.95 * r->offered_rate;
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
  for (const StageResult& r : c.results) {
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
  for (const StageResult& r : c.results) lost += r.lost + r.duplicated;
  if (lost == 0 && !c.results.empty()) {
    findings.push_back("No message was lost or duplicated in any stage of any target.");
  }
  return findings;
}

}  // namespace brokerload::report
