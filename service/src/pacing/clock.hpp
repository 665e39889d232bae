#pragma once

#include <chrono>
#include <cstdint>

namespace brokerload::pacing {

// Time on the run's timeline, in nanoseconds since the Unix epoch. Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t NowNs() const = 0;
};

// The wall-clock time at construction plus monotonic time elapsed since: comparable across
// processes (header timestamps), and never jumps during a run when the wall clock is stepped.
class RunClock final : public Clock {
 public:
  RunClock()
      : epoch_at_start_ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count()),
        steady_start_(std::chrono::steady_clock::now()) {}

  std::int64_t NowNs() const override {
    return epoch_at_start_ns_ + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::steady_clock::now() - steady_start_)
                                    .count();
  }

 private:
  std::int64_t epoch_at_start_ns_;
  std::chrono::steady_clock::time_point steady_start_;
};

}  // namespace brokerload::pacing
