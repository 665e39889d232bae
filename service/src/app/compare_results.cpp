#include "app/compare_results.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

#include "message/samples.hpp"
#include "pacing/publisher.hpp"
#include "pacing/sizes.hpp"
#include "report/analysis.hpp"

namespace brokerload::app {
namespace {

// workload.message_size as the report names it, header included: "256-byte messages", "messages
// of 100 to 2000 bytes (uniform)", "messages of log-normal size (p50 1024 B, p99 16384 B, cut to
// 56-1048576 B)", "messages of 256 B (90), 4096 B (9) or 65536 B (1) by weight".
std::string SizesText(const config::Workload& w) {
  const auto bytes = [](int size) { return std::to_string(size) + " B"; };
  if (w.payload == config::PayloadKind::kSamples && w.samples.data) {
    return "sample payloads from " + w.samples.path + " (" +
           std::to_string(w.samples.data->Count()) + " samples, " +
           (w.samples.random_order ? "drawn at random" : "in turn") + ", mean " +
           report::FormatNumber(w.samples.data->MeanSize(), "%.0f") + " B" +
           (w.brokerload_header == config::HeaderPlace::kPayload
                ? " after brokerload's 56-byte header)"
                : ", as they are)");
  }
  if (w.min_size == w.max_size) return std::to_string(w.min_size) + "-byte messages";
  switch (w.size_distribution) {
    case config::SizeDistribution::kUniform:
      return "messages of " + std::to_string(w.min_size) + " to " + std::to_string(w.max_size) +
             " bytes (uniform)";
    case config::SizeDistribution::kLogNormal:
      return "messages of log-normal size (p50 " + bytes(w.size_p50) + ", p99 " +
             bytes(w.size_p99) + ", cut to " + std::to_string(w.min_size) + "-" +
             bytes(w.max_size) + ")";
    case config::SizeDistribution::kTable: {
      constexpr std::size_t kNamed = 8;
      std::string text = "messages of ";
      const std::size_t named = std::min(w.size_table.size(), kNamed);
      for (std::size_t i = 0; i < named; ++i) {
        text += (i == 0                                           ? ""
                 : i + 1 == named && named == w.size_table.size() ? " or "
                                                                  : ", ") +
                bytes(w.size_table[i].size) + " (" +
                report::FormatNumber(w.size_table[i].weight, "%g") + ")";
      }
      if (named < w.size_table.size()) {
        text += " and " + std::to_string(w.size_table.size() - named) + " more sizes";
      }
      return text + " by weight";
    }
  }
  return "";
}

// What the payloads were where not samples (random bytes unsaid), where brokerload's header went
// and the extra headers, after the sizes (which count the header).
std::string HeadersText(const config::Workload& w) {
  std::string text;
  if (w.payload == config::PayloadKind::kCompressible) text += "; compressible payloads";
  if (w.brokerload_header == config::HeaderPlace::kMessageHeader) {
    text += "; brokerload's header in the message header \"brokerload\"";
  }
  if (w.extra_headers > 0) {
    text += "; " + std::to_string(w.extra_headers) + " extra header" +
            (w.extra_headers == 1 ? "" : "s") + " of " + std::to_string(w.extra_header_size) +
            " characters";
  }
  return text;
}

constexpr double kSettlingRatio = 3;  // first-tenth p99 above this many last-tenth p99s: settling

double Ms(std::int64_t ns) { return static_cast<double>(ns) * 1e-6; }

report::LatencySummary Summarize(const accounting::HistogramSnapshot& h) {
  report::LatencySummary s;
  s.count = h.Count();
  s.mean = h.MeanNs() * 1e-6;
  s.p50 = Ms(h.QuantileNs(0.5));
  s.p90 = Ms(h.QuantileNs(0.9));
  s.p99 = Ms(h.QuantileNs(0.99));
  s.p999 = Ms(h.QuantileNs(0.999));
  s.max = Ms(h.MaxNs());
  return s;
}

// One target's stage, from its accounting phase.
// Sending stopped at `stop_ns`: the window ends there if it had not ended yet. `mean_size`: the
// workload's mean message size (pacing::MeanMessageSize), for MB/s.
report::StageResult Measure(const TargetRuntime& target, const pacing::StagePlan& stage,
                            std::size_t phase, std::int64_t stop_ns, double mean_size) {
  const accounting::TargetAccounting& a = target.Accounting();
  const accounting::PhaseWindow& window = a.Window(phase);
  const accounting::Totals t = a.PhaseTotals(phase);
  const accounting::PhaseLatencies& latency = a.PhaseLatency(phase);
  report::StageResult r;
  r.target = target.Name();
  r.stage = stage.name;
  r.offered_rate = stage.rate;
  r.published = t.published;
  r.acked = t.acked;
  r.consumed = t.Received();
  r.consumed_in_window = t.consumed_in_window;
  r.lost = t.lost;
  r.unconfirmed = t.unconfirmed;
  r.duplicated = t.duplicated;
  r.redelivered = t.redelivered;
  r.delivered_after_error = t.delivered_after_error;
  r.arrived_late = t.arrived_after_lost;
  r.out_of_order = t.out_of_order;
  r.dropped_sends = t.dropped_sends;
  r.dropped_by_client = t.dropped_by_client;
  r.publish_errors = t.Errors();
  r.publish_ms = Summarize(latency.publish.Snapshot());
  const accounting::HistogramSnapshot e2e = latency.end_to_end.Snapshot();
  r.end_to_end_ms = Summarize(e2e);
  r.end_to_end_from_send_ms = Summarize(latency.end_to_end_from_send.Snapshot());
  for (double q : {0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.9999, 1.0}) {
    if (q == 1.0 ? r.end_to_end_ms.SupportsMax() : r.end_to_end_ms.Supports(q)) {
      r.end_to_end_curve.emplace_back(q, Ms(e2e.QuantileNs(q)));
    }
  }
  const std::int64_t end_ns = std::min(window.end_ns, stop_ns);
  r.window_seconds = static_cast<double>(end_ns - window.start_ns) * 1e-9;
  const std::int64_t last = a.LastReceiveNs(phase);
  r.drain_seconds = last > end_ns ? static_cast<double>(last - end_ns) * 1e-9 : 0;
  // A window cut short has no rate: arrivals are counted against its scheduled end, so the drain
  // after the cut would count as kept up.
  r.rate_estimable = end_ns == window.end_ns && r.window_seconds >= 1.0 &&
                     r.window_seconds * 1e3 >= 10 * r.end_to_end_ms.p99;
  r.achieved_rate = static_cast<double>(r.consumed_in_window) / std::max(r.window_seconds, 1e-9);
  r.achieved_mb_per_s = r.achieved_rate * mean_size / 1e6;
  const accounting::HistogramSnapshot lag = latency.send_lag.Snapshot();
  r.send_lag_p50_ms = Ms(lag.QuantileNs(0.5));
  r.send_lag_p99_ms = Ms(lag.QuantileNs(0.99));
  const accounting::HistogramSnapshot first = latency.end_to_end_slices.front().Snapshot();
  const accounting::HistogramSnapshot final_tenth = latency.end_to_end_slices.back().Snapshot();
  r.first_tenth_p99_ms = Ms(first.QuantileNs(0.99));
  r.last_tenth_p99_ms = Ms(final_tenth.QuantileNs(0.99));
  const std::uint64_t needed = report::MinSamples(0.99);
  r.steady = first.Count() < needed || final_tenth.Count() < needed ||
             r.first_tenth_p99_ms <= kSettlingRatio * r.last_tenth_p99_ms;
  // One definition of behind for the report and the log (pacing::BehindSchedule).
  r.late_sends = t.late_sends;
  r.behind_schedule = pacing::BehindSchedule(r.published, r.late_sends, r.dropped_sends);
  if (r.dropped_sends > 0) {
    r.behind_reason = std::to_string(r.dropped_sends) + " sends dropped";
  } else if (r.behind_schedule) {
    char text[128];
    std::snprintf(text, sizeof text, "%llu of %llu sends late, send lag p99 %.1f ms",
                  static_cast<unsigned long long>(r.late_sends),
                  static_cast<unsigned long long>(r.published), r.send_lag_p99_ms);
    r.behind_reason = text;
  }
  return r;
}

// The pooled figures of one target over its stages; sending stopped at `stop_ns`.
report::Overall Pool(const TargetRuntime& target, const std::vector<report::StageResult>& results,
                     std::size_t first_phase, std::int64_t stop_ns) {
  const accounting::TargetAccounting& a = target.Accounting();
  report::Overall o;
  o.target = target.Name();
  accounting::HistogramSnapshot publish;
  accounting::HistogramSnapshot e2e;
  double window = 0;
  double cpu = 0;
  std::uint64_t in_window = 0;
  std::uint64_t published = 0;
  std::uint64_t consumed = 0;
  int stages = 0;
  bool cut = false;  // a window that stop_ns ended early counts its drain as kept up (Measure)
  for (std::size_t p = first_phase; p < a.Phases(); ++p) {
    publish.Merge(a.PhaseLatency(p).publish.Snapshot());
    e2e.Merge(a.PhaseLatency(p).end_to_end.Snapshot());
    cut = cut || (a.Window(p).start_ns < stop_ns && stop_ns < a.Window(p).end_ns);
  }
  for (const report::StageResult& r : results) {
    if (r.target != o.target) continue;
    ++stages;
    window += r.window_seconds;
    in_window += r.consumed_in_window;
    published += r.published;
    consumed += r.consumed;
    cpu += r.resources.cpu_seconds;
    o.memory_delta_mb += r.resources.MemoryDeltaMb();
    o.stages_behind += r.behind_schedule ? 1 : 0;
    o.stages_not_steady += r.steady ? 0 : 1;
  }
  o.publish_ms = Summarize(publish);
  o.end_to_end_ms = Summarize(e2e);
  o.achieved_rate = window > 0 ? static_cast<double>(in_window) / window : 0;
  o.rate_estimable = !cut && window >= 1.0 && window * 1e3 >= 10 * o.end_to_end_ms.p99;
  o.success_rate = published == 0
                       ? 100.0
                       : 100.0 * static_cast<double>(consumed) / static_cast<double>(published);
  o.memory_delta_mb /= std::max(stages, 1);
  o.cpu_us_per_message = published == 0 ? 0 : cpu * 1e6 / static_cast<double>(published);
  o.offered_bytes = static_cast<double>(a.Sum().published_bytes);
  if (const std::optional<std::uint64_t> wire = target.SentBytes()) {
    o.wire_bytes = static_cast<double>(*wire);
  }
  return o;
}

// Side by side, the targets share one process: a stage's CPU over all of its messages.
void ShareCpu(std::vector<report::StageResult>& results, std::size_t first_result) {
  for (std::size_t i = first_result; i < results.size(); ++i) {
    report::StageResult& r = results[i];
    std::uint64_t stage_published = 0;
    for (std::size_t j = first_result; j < results.size(); ++j) {
      if (results[j].stage == r.stage) stage_published += results[j].published;
    }
    r.cpu_us_per_message =
        stage_published == 0 ? 0
                             : r.resources.cpu_seconds * 1e6 / static_cast<double>(stage_published);
  }
}

}  // namespace

void AddResults(const Engine& engine, const ResourceSampler& sampler, std::int64_t stop_ns,
                report::Comparison& comparison) {
  const pacing::Schedule& schedule = engine.Schedule();
  const double mean_size = pacing::MeanMessageSize(engine.RunConfig().workload);
  const std::size_t first_stage = schedule.HasWarmup() ? 1 : 0;
  const std::size_t first_result = comparison.results.size();
  for (std::size_t i = 0; i < engine.Targets().size(); ++i) {
    const TargetRuntime& target = *engine.Targets()[i];
    for (std::size_t p = first_stage; p < schedule.Stages().size(); ++p) {
      const accounting::PhaseWindow& w = target.Accounting().Window(p);
      if (w.start_ns >= stop_ns) break;  // not begun when sending stopped
      report::StageResult r = Measure(target, schedule.Stages()[p], p, stop_ns, mean_size);
      const std::int64_t end_ns = std::min(w.end_ns, stop_ns);
      r.resources = sampler.Over(w.start_ns, end_ns,
                                 end_ns + static_cast<std::int64_t>(r.drain_seconds * 1e9));
      comparison.results.push_back(std::move(r));
    }
    const driver::Description& d = target.Description();
    const Readiness& ready = engine.TargetReadiness()[i];
    report::TargetInfo info;
    info.name = target.Name();
    info.broker_version = d.broker_version;
    info.client_version = d.client_version;
    info.settings = d.settings;
    info.durability = d.durability;
    info.setup_seconds = ready.setup_seconds;
    info.probe_seconds = ready.probe_seconds;
    info.warmup_seconds = static_cast<double>(schedule.WarmupNs()) * 1e-9;
    const std::vector<metrics::BrokerLeads> counts = target.Leaders().Counts();
    if (!counts.empty()) {
      info.leader_kind = target.Leaders().Words().broker;
      for (const metrics::BrokerLeads& c : counts) info.leads.emplace_back(c.broker, c.led);
      info.leads_warning = NoneLedLine(target.Name(), target.Leaders().Words(), counts);
    }
    comparison.target_info.push_back(std::move(info));
  }
  ShareCpu(comparison.results, first_result);
  for (const auto& target : engine.Targets()) {
    comparison.overall.push_back(Pool(*target, comparison.results, first_stage, stop_ns));
  }
}

std::string WorkloadText(const config::Workload& workload) {
  return SizesText(workload) + HeadersText(workload);
}

}  // namespace brokerload::app
