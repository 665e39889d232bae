#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

// The figures of a comparison: one StageResult per (target, stage). Plain data, filled by the
// compare runner, read by the report writers and the baseline check.
namespace brokerload::report {

// How many samples a quantile needs before a report shows it: at least 10 beyond it, so
// count >= 10 / (1 - q): p50 20, p90 100, p99 1,000, p99.9 10,000. The maximum is shown under
// the p99.9 rule (a maximum of fewer samples says little about the tail).
std::uint64_t MinSamples(double q);

struct LatencySummary {  // milliseconds
  bool Supports(double q) const { return count >= MinSamples(q); }
  bool SupportsMax() const { return Supports(0.999); }

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
  // Every count below is of the stage's own messages (those scheduled within its send window),
  // so the warm-up is in none of them.
  double offered_rate = 0;  // msg/s the stage asked for
  // Distinct messages of the stage received within its send window / that window; only when
  // rate_estimable (the window is at least 1 s and 10x the stage's e2e p99, so messages still in
  // flight at its end cannot weigh more than a tenth).
  double achieved_rate = 0;
  bool rate_estimable = true;
  double achieved_mb_per_s = 0;
  double window_seconds = 0;  // the stage's send window
  double drain_seconds = 0;   // from the window's end to the stage's last first arrival
  std::uint64_t published = 0;
  std::uint64_t acked = 0;
  std::uint64_t consumed = 0;  // distinct messages received, late ones included
  std::uint64_t consumed_in_window = 0;
  std::uint64_t lost = 0;
  std::uint64_t unconfirmed = 0;  // never acknowledged nor received by the end of the drain
  std::uint64_t duplicated = 0;   // a second copy in the broker (new offset / stream sequence)
  std::uint64_t redelivered = 0;  // read again from a place already read (at-least-once)
  std::uint64_t delivered_after_error = 0;
  std::uint64_t arrived_late = 0;  // after having been counted lost
  std::uint64_t out_of_order = 0;
  std::uint64_t publish_errors = 0;
  std::uint64_t dropped_sends = 0;      // brokerload over max_send_lag behind
  std::uint64_t dropped_by_client = 0;  // discarded inside brokerload's client library
  LatencySummary publish_ms;
  LatencySummary end_to_end_ms;  // from the scheduled send: what a user of the broker waits
  // From the actual send: the broker's part alone; the gap to end_to_end_ms is brokerload's
  // lateness (send lag).
  LatencySummary end_to_end_from_send_ms;
  std::uint64_t late_sends = 0;  // sent more than two ticks after their scheduled time
  double send_lag_p50_ms = 0;
  double send_lag_p99_ms = 0;
  // Steady: e2e p99 of the window's first tenth at most 3x that of its last tenth (checked when
  // both tenths have the samples for a p99).
  bool steady = true;
  double first_tenth_p99_ms = 0;
  double last_tenth_p99_ms = 0;
  std::vector<std::pair<double, double>> end_to_end_curve;  // (quantile, ms)
  ResourceSummary resources;
  double cpu_us_per_message = 0;
  // The figures are brokerload's limit, not the broker's: any send dropped, or more than 1 % of
  // the stage's sends late (the definition of the log's "behind schedule" line too).
  bool behind_schedule = false;
  std::string behind_reason;

