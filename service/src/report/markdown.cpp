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

// A table's row: its name, and the cell of one target's `Figures`.
template <typename Figures>
struct Row {
  const char* name;
  std::function<std::string(const Figures&)> value;
};

const std::vector<Row<StageResult>>& StageRows() {
  static const std::vector<Row<StageResult>> rows = {
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
      {"end-to-end from the actual send p50 / p99 / p99.9 (ms)",
       [](const StageResult& r) {
         const LatencySummary& l = r.end_to_end_from_send_ms;
         return Quantile(l, 0.5, l.p50) + " / " + Quantile(l, 0.99, l.p99) + " / " +
                Quantile(l, 0.999, l.p999);
       }},
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
      {"send lag p50 / p99 (ms); sends late",
       [](const StageResult& r) {
         return FormatNumber(r.send_lag_p50_ms, "%.3f") + " / " +
                FormatNumber(r.send_lag_p99_ms, "%.3f") + "; " + std::to_string(r.late_sends);
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

// One cell a target, in run order: `cell` of its result at `stage`, or "-" where it has none.
std::string StageCells(const Comparison& c, const std::string& stage,
                       const std::function<std::string(const StageResult&)>& cell) {
  std::string cells;
  for (const std::string& t : c.targets) {
    const StageResult* r = c.Find(t, stage);
    cells += " " + (r ? cell(*r) : "-") + " |";
  }
  return cells;
}

std::string Introduction(const Comparison& c) {
  std::string md = "# brokerload comparison: " + Title(c) + "\n\n";
  if (!c.interrupted.empty()) {
    md += "**Interrupted " + c.interrupted + "**: " + kInterruptedNote + "\n\n";
  }
  return md + "Generated " + c.generated_at + " by brokerload " + c.brokerload_version +
         ". Workload: " + std::to_string(c.topics) + " topics, " + SizesText(c) + KeysText(c) +
         ", " +
         (c.workers == 0 ? std::string("accounting on the consumer threads")
                         : std::to_string(c.workers) + " consumer workers") +
         "; targets run " + c.mode +
         ". Each target was first made ready end to end (topics or streams, partition "
         "leaders, consumer assignment, a probe round trip on every partition), then warmed up "
         "for " +
         FormatNumber(c.warmup_seconds, "%g") +
         " s at the first stage's rate. The warm-up is excluded from every figure below: each "
         "stage counts only the messages scheduled within its own send window (published, "
         "errors, dropped, lost, duplicated and latencies alike). Latencies are from the "
         "scheduled send time (end-to-end, corrected for coordinated omission) or from the send "
         "(publish, to the broker's ack; end-to-end from the actual send, whose gap to the "
         "end-to-end figure is brokerload's own lateness). A stage where brokerload dropped a "
         "send or sent more than 1 % of its messages over two ticks late is marked behind "
         "schedule, as in its log. A quantile is shown only with at least 10 samples beyond it "
         "(p99: 1,000 samples, p99.9 and max: 10,000)." +
         BurstNote(c) + "\n\n";
}

// "broker 1: 2, broker 2: 0 ⚠": what each broker (server) led; "unknown" when never asked.
std::string LeadsText(const TargetInfo& i) {
  if (i.leads.empty()) return "unknown";
  std::string text;
  for (const auto& [broker, led] : i.leads) {
    text += (text.empty() ? "" : ", ") + i.leader_kind + " " + broker + ": " + std::to_string(led) +
            (led == 0 ? " ⚠" : "");
  }
  return text;
}

// Versions, settings, durability and readiness of each target; nothing when they are unknown.
std::string WhatWasCompared(const Comparison& c) {
  if (c.target_info.empty()) return "";
  const Row<TargetInfo> rows[] = {
      {"broker", [](const TargetInfo& i) { return i.broker_version; }},
      {"client", [](const TargetInfo& i) { return i.client_version; }},
      {"settings",
       [](const TargetInfo& i) {
         std::string settings;
         for (const auto& [key, value] : i.settings) {
           settings += (settings.empty() ? "" : ", ") + key + "=" + value;
         }
         return settings;
       }},
      {"durability", [](const TargetInfo& i) { return i.durability; }},
      {"ready after (setup + probe round trip)",
       [](const TargetInfo& i) {
         return FormatNumber(i.setup_seconds + i.probe_seconds) + " s (" +
                FormatNumber(i.setup_seconds) + " + " + FormatNumber(i.probe_seconds) + ")";
       }},
      {"warm-up", [](const TargetInfo& i) { return FormatNumber(i.warmup_seconds, "%g") + " s"; }},
      {"leaders when sending stopped", LeadsText},
  };
  std::string md = "## What was compared\n\n| | ";
  for (const TargetInfo& i : c.target_info) md += i.name + " | ";
  md += "\n|---|";
  for (std::size_t i = 0; i < c.target_info.size(); ++i) md += "---|";
  for (const auto& [name, value] : rows) {
    md += std::string("\n| ") + name + " |";
    for (const TargetInfo& i : c.target_info) md += " " + value(i) + " |";
  }
  md += "\n\n";
  if (const std::string d = DurabilityDifference(c); !d.empty()) md += "**" + d + "**\n\n";
  for (const TargetInfo& i : c.target_info) {
    if (!i.leads_warning.empty()) md += "**" + i.leads_warning + "**\n\n";
  }
  return md;
}

// A row a stage: the offered rate, then each target's throughput, latency and success.
std::string Overview(const Comparison& c) {
  std::string md = "## Overview\n\n| stage | offered msg/s |";
  for (const std::string& t : c.targets) md += " " + t + " msg/s |";
  for (const std::string& t : c.targets) md += " " + t + " e2e mean / p99 ms |";
  for (const std::string& t : c.targets) md += " " + t + " success |";
  md += "\n|---|---|";
  for (std::size_t i = 0; i < 3 * c.targets.size(); ++i) md += "---|";
  md += "\n";
  for (const std::string& stage : c.stages) {
    const StageResult* any = c.targets.empty() ? nullptr : c.Find(c.targets.front(), stage);
    md += "| " + stage + " | " + (any ? FormatNumber(any->offered_rate, "%.0f") : "-") + " |";
    md += StageCells(c, stage, [](const StageResult& r) {
      return RateText(r.achieved_rate, r.rate_estimable) + (r.behind_schedule ? " ⚠" : "");
    });
    md += StageCells(c, stage, [](const StageResult& r) {
      return FormatNumber(r.end_to_end_ms.mean) + " / " +
             Quantile(r.end_to_end_ms, 0.99, r.end_to_end_ms.p99);
    });
    md += StageCells(
        c, stage, [](const StageResult& r) { return FormatNumber(r.SuccessRate(), "%.1f") + "%"; });
    md += "\n";
  }
  return md +
         "\n⚠ marks a stage where brokerload fell behind its own schedule: its figures are the "
         "tool's limit, not the broker's.\n";
}

std::string StageTable(const Comparison& c, const std::string& stage) {
  std::string md = "\n## Stage " + stage + "\n\n" + Header(c, "metric");
  for (const Row<StageResult>& row : StageRows()) {
    md += std::string("| ") + row.name + " |" + StageCells(c, stage, row.value) + "\n";
  }
  return md;
}

// Each target's figures over all its stages (Comparison::overall).
std::string Pooled(const Comparison& c) {
  const Row<Overall> rows[] = {
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
      {"bytes offered / on the wire (MB), wire / offered",
       [](const Overall& o) {
         if (o.wire_bytes < 0) return FormatNumber(o.offered_bytes / 1e6) + " / n/a";
         return FormatNumber(o.offered_bytes / 1e6) + " / " + FormatNumber(o.wire_bytes / 1e6) +
                ", " +
                (o.offered_bytes > 0 ? FormatNumber(o.wire_bytes / o.offered_bytes, "%.3f")
                                     : std::string("n/a"));
       }},
      {"stages behind schedule / not steady",
       [](const Overall& o) {
         return std::to_string(o.stages_behind) + " / " + std::to_string(o.stages_not_steady);
       }},
  };
  std::string md =
      "\n## All stages pooled\n\nPercentiles of the union of the stages' samples (never "
      "averages of percentiles); throughput is every window's in-window receipts over the "
      "windows' total length.\n\n" +
      Header(c, "metric");
  for (const auto& [name, value] : rows) {
    md += std::string("| ") + name + " |";
    for (const std::string& t : c.targets) {
      const Overall* o = c.OverallOf(t);
      md += " " + (o ? value(*o) : "-") + " |";
    }
    md += "\n";
  }
  return md;
}

std::string WinnerTable(const Comparison& c) {
  const std::vector<Winner> winners = Winners(c);
  if (winners.empty()) return "";
  std::string md =
      "\n## Winner per metric\n\n| metric | better | figures (all stages pooled) "
      "|\n|---|---|---|\n";
  for (const Winner& w : winners) {
    md += "| " + w.metric + " | " + w.target + " | " + w.detail + " |\n";
  }
  return md;
}

std::string BulletList(const char* heading, const std::vector<std::string>& lines) {
  std::string md = std::string("\n## ") + heading + "\n\n";
  for (const std::string& line : lines) md += "- " + line + "\n";
  return md;
}

}  // namespace

std::string ToMarkdown(const Comparison& c) {
  std::string md = Introduction(c) + WhatWasCompared(c) + Overview(c);
  for (const std::string& stage : c.stages) md += StageTable(c, stage);
  md += Pooled(c) + WinnerTable(c) + BulletList("Trends across stages", Trends(c)) +
        BulletList("Findings", Findings(c));
  if (c.repetitions > 1) md += BulletList("Repetitions", RepetitionLines(c));
  if (!c.baseline.empty()) md += BulletList("Against the baseline", VerdictLines(c));
  return md;
}

}  // namespace brokerload::report
