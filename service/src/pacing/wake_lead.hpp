#pragma once

#include <algorithm>
#include <cstdint>

namespace brokerload::pacing {

// How early to end a sleep before a due time so that the kernel's wake-up latency is spent
// before it rather than after: the thread sleeps until `due - LeadNs()` and spins the rest.
// The lead follows the upper quartile of how late recent sleeps ended (what the machine's wake-up
// latency is: docs/benchmarks.md, "Send precision"), so about a quarter of wakes are still a
// little late and the rest spin for a few microseconds. It is bounded by kMaxLeadNs and by a
// quarter of the sleep, so that at high rates spinning never takes more than a quarter of the
// thread's time (the cores may be shared with the brokers being measured). All times in
// nanoseconds. Pure, never blocks; not thread-safe: the publisher thread owns one.
class WakeLead {
 public:
  static constexpr std::int64_t kMaxLeadNs = 100'000;
  static constexpr std::int64_t kStepNs = 1'000;  // per observation: up 3 steps, down 1

  // The lead for a sleep of `sleep_ns`.
  std::int64_t LeadNs(std::int64_t sleep_ns) const {
    return std::clamp(std::min(estimate_ns_, sleep_ns / 4), std::int64_t{0}, kMaxLeadNs);
  }

  // Records how late a sleep ended past the time it asked for (negative: early).
  void Observe(std::int64_t oversleep_ns) {
    // Stochastic quantile tracking: at equilibrium P(late) * 3 = P(early) * 1, so P(late) = 1/4.
    estimate_ns_ += oversleep_ns > estimate_ns_ ? 3 * kStepNs : -kStepNs;
    estimate_ns_ = std::clamp(estimate_ns_, std::int64_t{0}, kMaxLeadNs);
  }

  std::int64_t EstimateNs() const { return estimate_ns_; }

 private:
  std::int64_t estimate_ns_ = 0;
};

}  // namespace brokerload::pacing
