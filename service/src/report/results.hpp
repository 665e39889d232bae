#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

// The figures of a comparison: one StageResult per (target, stage). Plain data, filled by the
// compare runner, read by the report writers and the baseline check.
namespace brokerload::report {

struct LatencySummary {  // milliseconds
  double mean = 0;
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double p999 = 0;
  double max = 0;
  std::uint64_t count = 0;
};

struct ResourceSummary {  // brokerload's own process, sampled during the stage
  double memory_initial_mb = 0;
  double memory_peak_mb = 0;
  double memory_final_mb = 0;
  std::int64_t threads_initial = 0;
  std::int64_t threads_peak = 0;
  std::int64_t threads_final = 0;
  double cpu_seconds = 0;

  double MemoryDeltaMb() const { return memory_final_mb - memory_initial_mb; }
  std::int64_t ThreadsLeaked() const { return threads_final - threads_initial; }
};

struct StageResult {
  std::string target;  // kafka | nats
  std::string stage;
  double offered_rate = 0;   // msg/s the stage asked for
  double achieved_rate = 0;  // msg/s consumed over the measured window
  double achieved_mb_per_s = 0;
  double measured_seconds = 0;
  std::uint64_t published = 0;  // measured window (warm-up excluded)
  std::uint64_t acked = 0;
  std::uint64_t consumed = 0;
  std::uint64_t lost = 0;  // whole stage, warm-up included
  std::uint64_t duplicated = 0;
  std::uint64_t out_of_order = 0;
  std::uint64_t publish_errors = 0;
  std::uint64_t dropped_sends = 0;
  LatencySummary publish_ms;
  LatencySummary end_to_end_ms;
  double send_lag_p99_ms = 0;
  std::vector<std::pair<double, double>> end_to_end_curve;  // (quantile, ms)
  ResourceSummary resources;
  double cpu_us_per_message = 0;
  bool behind_schedule = false;  // the figures are brokerload's limit, not the broker's
  std::string behind_reason;

  // Consumed as a share of published, in percent (100 when nothing was published).
  double SuccessRate() const {
    return published == 0 ? 100.0
                          : 100.0 * static_cast<double>(consumed) / static_cast<double>(published);
  }
};

struct Comparison {
  int schema_version = 1;
  std::string brokerload_version;
  std::string generated_at;  // ISO 8601, UTC
  std::string mode;          // sequential | side-by-side
  double warmup_seconds = 0;
  int topics = 0;
  int message_size = 0;
  int workers = 0;
  std::vector<std::string> targets;  // in run order
  std::vector<std::string> stages;   // in run order
  std::vector<StageResult> results;

  const StageResult* Find(const std::string& target, const std::string& stage) const;
};

}  // namespace brokerload::report
