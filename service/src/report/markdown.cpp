#include <functional>

#include "report/analysis.hpp"
#include "report/writers.hpp"

namespace brokerload::report {
namespace {

// mean / p50 / p90, or p99 / p99.9 / max, each only where the samples support it.
std::string Latencies(const LatencySummary& l, bool tail) {
  if (!tail) {
    return FormatNumber(l.mean) + " / " + Quantile(l, 0.5, l.p50) + " / " + Quantile(l, 0.9, l.p90);
  }
  return Quantile(l, 0.99, l.p99) + " / " + Quantile(l, 0.999, l.p999) + " / " +
         Quantile(l, 1.0, l.max);
}

struct Row {
  const char* name;
  std::function<std::string(const StageResult&)> value;
};

const std::vector<Row>& StageRows() {
  static const std::vector<Row> rows = {
      {"offered (msg/s)",
       [](const StageResult& r) { return FormatNumber(r.offered_rate, "%.0f"); }},
      {"achieved (msg/s)",
       [](const StageResult& r) { return RateText(r.achieved_rate, r.rate_estimable); }},
      {"achieved (MB/s)",
       [](const StageResult& r) {
         return r.rate_estimable ? FormatNumber(r.achieved_mb_per_s) : std::string("n/a");
       }},
      {"send window / drain after it (s)",
       [](const StageResult& r) {
         return FormatNumber(r.window_seconds) + " / " + FormatNumber(r.drain_seconds);
       }},
      {"publish latency mean / p50 / p90 (ms)",
       [](const StageResult& r) { return Latencies(r.publish_ms, false); }},
      {"publish latency p99 / p99.9 / max (ms)",
       [](const StageResult& r) { return Latencies(r.publish_ms, true); }},
      {"end-to-end latency mean / p50 / p90 (ms)",
       [](const StageResult& r) { return Latencies(r.end_to_end_ms, false); }},
      {"end-to-end latency p99 / p99.9 / max (ms)",
       [](const StageResult& r) { return Latencies(r.end_to_end_ms, true); }},
      {"steady (e2e p99 first / last tenth, ms)",
       [](const StageResult& r) {
         return std::string(r.steady ? "yes" : "**no**") + " (" +
                FormatNumber(r.first_tenth_p99_ms) + " / " + FormatNumber(r.last_tenth_p99_ms) +
                ")";
       }},
      {"success rate (%)",
       [](const StageResult& r) { return FormatNumber(r.SuccessRate(), "%.2f"); }},
      {"lost / unconfirmed / duplicated / redelivered / out of order",
       [](const StageResult& r) {
         return std::to_string(r.lost) + " / " + std::to_string(r.unconfirmed) + " / " +
                std::to_string(r.duplicated) + " / " + std::to_string(r.redelivered) + " / " +
                std::to_string(r.out_of_order);
       }},
      {"delivered after a publish error / arrived after counted lost",
       [](const StageResult& r) {
         return std::to_string(r.delivered_after_error) + " / " + std::to_string(r.arrived_late);
       }},
      {"publish errors / dropped sends / dropped in the client",
       [](const StageResult& r) {
         return std::to_string(r.publish_errors) + " / " + std::to_string(r.dropped_sends) + " / " +
                std::to_string(r.dropped_by_client);
       }},
      {"brokerload memory initial / peak / final / delta (MB)",
       [](const StageResult& r) {
         const ResourceSummary& m = r.resources;
         return FormatNumber(m.memory_initial_mb) + " / " + FormatNumber(m.memory_peak_mb) + " / " +
                FormatNumber(m.memory_final_mb) + " / " + FormatNumber(m.MemoryDeltaMb());
       }},
      {"brokerload threads initial / peak / final / leaked",
       [](const StageResult& r) {
         const ResourceSummary& m = r.resources;
         return std::to_string(m.threads_initial) + " / " + std::to_string(m.threads_peak) + " / " +
                std::to_string(m.threads_final) + " / " + std::to_string(m.ThreadsLeaked());
       }},
      {"brokerload CPU per message (us)",
       [](const StageResult& r) { return FormatNumber(r.cpu_us_per_message, "%.1f"); }},
      {"send lag p50 / p99 (ms)",
       [](const StageResult& r) {
         return FormatNumber(r.send_lag_p50_ms, "%.3f") + " / " +
                FormatNumber(r.send_lag_p99_ms, "%.3f");
       }},
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
  const std::string title = Title(c);
  md += "# brokerload comparison: " + title + "\n\n";
  if (!c.interrupted.empty()) {
    md += "**Interrupted " + c.interrupted + "**: " + kInterruptedNote + "\n\n";
  }
  md +=
      "Generated " + c.generated_at + " by brokerload " + c.brokerload_version +
      ". Workload: " + std::to_string(c.topics) + " topics, " + std::to_string(c.message_size) +
      "-byte messages, " +
      (c.workers == 0 ? std::string("accounting on the consumer threads")
                      : std::to_string(c.workers) + " consumer workers") +
      "; targets run " + c.mode +
      ". Each target was first made ready end to end (topics or streams, partition "
      "leaders, consumer assignment, a probe round trip on every partition), then warmed up for " +
      FormatNumber(c.warmup_seconds, "%g") +
      " s at the first stage's rate. The warm-up is excluded from every figure below: each "
      "stage counts only the messages scheduled within its own send window (published, errors, "
      "dropped, lost, duplicated and latencies alike). Latencies are from the scheduled send "
      "time (end-to-end, corrected for coordinated omission) or from the send (publish, to the "
      "broker's ack). A quantile is shown only with at least 10 samples beyond it (p99: 1,000 "
      "samples, p99.9 and max: 10,000).\n\n";
  if (!c.target_info.empty()) {
    md += "## What was compared\n\n| | ";
    for (const TargetInfo& i : c.target_info) md += i.name + " | ";
    md += "\n|---|";
    for (std::size_t i = 0; i < c.target_info.size(); ++i) md += "---|";
    md += "\n| broker |";
    for (const TargetInfo& i : c.target_info) md += " " + i.broker_version + " |";
    md += "\n| client |";
    for (const TargetInfo& i : c.target_info) md += " " + i.client_version + " |";
    md += "\n| settings |";
    for (const TargetInfo& i : c.target_info) {
      std::string settings;
      for (const auto& [key, value] : i.settings) {
        settings += (settings.empty() ? "" : ", ") + key + "=" + value;
      }
      md += " " + settings + " |";
    }
    md += "\n| durability |";
    for (const TargetInfo& i : c.target_info) md += " " + i.durability + " |";
    md += "\n| ready after (setup + probe round trip) |";
    for (const TargetInfo& i : c.target_info) {
      md += " " + FormatNumber(i.setup_seconds + i.probe_seconds) + " s (" +
            FormatNumber(i.setup_seconds) + " + " + FormatNumber(i.probe_seconds) + ") |";
    }
    md += "\n| warm-up |";
    for (const TargetInfo& i : c.target_info)
      md += " " + FormatNumber(i.warmup_seconds, "%g") + " s |";
    md += "\n\n";
    if (const std::string d = DurabilityDifference(c); !d.empty()) md += "**" + d + "**\n\n";
  }

  md += "## Overview\n\n| stage | offered msg/s |";
  for (const std::string& t : c.targets) md += " " + t + " msg/s |";
  for (const std::string& t : c.targets) md += " " + t + " e2e mean / p99 ms |";
  for (const std::string& t : c.targets) md += " " + t + " success |";
  md += "\n|---|---|";
  for (std::size_t i = 0; i < 3 * c.targets.size(); ++i) md += "---|";
  md += "\n";
  for (const std::string& stage : c.stages) {
    const StageResult* any = c.results.empty() ? nullptr : c.Find(c.targets.front(), stage);
    md += "| " + stage + " | " + (any ? FormatNumber(any->offered_rate, "%.0f") : "-") + " |";
    for (const std::string& t : c.targets) {
      const StageResult* r = c.Find(t, stage);
      md += " " +
            (r ? RateText(r->achieved_rate, r->rate_estimable) + (r->behind_schedule ? " ⚠" : "")
               : "-") +
            " |";
    }
    for (const std::string& t : c.targets) {
      const StageResult* r = c.Find(t, stage);
      md += " " +
            (r ? FormatNumber(r->end_to_end_ms.mean) + " / " +
                     Quantile(r->end_to_end_ms, 0.99, r->end_to_end_ms.p99)
               : "-") +
            " |";
    }
    for (const std::string& t : c.targets) {
      const StageResult* r = c.Find(t, stage);
      md += " " + (r ? FormatNumber(r->SuccessRate(), "%.1f") + "%" : "-") + " |";
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

  md +=
      "\n## All stages pooled\n\nPercentiles of the union of the stages' samples (never "
      "averages of percentiles); throughput is every window's in-window receipts over the "
      "windows' total length.\n\n" +
      Header(c, "metric");
  const std::pair<const char*, std::function<std::string(const Overall&)>> rows[] = {
      {"throughput (msg/s)",
       [](const Overall& o) { return RateText(o.achieved_rate, o.rate_estimable); }},
      {"end-to-end mean / p50 (ms)",
       [](const Overall& o) {
         return FormatNumber(o.end_to_end_ms.mean) + " / " +
                Quantile(o.end_to_end_ms, 0.5, o.end_to_end_ms.p50);
       }},
      {"end-to-end p99 / p99.9 / max (ms)",
       [](const Overall& o) { return Latencies(o.end_to_end_ms, true); }},
      {"publish p50 / p99 (ms)",
       [](const Overall& o) {
         return Quantile(o.publish_ms, 0.5, o.publish_ms.p50) + " / " +
                Quantile(o.publish_ms, 0.99, o.publish_ms.p99);
       }},
      {"success rate (%)", [](const Overall& o) { return FormatNumber(o.success_rate); }},
      {"brokerload memory delta, mean of stages (MB)",
       [](const Overall& o) { return FormatNumber(o.memory_delta_mb); }},
      {"brokerload CPU per message (us)",
       [](const Overall& o) { return FormatNumber(o.cpu_us_per_message, "%.1f"); }},
      {"stages behind schedule / not steady",
       [](const Overall& o) {
         return std::to_string(o.stages_behind) + " / " + std::to_string(o.stages_not_steady);
       }},
  };
  for (const auto& [name, value] : rows) {
    md += std::string("| ") + name + " |";
    for (const std::string& t : c.targets) {
      const Overall* o = c.OverallOf(t);
      md += " " + (o ? value(*o) : "-") + " |";
    }
    md += "\n";
  }

  const std::vector<Winner> winners = Winners(c);
  if (!winners.empty()) {
    md +=
        "\n## Winner per metric\n\n| metric | better | figures (all stages pooled) "
        "|\n|---|---|---|\n";
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