  // Consumed as a share of published, in percent (100 when nothing was published).
  double SuccessRate() const {
    return published == 0 ? 100.0
                          : 100.0 * static_cast<double>(consumed) / static_cast<double>(published);
  }
};

// What was compared on one target, and how long it took to be ready.
struct TargetInfo {
  std::string name;
  std::string broker_version;
  std::string client_version;
  std::vector<std::pair<std::string, std::string>> settings;
  std::string durability;
  double setup_seconds = 0;  // connect, topics/streams, leaders, subscriptions
  double probe_seconds = 0;  // probe round trip on every partition
  double warmup_seconds = 0;
  // Who led the run's partitions (Kafka) or streams (JetStream) when sending stopped, as last
  // asked: how many each broker (server) led, zeros included; empty when never known.
  std::string leader_kind;  // "broker" | "server"
  std::vector<std::pair<std::string, std::uint32_t>> leads;
  std::string leads_warning;  // names the brokers that led none, with the remedy; "" when none
};

// One target over all its stages: the stages' histograms pooled (percentiles of the union, never
// averages of percentiles), throughput as all windows' in-window receipts over their total length.
struct Overall {
  std::string target;
  double achieved_rate = 0;
  bool rate_estimable = true;
  LatencySummary publish_ms;
  LatencySummary end_to_end_ms;
  double success_rate = 0;
  double memory_delta_mb = 0;  // mean over stages
  double cpu_us_per_message = 0;
  // The bytes brokerload's messages made (header included: bytes_published) and the bytes its
  // producers' clients sent to the brokers (after the client's compression, with the protocol's
  // framing and headers), over the whole run, warm-up included; wire_bytes < 0 where the client
  // cannot tell (driver::Producer::SentBytes).
  double offered_bytes = 0;
  double wire_bytes = -1;
  int stages_behind = 0;      // stages where brokerload fell behind its schedule
  int stages_not_steady = 0;  // stages whose latency was still settling
};

// One (target, stage)'s figures in each repetition of a comparison (compare --repeat), in run
// order; NaN where that repetition could not support the figure (see StageResult).
struct Repeated {
  std::string target;
  std::string stage;
  std::vector<double> achieved_rate;
  std::vector<double> end_to_end_p99_ms;
};

// A figure judged against a baseline (report/baseline.hpp says how).
enum class Change { kWithinNoise, kRegression, kImprovement };
struct Verdict {
  std::string target;
  std::string stage;
  std::string metric;            // "throughput" | "p99 end-to-end latency"
  std::vector<double> baseline;  // the values judged, one a repetition
  std::vector<double> current;
  double baseline_median = 0;
  double current_median = 0;
  bool noise_measured = false;  // both sides had 3 or more values: the rank test decided
  double p_worse = 1;           // the rank test's one-sided p-values (1 when not tested)
  double p_better = 1;
  Change change = Change::kWithinNoise;

  std::string ToString() const;
};

struct Comparison {
  int schema_version = 2;
  std::string brokerload_version;
  std::string generated_at;  // ISO 8601, UTC
  std::string mode;          // sequential | side-by-side
  // Empty when every stage ran; else how it was stopped ("by signal 2 (nats in stage high)"):
  // stages not begun are absent, the one under way covers its window until the signal.
  std::string interrupted;
  double warmup_seconds = 0;
  double burst_interval_seconds = 0;  // profile.burst_interval; 0: each message at its own time
  bool burst_interval_auto = false;   // profile.burst_interval: auto (each stage's from its rate)
  int topics = 0;
  int message_size = 0;      // workload.message_size: the smallest, header included
  int message_size_max = 0;  // the largest
  double message_size_mean = 0;
  std::string message_sizes;  // as the report names them: "256-byte messages"
  int keys = 0;               // workload.keys; 0: none
  double key_skew = 0;        // workload.key_skew; 0: the keys in turn
  int workers = 0;
  std::vector<std::string> targets;  // in run order
  std::vector<std::string> stages;   // in run order
  std::vector<StageResult> results;
  std::vector<TargetInfo> target_info;  // in run order
  std::vector<Overall> overall;         // in run order
  // compare --repeat: how many times every stage ran, and each one's figures; the tables above
  // (results, overall) are the first repetition's.
  int repetitions = 1;
  std::vector<Repeated> repeated;
  std::string baseline;  // with --baseline: its path, and each figure's verdict
  std::vector<Verdict> verdicts;
  const Repeated* RepeatedOf(const std::string& target, const std::string& stage) const;

  const TargetInfo* Info(const std::string& target) const;
  const Overall* OverallOf(const std::string& target) const;

  const StageResult* Find(const std::string& target, const std::string& stage) const;
};

}  // namespace brokerload::report
