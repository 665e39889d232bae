#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "driver/driver.hpp"
#include "metrics/views.hpp"

// Turns brokerload's own counters and histograms into Prometheus metric families at scrape time.
// Nothing on the message path touches prometheus-cpp: scrapes read relaxed atomics and merge
// histogram snapshots. Counters are exported per target and topic; latency histograms per target
// only (the topics' snapshots merged at scrape time), which keeps the series count bounded with
// fine buckets. Exact quantiles over sliding windows (see WindowedQuantiles) are exported as
// gauges; Advance moves their windows. A target exports what its run.role measures: a
// produce-only target no consumer-side family (no lost, consumed or end-to-end series, rather than
// zeros that would read as "nothing lost"), a consume-only target no publisher-side family.
// The families are the catalogue's (catalogue.hpp); label sets are resolved when a target is
// added, so that a scrape only copies them.
// Thread-safe: registration, Advance, RecordReload and scrapes take one mutex that nothing else
// takes.
namespace brokerload::metrics {

struct LatencyBuckets;
struct RunState;
struct StartingTarget;
struct TargetState;

class Exporter final : public prometheus::Collectable {
 public:
  // `latency_buckets_seconds`: the target histograms' bounds; the per-broker histograms take every
  // second one of them.
  Exporter(std::string version, const std::vector<double>& latency_buckets_seconds);
  ~Exporter() override;
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  // A target being set up (connecting, creating topics, waiting for leaders, the probe): from the
  // first scrape on it exports brokerload_broker_connected (from `health`), its role, and
  // brokerload_target_healthy and the `connected` check at 0, so that a start that keeps failing
  // alerts. AddTarget of the same name replaces it. `health` must outlive the exporter's use of
  // it: until AddTarget, or until the caller stops serving scrapes.
  void AddStartingTarget(std::string name, const driver::Health* health, config::Role role);
  void AddTarget(TargetView target);
  // brokerload_worker_queue_depth; 0 until set. The probe must outlive the exporter's use of it.
  void SetQueueDepth(QueueDepthProbe depth);
  void SetReady(bool ready) { ready_.store(ready); }
  bool Ready() const { return ready_.load(); }

  // Counts one config reload attempt (brokerload_config_reloads_total{result}) and sets
  // brokerload_config_last_reload_successful; an applied one also moves
  // brokerload_config_loaded_timestamp_seconds to `at`.
  void RecordReload(ReloadOutcome outcome, std::chrono::system_clock::time_point at);

  // Closes the window intervals (kWindowIntervalNs) that ended by `now_ns` (the run clock). Call
  // it about once a second; it snapshots the histograms only when an interval ended.
  void Advance(std::int64_t now_ns);

  std::vector<prometheus::MetricFamily> Collect() const override;

  static constexpr std::int64_t kWindowIntervalNs = 10'000'000'000;
  static constexpr std::int64_t kLongestWindowNs = 300'000'000'000;

 private:
  const std::unique_ptr<const LatencyBuckets> buckets_;
  mutable std::mutex mutex_;
  std::unique_ptr<RunState> run_;                          // mutex_
  std::vector<std::unique_ptr<StartingTarget>> starting_;  // mutex_
  std::vector<std::unique_ptr<TargetState>> targets_;      // mutex_
  QueueDepthProbe queue_depth_;                            // mutex_
  std::atomic<bool> ready_{false};
};

}  // namespace brokerload::metrics
