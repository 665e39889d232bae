#include "report/baseline.hpp"

#include <cstdio>

namespace brokerload::report {

std::string Regression::ToString() const {
  char text[256];
  const double change = baseline == 0 ? 0 : 100.0 * (current - baseline) / baseline;
  const bool latency = metric != "throughput";
  std::snprintf(text, sizeof text, "%s %s: %s %.2f%s -> %.2f%s (%+.1f%%)", target.c_str(),
                stage.c_str(), metric.c_str(), baseline, latency ? " ms" : " msg/s", current,
                latency ? " ms" : " msg/s", change);
  return text;
}

std::vector<Regression> FindRegressions(const Comparison& current, const Comparison& baseline,
                                        const Tolerances& tolerances) {
  std::vector<Regression> regressions;
  for (const StageResult& now : current.results) {
    const StageResult* before = baseline.Find(now.target, now.stage);
    if (before == nullptr) continue;
    // Only figures both runs could support: a rate from a long enough window, a p99 from enough
    // samples (a NaN from an older report compares false and is skipped too).
    if (now.rate_estimable && before->rate_estimable &&
        now.achieved_rate < before->achieved_rate * (1 - tolerances.throughput_drop)) {
      regressions.push_back(
          {now.target, now.stage, "throughput", before->achieved_rate, now.achieved_rate});
    }
    if (now.end_to_end_ms.Supports(0.99) &&
        now.end_to_end_ms.p99 > before->end_to_end_ms.p99 * (1 + tolerances.p99_rise)) {
      regressions.push_back({now.target, now.stage, "p99 end-to-end latency",
                             before->end_to_end_ms.p99, now.end_to_end_ms.p99});
    }
  }
  return regressions;
}

}  // namespace brokerload::report
