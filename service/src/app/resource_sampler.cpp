#include "app/resource_sampler.hpp"

#include <algorithm>
#include <chrono>

#include "log/log.hpp"

namespace brokerload::app {

ResourceSampler::ResourceSampler(const pacing::Clock& clock) : clock_(clock) {
  Sample();
  thread_ = std::thread([this] {
    log::NameThread("sampler");
    while (!stop_.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      Sample();
    }
  });
}

ResourceSampler::~ResourceSampler() { Stop(); }

void ResourceSampler::Stop() {
  stop_.store(true);
  if (!thread_.joinable()) return;
  thread_.join();
  Sample();
}

report::ResourceSummary ResourceSampler::Over(std::int64_t from_ns, std::int64_t to_ns,
                                              std::int64_t cpu_to_ns) const {
  std::lock_guard lock(mutex_);
  report::ResourceSummary r;
  const Point* first = nullptr;
  const Point* last = nullptr;
  const Point* cpu_last = nullptr;
  for (const Point& p : points_) {
    if (p.ns < from_ns) first = &p;  // the last sample before the window is its start
    if (p.ns <= to_ns) last = &p;
    if (p.ns <= cpu_to_ns) cpu_last = &p;
  }
  if (first == nullptr) first = &points_.front();
  if (last == nullptr) last = &points_.back();
  if (cpu_last == nullptr) cpu_last = last;
  r.memory_initial_mb = static_cast<double>(first->stats.resident_bytes) / 1e6;
  r.memory_final_mb = static_cast<double>(last->stats.resident_bytes) / 1e6;
  r.threads_initial = static_cast<std::int64_t>(first->stats.threads);
  r.threads_final = static_cast<std::int64_t>(last->stats.threads);
  r.memory_peak_mb = std::max(r.memory_initial_mb, r.memory_final_mb);
  r.threads_peak = std::max(r.threads_initial, r.threads_final);
  for (const Point& p : points_) {
    if (p.ns < first->ns || p.ns > last->ns) continue;
    r.memory_peak_mb =
        std::max(r.memory_peak_mb, static_cast<double>(p.stats.resident_bytes) / 1e6);
    r.threads_peak = std::max(r.threads_peak, static_cast<std::int64_t>(p.stats.threads));
  }
  r.cpu_seconds = cpu_last->stats.cpu_seconds - first->stats.cpu_seconds;
  return r;
}

void ResourceSampler::Sample() {
  Point p{clock_.NowNs(), metrics::ReadProcessStats()};
  std::lock_guard lock(mutex_);
  points_.push_back(p);
}

}  // namespace brokerload::app
