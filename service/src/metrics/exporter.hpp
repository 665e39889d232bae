#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "accounting/target_accounting.hpp"
#include "config/config.hpp"
#include "config/reload.hpp"
#include "driver/driver.hpp"
#include "metrics/target_health.hpp"
#include "metrics/windowed_quantiles.hpp"
#include "pacing/publisher.hpp"
#include "pacing/schedule.hpp"
#include "workers/pool.hpp"

// Turns brokerload's own counters and histograms into Prometheus metric families at scrape time.
// Nothing on the message path touches prometheus-cpp: scrapes read relaxed atomics and merge
// histogram snapshots. Counters are exported per target and topic; latency histograms per target
// only (the topics' snapshots merged at scrape time), which keeps the series count bounded with
// fine buckets. Exact quantiles over sliding windows (see WindowedQuantiles) are exported as
// gauges; Advance moves their windows. A target exports what its run.role measures: a
// produce-only target no consumer-side family (no lost, consumed or end-to-end series, rather than
// zeros that would read as "nothing lost"), a consume-only target no publisher-side family.
// Thread-safe: registration, Advance, RecordReload and scrapes take one mutex that nothing else
// takes.
namespace brokerload::metrics {

struct TargetView {
  std::string name;  // kafka | nats
  std::vector<std::string> topics;
  const accounting::TargetAccounting* accounting = nullptr;
  const driver::Health* health = nullptr;
  const pacing::Publisher* publisher = nullptr;  // its stage and rate: CurrentStagePlan()
  const pacing::PublisherThread* publisher_thread = nullptr;
  // Broker and client versions, as the producer described them at start (fixed for the run).
  std::string broker_version = {};
  std::string client_version = {};
  config::Role role = config::Role::kFull;
};

class Exporter final : public prometheus::Collectable {
 public:
  Exporter(std::string version, std::vector<double> latency_buckets_seconds);

  // A target being set up (connecting, creating topics, waiting for leaders, the probe): from the
  // first scrape on it exports brokerload_broker_connected (from `health`), its role, and
  // brokerload_target_healthy and the `connected` check at 0, so that a start that keeps failing
  // alerts. AddTarget of the same name replaces it. `health` must outlive the exporter's use of
  // it: until AddTarget, or until the caller stops serving scrapes.
  void AddStartingTarget(std::string name, const driver::Health* health, config::Role role);
  void AddTarget(TargetView target);
  void SetPool(const workers::Pool* pool);
  void SetReady(bool ready) { ready_.store(ready); }
  bool Ready() const { return ready_.load(); }

  // Counts one config reload attempt (brokerload_config_reloads_total{result}) and sets
  // brokerload_config_last_reload_successful; an applied one also moves
  // brokerload_config_loaded_timestamp_seconds to `at`.
  void RecordReload(config::ReloadResult result, std::chrono::system_clock::time_point at);

  // Closes the window intervals (kWindowIntervalNs) that ended by `now_ns` (the run clock). Call
  // it about once a second; it snapshots the histograms only when an interval ended.
  void Advance(std::int64_t now_ns);

  std::vector<prometheus::MetricFamily> Collect() const override;

  static constexpr std::int64_t kWindowIntervalNs = 10'000'000'000;
  static constexpr std::int64_t kLongestWindowNs = 300'000'000'000;

 private:
  // Windowed quantiles of one target's histograms: end-to-end, publish, send lag.
  struct Windows {
    WindowedQuantiles end_to_end{kWindowIntervalNs, kLongestWindowNs};
    WindowedQuantiles publish{kWindowIntervalNs, kLongestWindowNs};
    WindowedQuantiles send_lag{kWindowIntervalNs, kLongestWindowNs};
    TargetHealth health;  // fed by Advance, once a second
  };

  std::string version_;
  std::vector<double> buckets_;
  std::vector<std::int64_t> bounds_ns_;
  mutable std::mutex mutex_;
  double config_loaded_seconds_;                                     // mutex_
  std::array<std::uint64_t, config::kReloadResultCount> reloads_{};  // mutex_
  bool last_reload_successful_ = true;                               // mutex_
  struct StartingTarget {
    std::string name;
    const driver::Health* health;
    config::Role role;
  };
  std::vector<StartingTarget> starting_;  // mutex_
  std::vector<TargetView> targets_;
  std::vector<std::unique_ptr<Windows>> windows_;  // one per target, same order
  const workers::Pool* pool_ = nullptr;
  std::atomic<bool> ready_{false};
};

}  // namespace brokerload::metrics
