#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "metrics/process_stats.hpp"
#include "pacing/clock.hpp"
#include "report/results.hpp"

namespace brokerload::app {

// Samples brokerload's own memory, threads and CPU every 50 ms on a thread of its own while a
// target runs, so that each stage's window can be read afterwards. Over() may be called from any
// thread.
class ResourceSampler {
 public:
  explicit ResourceSampler(const pacing::Clock& clock);
  ~ResourceSampler();
  ResourceSampler(const ResourceSampler&) = delete;
  ResourceSampler& operator=(const ResourceSampler&) = delete;

  // Ends the sampling thread (one last sample); idempotent.
  void Stop();

  // brokerload's process over a stage's send window [from_ns, to_ns): memory and threads at its
  // start, peak and end; CPU until `cpu_to_ns` (the window plus the stage's drain). The end is the
  // window's, not the drain's: after the last stage's window the publisher thread stops and the
  // producer flushes, which is the run ending, not a stage leaking or freeing threads.
  report::ResourceSummary Over(std::int64_t from_ns, std::int64_t to_ns,
                               std::int64_t cpu_to_ns) const;

 private:
  struct Point {
    std::int64_t ns;
    metrics::ProcessStats stats;
  };
  void Sample();

  const pacing::Clock& clock_;
  mutable std::mutex mutex_;
  std::vector<Point> points_;
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: it reads the members above
};

}  // namespace brokerload::app
