#include <cstdio>
#include <functional>

#include "report/analysis.hpp"
#include "report/writers.hpp"

namespace brokerload::report {
namespace {

std::string Num(double value, const char* format = "%.2f") {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

struct Row {
  const char* name;
  std::function<std::string(const StageResult&)> value;
};

const std::vector<Row>& StageRows() {
  static const std::vector<Row> rows = {
      {"offered (msg/s)", [](const StageResult& r) { return Num(r.offered_rate, "%.0f"); }},
      {"achieved (msg/s)", [](const StageResult& r) { return Num(r.achieved_rate, "%.1f"); }},
      {"achieved (MB/s)", [](const StageResult& r) { return Num(r.achieved_mb_per_s); }},
      {"publish latency mean / p50 / p90 (ms)",
       [](const StageResult& r) {
         return Num(r.publish_ms.mean) + " / " + Num(r.publish_ms.p50) + " / " +
                Num(r.publish_ms.p90);
       }},
      {"publish latency p99 / p99.9 / max (ms)",
       [](const StageResult& r) {
         return Num(r.publish_ms.p99) + " / " + Num(r.publish_ms.p999) + " / " +
                Num(r.publish_ms.max);
       }},
      {"end-to-end latency mean / p50 / p90 (ms)",
       [](const StageResult& r) {
         return Num(r.end_to_end_ms.mean) + " / " + Num(r.end_to_end_ms.p50) + " / " +
                Num(r.end_to_end_ms.p90);
       }},
      {"end-to-end latency p99 / p99.9 / max (ms)",
       [](const StageResult& r) {
         return Num(r.end_to_end_ms.p99) + " / " + Num(r.end_to_end_ms.p999) + " / " +
                Num(r.end_to_end_ms.max);
       }},
      {"success rate (%)", [](const StageResult& r) { return Num(r.SuccessRate(), "%.2f"); }},
      {"lost / duplicated / out of order",
       [](const StageResult& r) {
         return std::to_string(r.lost) + " / " + std::to_string(r.duplicated) + " / " +
                std::to_string(r.out_of_order);
       }},
      {"publish errors / dropped sends",
       [](const StageResult& r) {
         return std::to_string(r.publish_errors) + " / " + std::to_string(r.dropped_sends);
       }},
      {"brokerload memory initial / peak / final / delta (MB)",
       [](const StageResult& r) {
         const ResourceSummary& m = r.resources;
         return Num(m.memory_initial_mb) + " / " + Num(m.memory_peak_mb) + " / " +
                Num(m.memory_final_mb) + " / " + Num(m.MemoryDeltaMb());
       }},
      {"brokerload threads initial / peak / final / leaked",
       [](const StageResult& r) {
         const ResourceSummary& m = r.resources;
         return std::to_string(m.threads_initial) + " / " + std::to_string(m.threads_peak) + " / " +
                std::to_string(m.threads_final) + " / " + std::to_string(m.ThreadsLeaked());
       }},
      {"brokerload CPU per message (us)",
       [](const StageResult& r) { return Num(r.cpu_us_per_message, "%.1f"); }},
      {"send lag p99 (ms)", [](const StageResult& r) { return Num(r.send_lag_p99_ms); }},
      {"brokerload behind schedule",
       [](const StageResult& r) {
         return r.behind_schedule ? "**yes**: " + r.behind_reason : std::string("no");
       }},
  };
  return rows;
}

std::string Header(const Comparison& c, const char* first) {
  std::string header = std::string("| ") + first + " |";
  std::string rule = "|---|";
  for (const std::string& t : c.targets) {
    header += " " + t + " |";
    rule += "---|";
  }
  return header + "\n" + rule + "\n";
}

}  // namespace

std::string ToMarkdown(const Comparison& c) {
  std::string md;
  std::string title;
  for (const std::string& t : c.targets) title += (title.empty() ? "" : " vs ") + t;
  md += "# brokerload comparison: " + title + "\n\n";
  md += "Generated " + c.generated_at + " by brokerload " + c.brokerload_version +
        ". Workload: " + std::to_string(c.topics) + " topics, " + std::to_string(c.message_size) +
        "-byte messages, " + std::to_string(c.workers) + " consumer workers; targets run " +
        c.mode + "; the first " + Num(c.warmup_seconds, "%g") +
        " s of every stage are warm-up, excluded from every figure below. Latencies are from the "
        "scheduled send time (end-to-end, corrected for coordinated omission) or from the send "
        "(publish, to the broker's ack).\n\n";

  md += "## Overview\n\n| stage | offered msg/s |";
  for (const std::string& t : c.targets) md += " " + t + " msg/s |";
  for (const std::string& t : c.targets) md += " " + t + " e2e mean / p99 ms |";
  for (const std::string& t : c.targets) md += " " + t + " success |";
  md += "\n|---|---|";
  for (std::size_t i = 0; i < 3 * c.targets.size(); ++i) md += "---|";
  md += "\n";
  for (const std::string& stage : c.stages) {
    const StageResult* any = c.results.empty() ? nullptr : c.Find(c.targets.front(), stage);
    md += "| " + stage + " | " + (any ? Num(any->offered_rate, "%.0f") : "-") + " |";
    for (const std::string& t : c.targets) {
      const StageResult* r = c.Find(t, stage);
      md +=
          " " + (r ? Num(r->achieved_rate, "%.1f") + (r->behind_schedule ? " ⚠" : "") : "-") + " |";
    }
    for (const std::string& t : c.targets) {
      const StageResult* r = c.Find(t, stage);
      md += " " + (r ? Num(r->end_to_end_ms.mean) + " / " + Num(r->end_to_end_ms.p99) : "-") + " |";
    }
    for (const std::string& t : c.targets) {
      const StageResult* r = c.Find(t, stage);
      md += " " + (r ? Num(r->SuccessRate(), "%.1f") + "%" : "-") + " |";
    }
    md += "\n";
  }
  md +=
      "\n⚠ marks a stage where brokerload fell behind its own schedule: its figures are the "
      "tool's limit, not the broker's.\n";

  for (const std::string& stage : c.stages) {
    md += "\n## Stage " + stage + "\n\n" + Header(c, "metric");
    for (const Row& row : StageRows()) {
      md += std::string("| ") + row.name + " |";
      for (const std::string& t : c.targets) {
        const StageResult* r = c.Find(t, stage);
        md += " " + (r ? row.value(*r) : "-") + " |";
      }
      md += "\n";
    }
  }

  const std::vector<Averages> averages = AveragesByTarget(c);
  md += "\n## Averages over all stages\n\n" + Header(c, "metric");
  const std::pair<const char*, std::function<std::string(const Averages&)>> rows[] = {
      {"throughput (msg/s)", [](const Averages& a) { return Num(a.achieved_rate, "%.1f"); }},
      {"end-to-end mean (ms)", [](const Averages& a) { return Num(a.e2e_mean_ms); }},
      {"end-to-end p99 (ms)", [](const Averages& a) { return Num(a.e2e_p99_ms); }},
      {"publish p99 (ms)", [](const Averages& a) { return Num(a.publish_p99_ms); }},
      {"success rate (%)", [](const Averages& a) { return Num(a.success_rate); }},
      {"brokerload memory delta (MB)", [](const Averages& a) { return Num(a.memory_delta_mb); }},
      {"brokerload CPU per message (us)",
       [](const Averages& a) { return Num(a.cpu_us_per_message, "%.1f"); }},
      {"stages behind schedule", [](const Averages& a) { return std::to_string(a.stages_behind); }},
  };
  for (const auto& [name, value] : rows) {
    md += std::string("| ") + name + " |";
    for (const Averages& a : averages) md += " " + value(a) + " |";
    md += "\n";
  }

  const std::vector<Winner> winners = Winners(c);
  if (!winners.empty()) {
    md += "\n## Winner per metric\n\n| metric | better | figures (averages) |\n|---|---|---|\n";
    for (const Winner& w : winners) {
      md += "| " + w.metric + " | " + w.target + " | " + w.detail + " |\n";
    }
  }
  md += "\n## Trends across stages\n\n";
  for (const std::string& line : Trends(c)) md += "- " + line + "\n";
  md += "\n## Findings\n\n";
  for (const std::string& line : Findings(c)) md += "- " + line + "\n";
  return md;
}

}  // namespace brokerload::report
