#include "report/json.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

namespace brokerload::report {
namespace {

using nlohmann::json;

constexpr const char* kSchema = "brokerload.compare";

// A quantile the sample count does not support is null (MinSamples).
json Latency(const LatencySummary& l) {
  auto q = [&](double quantile, double value) {
    return (quantile >= 1 ? l.SupportsMax() : l.Supports(quantile)) ? json(value) : json(nullptr);
  };
  return {{"mean", l.mean},        {"p50", q(0.5, l.p50)},     {"p90", q(0.9, l.p90)},
          {"p99", q(0.99, l.p99)}, {"p999", q(0.999, l.p999)}, {"max", q(1.0, l.max)},
          {"count", l.count}};
}

double Number(const json& j, const char* key) {
  const json& v = j.at(key);
  return v.is_null() ? std::nan("") : v.get<double>();
}

LatencySummary Latency(const json& j) {
  LatencySummary l;
  l.mean = Number(j, "mean");
  l.p50 = Number(j, "p50");
  l.p90 = Number(j, "p90");
  l.p99 = Number(j, "p99");
  l.p999 = Number(j, "p999");
  l.max = Number(j, "max");
  l.count = j.at("count").get<std::uint64_t>();
  return l;
}

// One (target, stage): every figure of StageResult, a quantile without the samples for it null.
json ResultJson(const StageResult& r) {
  json curve = json::array();
  for (const auto& [q, ms] : r.end_to_end_curve) curve.push_back({q, ms});
  const ResourceSummary& m = r.resources;
  return {
      {"target", r.target},
      {"stage", r.stage},
      {"offered_rate", r.offered_rate},
      {"achieved_rate", r.rate_estimable ? json(r.achieved_rate) : json(nullptr)},
      {"achieved_mb_per_s", r.rate_estimable ? json(r.achieved_mb_per_s) : json(nullptr)},
      {"window_seconds", r.window_seconds},
      {"drain_seconds", r.drain_seconds},
      {"published", r.published},
      {"acked", r.acked},
      {"consumed", r.consumed},
      {"consumed_in_window", r.consumed_in_window},
      {"success_rate", r.SuccessRate()},
      {"lost", r.lost},
      {"unconfirmed", r.unconfirmed},
      {"duplicated", r.duplicated},
      {"redelivered", r.redelivered},
      {"delivered_after_error", r.delivered_after_error},
      {"arrived_late", r.arrived_late},
      {"out_of_order", r.out_of_order},
      {"publish_errors", r.publish_errors},
      {"dropped_sends", r.dropped_sends},
      {"dropped_by_client", r.dropped_by_client},
      {"steady", r.steady},
      {"first_tenth_p99_ms", r.first_tenth_p99_ms},
      {"last_tenth_p99_ms", r.last_tenth_p99_ms},
      {"send_lag_p50_ms", r.send_lag_p50_ms},
      {"publish_latency_ms", Latency(r.publish_ms)},
      {"end_to_end_latency_ms", Latency(r.end_to_end_ms)},
      {"end_to_end_from_send_latency_ms", Latency(r.end_to_end_from_send_ms)},
      {"late_sends", r.late_sends},
      {"end_to_end_percentiles_ms", curve},
      {"send_lag_p99_ms", r.send_lag_p99_ms},
      {"memory_mb",
       {{"initial", m.memory_initial_mb},
        {"peak", m.memory_peak_mb},
        {"final", m.memory_final_mb},
        {"delta", m.MemoryDeltaMb()}}},
      {"threads",
       {{"initial", m.threads_initial},
        {"peak", m.threads_peak},
        {"final", m.threads_final},
        {"leaked", m.ThreadsLeaked()}}},
      {"cpu_seconds", m.cpu_seconds},
      {"cpu_us_per_message", r.cpu_us_per_message},
      {"behind_schedule", r.behind_schedule},
      {"behind_reason", r.behind_reason},
  };
}

// {"1": 2, "2": 0}: partitions (streams) led per broker (server); null when never known.
json Leads(const TargetInfo& i) {
  if (i.leads.empty()) return nullptr;
  json leads = json::object();
  for (const auto& [broker, led] : i.leads) leads[broker] = led;
  return leads;
}

json TargetInfoJson(const TargetInfo& i) {
  json settings = json::object();
  for (const auto& [key, value] : i.settings) settings[key] = value;
  return {{"name", i.name},
          {"broker_version", i.broker_version},
          {"client_version", i.client_version},
          {"settings", settings},
          {"durability", i.durability},
          {"setup_seconds", i.setup_seconds},
          {"probe_seconds", i.probe_seconds},
          {"warmup_seconds", i.warmup_seconds},
          {"leader_kind", i.leader_kind.empty() ? json(nullptr) : json(i.leader_kind)},
          {"leads", Leads(i)},
          {"leads_warning", i.leads_warning.empty() ? json(nullptr) : json(i.leads_warning)}};
}

json OverallJson(const Overall& o) {
  return {{"target", o.target},
          {"achieved_rate", o.rate_estimable ? json(o.achieved_rate) : json(nullptr)},
          {"publish_latency_ms", Latency(o.publish_ms)},
          {"end_to_end_latency_ms", Latency(o.end_to_end_ms)},
          {"success_rate", o.success_rate},
          {"memory_delta_mb", o.memory_delta_mb},
          {"cpu_us_per_message", o.cpu_us_per_message},
          {"offered_bytes", o.offered_bytes},
          {"wire_bytes", o.wire_bytes < 0 ? json(nullptr) : json(o.wire_bytes)},
          {"wire_ratio", o.wire_bytes < 0 || o.offered_bytes <= 0
                             ? json(nullptr)
                             : json(o.wire_bytes / o.offered_bytes)},
          {"stages_behind", o.stages_behind},
          {"stages_not_steady", o.stages_not_steady}};
}

// `items` in order, each as `to_json` writes it.
template <typename Item>
json Array(const std::vector<Item>& items, json (*to_json)(const Item&)) {
  json array = json::array();
  for (const Item& item : items) array.push_back(to_json(item));
  return array;
}

// NaN (a figure a repetition could not support) as null.
json Values(const std::vector<double>& values) {
  json array = json::array();
  for (double v : values) array.push_back(std::isfinite(v) ? json(v) : json(nullptr));
  return array;
}

std::vector<double> Values(const json& array) {
  std::vector<double> values;
  for (const json& v : array) values.push_back(v.is_null() ? std::nan("") : v.get<double>());
  return values;
}

json RepeatedJson(const Repeated& r) {
  return {{"target", r.target},
          {"stage", r.stage},
          {"achieved_rate", Values(r.achieved_rate)},
          {"end_to_end_p99_ms", Values(r.end_to_end_p99_ms)}};
}

const char* ChangeName(Change change) {
  switch (change) {
    case Change::kRegression:
      return "regression";
    case Change::kImprovement:
      return "improvement";
    case Change::kWithinNoise:
      break;
  }
  return "within_noise";
}

json VerdictJson(const Verdict& v) {
  return {{"target", v.target},
          {"stage", v.stage},
          {"metric", v.metric},
          {"change", ChangeName(v.change)},
          {"baseline", Values(v.baseline)},
          {"current", Values(v.current)},
          {"baseline_median", v.baseline_median},
          {"current_median", v.current_median},
          {"noise_measured", v.noise_measured},
          {"p_worse", v.noise_measured ? json(v.p_worse) : json(nullptr)},
          {"p_better", v.noise_measured ? json(v.p_better) : json(nullptr)}};
}

}  // namespace

std::string ToJson(const Comparison& c) {
  const json document = {
      {"schema", kSchema},
      {"version", c.schema_version},
      {"brokerload_version", c.brokerload_version},
      {"generated_at", c.generated_at},
      {"mode", c.mode},
      {"interrupted", c.interrupted.empty() ? json(nullptr) : json(c.interrupted)},
      {"warmup_seconds", c.warmup_seconds},
      {"burst_interval_seconds", c.burst_interval_seconds},
      {"burst_interval_auto", c.burst_interval_auto},
      {"workload",
       {{"topics", c.topics},
        {"message_size", c.message_size},
        {"message_size_max", c.message_size_max},
        {"message_size_mean", c.message_size_mean},
        {"message_sizes", c.message_sizes},
        {"keys", c.keys},
        {"key_skew", c.key_skew},
        {"workers", c.workers}}},
      {"targets", c.targets},
      {"stages", c.stages},
      {"target_info", Array(c.target_info, TargetInfoJson)},
      {"overall", Array(c.overall, OverallJson)},
      {"results", Array(c.results, ResultJson)},
      {"repetitions", c.repetitions},
      {"repeated", Array(c.repeated, RepeatedJson)},
      {"baseline", c.baseline.empty() ? json(nullptr) : json(c.baseline)},
      {"verdicts", Array(c.verdicts, VerdictJson)},
  };
  return document.dump(2) + "\n";
}

bool FromJson(const std::string& text, Comparison& c, std::string& error) {
  try {
    const json j = json::parse(text);
    if (j.value("schema", "") != kSchema) {
      error = std::string("not a brokerload comparison (expected \"schema\": \"") + kSchema + "\")";
      return false;
    }
    c.schema_version = j.at("version").get<int>();
    if (c.schema_version != 1 && c.schema_version != 2) {
      error = "report schema version " + std::to_string(c.schema_version) +
              " is not supported (this brokerload reads versions 1 and 2)";
      return false;
    }
    c.brokerload_version = j.value("brokerload_version", "");
    c.generated_at = j.value("generated_at", "");
    c.mode = j.value("mode", "");
    if (j.contains("interrupted") && j.at("interrupted").is_string()) {
      c.interrupted = j.at("interrupted").get<std::string>();
    }
    c.warmup_seconds = j.value("warmup_seconds", 0.0);
    c.burst_interval_seconds = j.value("burst_interval_seconds", 0.0);
    c.burst_interval_auto = j.value("burst_interval_auto", false);
    // What the workload was (absent from older reports: left unknown, WorkloadDifference).
    c.keys = -1;
    c.key_skew = -1;
    if (j.contains("workload") && j.at("workload").is_object()) {
      const json& w = j.at("workload");
      c.topics = w.value("topics", 0);
      c.message_size = w.value("message_size", 0);
      c.message_size_max = w.value("message_size_max", c.message_size);
      c.message_sizes = w.value("message_sizes", "");
      c.keys = w.value("keys", -1);
      c.key_skew = w.value("key_skew", -1.0);
    }
    c.targets = j.at("targets").get<std::vector<std::string>>();
    c.stages = j.at("stages").get<std::vector<std::string>>();
    for (const json& r : j.at("results")) {
      StageResult s;
      s.target = r.at("target").get<std::string>();
      s.stage = r.at("stage").get<std::string>();
      s.offered_rate = r.at("offered_rate").get<double>();
      s.rate_estimable = !r.at("achieved_rate").is_null();
      s.achieved_rate = s.rate_estimable ? r.at("achieved_rate").get<double>() : 0;
      s.published = r.at("published").get<std::uint64_t>();
      s.consumed = r.at("consumed").get<std::uint64_t>();
      s.lost = r.at("lost").get<std::uint64_t>();
      s.publish_ms = Latency(r.at("publish_latency_ms"));
      s.end_to_end_ms = Latency(r.at("end_to_end_latency_ms"));
      s.behind_schedule = r.value("behind_schedule", false);
      c.results.push_back(std::move(s));
    }
    c.repetitions = j.value("repetitions", 1);
    if (j.contains("repeated")) {
      for (const json& r : j.at("repeated")) {
        c.repeated.push_back({r.at("target").get<std::string>(), r.at("stage").get<std::string>(),
                              Values(r.at("achieved_rate")), Values(r.at("end_to_end_p99_ms"))});
      }
    }
  } catch (const nlohmann::json::exception& e) {
    error = std::string("invalid report.json: ") + e.what();
    return false;
  }
  return true;
}

}  // namespace brokerload::report
