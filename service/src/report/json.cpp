#include "report/json.hpp"

#include <nlohmann/json.hpp>

namespace brokerload::report {
namespace {

using nlohmann::json;

constexpr const char* kSchema = "brokerload.compare";

json Latency(const LatencySummary& l) {
  return {{"mean", l.mean}, {"p50", l.p50}, {"p90", l.p90},    {"p99", l.p99},
          {"p999", l.p999}, {"max", l.max}, {"count", l.count}};
}

LatencySummary Latency(const json& j) {
  LatencySummary l;
  l.mean = j.at("mean").get<double>();
  l.p50 = j.at("p50").get<double>();
  l.p90 = j.at("p90").get<double>();
  l.p99 = j.at("p99").get<double>();
  l.p999 = j.at("p999").get<double>();
  l.max = j.at("max").get<double>();
  l.count = j.at("count").get<std::uint64_t>();
  return l;
}

}  // namespace

std::string ToJson(const Comparison& c) {
  json results = json::array();
  for (const StageResult& r : c.results) {
    json curve = json::array();
    for (const auto& [q, ms] : r.end_to_end_curve) curve.push_back({q, ms});
    const ResourceSummary& m = r.resources;
    results.push_back({
        {"target", r.target},
        {"stage", r.stage},
        {"offered_rate", r.offered_rate},
        {"achieved_rate", r.achieved_rate},
        {"achieved_mb_per_s", r.achieved_mb_per_s},
        {"measured_seconds", r.measured_seconds},
        {"published", r.published},
        {"acked", r.acked},
        {"consumed", r.consumed},
        {"success_rate", r.SuccessRate()},
        {"lost", r.lost},
        {"duplicated", r.duplicated},
        {"out_of_order", r.out_of_order},
        {"publish_errors", r.publish_errors},
        {"dropped_sends", r.dropped_sends},
        {"publish_latency_ms", Latency(r.publish_ms)},
        {"end_to_end_latency_ms", Latency(r.end_to_end_ms)},
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
    });
  }
  const json document = {
      {"schema", kSchema},
      {"version", c.schema_version},
      {"brokerload_version", c.brokerload_version},
      {"generated_at", c.generated_at},
      {"mode", c.mode},
      {"warmup_seconds", c.warmup_seconds},
      {"workload",
       {{"topics", c.topics}, {"message_size", c.message_size}, {"workers", c.workers}}},
      {"targets", c.targets},
      {"stages", c.stages},
      {"results", results},
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
    if (c.schema_version != 1) {
      error = "report schema version " + std::to_string(c.schema_version) +
              " is not supported (this brokerload reads version 1)";
      return false;
    }
    c.brokerload_version = j.value("brokerload_version", "");
    c.generated_at = j.value("generated_at", "");
    c.mode = j.value("mode", "");
    c.warmup_seconds = j.value("warmup_seconds", 0.0);
    c.targets = j.at("targets").get<std::vector<std::string>>();
    c.stages = j.at("stages").get<std::vector<std::string>>();
    for (const json& r : j.at("results")) {
      StageResult s;
      s.target = r.at("target").get<std::string>();
      s.stage = r.at("stage").get<std::string>();
      s.offered_rate = r.at("offered_rate").get<double>();
      s.achieved_rate = r.at("achieved_rate").get<double>();
      s.published = r.at("published").get<std::uint64_t>();
      s.consumed = r.at("consumed").get<std::uint64_t>();
      s.lost = r.at("lost").get<std::uint64_t>();
      s.publish_ms = Latency(r.at("publish_latency_ms"));
      s.end_to_end_ms = Latency(r.at("end_to_end_latency_ms"));
      s.behind_schedule = r.value("behind_schedule", false);
      c.results.push_back(std::move(s));
    }
  } catch (const nlohmann::json::exception& e) {
    error = std::string("invalid report.json: ") + e.what();
    return false;
  }
  return true;
}

}  // namespace brokerload::report
