#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "accounting/target_accounting.hpp"
#include "driver/driver.hpp"
#include "pacing/publisher.hpp"
#include "pacing/schedule.hpp"
#include "workers/pool.hpp"

// Turns brokerload's own counters and histograms into Prometheus metric families at scrape time.
// Nothing on the message path touches prometheus-cpp: scrapes read relaxed atomics and merge
// histogram snapshots. Thread-safe: targets are registered under a mutex that only scrapes and
// registration take.
namespace brokerload::metrics {

struct TargetView {
  std::string name;  // kafka | nats
  std::vector<std::string> topics;
  const accounting::TargetAccounting* accounting = nullptr;
  const driver::Health* health = nullptr;
  const pacing::Schedule* schedule = nullptr;
  const pacing::Publisher* publisher = nullptr;
};

class Exporter final : public prometheus::Collectable {
 public:
  Exporter(std::string version, std::vector<double> latency_buckets_seconds);

  void AddTarget(TargetView target);
  void SetPool(const workers::Pool* pool);
  void SetReady(bool ready) { ready_.store(ready); }
  bool Ready() const { return ready_.load(); }

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::string version_;
  std::vector<double> buckets_;
  double config_loaded_seconds_;
  mutable std::mutex mutex_;
  std::vector<TargetView> targets_;
  const workers::Pool* pool_ = nullptr;
  std::atomic<bool> ready_{false};
};

}  // namespace brokerload::metrics
