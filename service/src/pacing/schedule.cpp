#include "pacing/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace brokerload::pacing {
namespace {

// Message k of a stage is due ceil(k / rate) after the stage starts, in whole nanoseconds.
std::int64_t Intended(double rate, std::uint64_t k) {
  return static_cast<std::int64_t>(
      std::ceil(static_cast<long double>(k) * 1e9L / static_cast<long double>(rate)));
}

// How many messages of a stage are due `since_ns` after its start: the k with Intended(k) <=
// since_ns. Estimated in floating point, then settled against Intended() itself, so that both
// agree exactly at every boundary.
std::uint64_t CountDue(double rate, std::int64_t since_ns) {
  if (since_ns < 0) return 0;
  auto k = static_cast<std::uint64_t>(static_cast<long double>(since_ns) *
                                      static_cast<long double>(rate) / 1e9L);
  while (Intended(rate, k + 1) <= since_ns) ++k;
  while (k > 0 && Intended(rate, k) > since_ns) --k;
  return k + 1;
}

}  // namespace

std::int64_t AutoBurstIntervalNs(double rate) {
  if (!(rate > 0)) return 0;
  const double interval_ns =
      std::min(kAutoBurstMessages * 1e9 / rate, static_cast<double>(kAutoBurstLongestNs));
  if (rate * interval_ns / 1e9 < 2 || interval_ns < static_cast<double>(kAutoBurstShortestNs))
    return 0;
  return static_cast<std::int64_t>(interval_ns);
}

Schedule::Schedule(const config::Profile& profile, std::int64_t warmup_ns)
    : repeat_(profile.repeat), unpaced_window_(profile.max_in_flight) {
  const auto burst_ns = [&profile](double rate) -> std::int64_t {
    if (profile.max_in_flight) return 0;
    return profile.burst_auto ? AutoBurstIntervalNs(rate) : profile.burst_interval.count();
  };
  std::uint64_t first = 0;
  std::int64_t start = 0;
  for (const config::Stage& stage : profile.stages) {
    StagePlan plan;
    plan.name = stage.name;
    plan.rate = stage.rate;
    plan.first_message = first;
    plan.start_ns = start;
    plan.burst_ns = burst_ns(stage.rate);
    bursts_ = bursts_ || plan.burst_ns > 0;
    if (stage.messages) {
      plan.messages = *stage.messages;
      plan.duration_ns = Intended(stage.rate, plan.messages);
    } else if (stage.duration) {
      plan.duration_ns = stage.duration->count();
      plan.messages = CountDue(stage.rate, plan.duration_ns - 1);  // due before it ends
    } else {
      bounded_ = false;
    }
    cycle_.push_back(plan);
    if (!bounded_) break;  // a stage without end is the last one that can run
    first += plan.messages;
    start += plan.duration_ns;
  }
  cycle_messages_ = first;
  cycle_ns_ = start;
  if (cycle_messages_ == 0) bounded_ = bounded_ && !cycle_.empty();
  if (warmup_ns > 0 && !cycle_.empty()) {
    prefix_rate_ = cycle_.front().rate;
    prefix_ns_ = warmup_ns;
    prefix_messages_ = CountDue(prefix_rate_, warmup_ns - 1);
    stages_.push_back(
        {"warmup", prefix_rate_, prefix_messages_, 0, 0, warmup_ns, burst_ns(prefix_rate_)});
    bursts_ = bursts_ || stages_.back().burst_ns > 0;
  }
  for (StagePlan plan : cycle_) {
    plan.first_message += prefix_messages_;
    plan.start_ns += prefix_ns_;
    stages_.push_back(plan);
  }
}

std::uint64_t Schedule::DueAt(std::int64_t elapsed_ns) const {
  if (!bursts_ || elapsed_ns < 0) return EvenDueAt(elapsed_ns);
  // Due: every message whose even offset is before the end of the burst interval in progress.
  const Span stage = StageSpanAt(elapsed_ns);
  if (stage.burst_ns <= 0) return EvenDueAt(elapsed_ns);
  const std::int64_t burst_start =
      stage.start + (elapsed_ns - stage.start) / stage.burst_ns * stage.burst_ns;
  const std::int64_t burst_end =
      burst_start > std::numeric_limits<std::int64_t>::max() - stage.burst_ns
          ? std::numeric_limits<std::int64_t>::max()
          : burst_start + stage.burst_ns;
  return EvenDueAt(std::min(burst_end, stage.end) - 1);
}

std::int64_t Schedule::IntendedOffsetNs(std::uint64_t n) const {
  const std::int64_t even = EvenOffsetNs(n);
  if (!bursts_) return even;
  const Span stage = StageSpanAt(even);
  if (stage.burst_ns <= 0) return even;
  return stage.start + (even - stage.start) / stage.burst_ns * stage.burst_ns;
}

Schedule::Span Schedule::StageSpanAt(std::int64_t elapsed_ns) const {
  constexpr std::int64_t kEnd = std::numeric_limits<std::int64_t>::max();
  if (elapsed_ns < prefix_ns_) return {0, prefix_ns_, stages_.front().burst_ns};
  std::int64_t base = prefix_ns_;
  std::int64_t in_cycle = elapsed_ns - prefix_ns_;
  if (bounded_ && cycle_ns_ > 0) {
    if (!repeat_ && in_cycle >= cycle_ns_) return {prefix_ns_ + cycle_ns_, kEnd, 0};
    if (repeat_) {
      base += in_cycle / cycle_ns_ * cycle_ns_;
      in_cycle %= cycle_ns_;
    }
  }
  Span span{base, bounded_ && cycle_ns_ > 0 ? base + cycle_ns_ : kEnd, 0};
  for (const StagePlan& stage : cycle_) {
    if (in_cycle < stage.start_ns) {
      span.end = base + stage.start_ns;
      break;
    }
    span.start = base + stage.start_ns;
    span.burst_ns = stage.burst_ns;
  }
  return span;
}

std::uint64_t Schedule::EvenDueAt(std::int64_t elapsed_ns) const {
  if (elapsed_ns < prefix_ns_) {
    return elapsed_ns < 0 ? 0 : std::min(CountDue(prefix_rate_, elapsed_ns), prefix_messages_);
  }
  return prefix_messages_ + CycleDueAt(elapsed_ns - prefix_ns_);
}

std::size_t Schedule::StageOf(std::uint64_t n) const {
  if (n < prefix_messages_) return 0;
  return (prefix_ns_ > 0 ? 1 : 0) + CycleStageOf(n - prefix_messages_);
}

std::int64_t Schedule::EvenOffsetNs(std::uint64_t n) const {
  if (n < prefix_messages_) return Intended(prefix_rate_, n);
  return prefix_ns_ + CycleOffsetNs(n - prefix_messages_);
}

std::uint64_t Schedule::CycleDueAt(std::int64_t elapsed_ns) const {
  if (elapsed_ns < 0 || cycle_.empty()) return 0;
  std::uint64_t base = 0;
  if (bounded_ && cycle_ns_ > 0) {
    if (!repeat_ && elapsed_ns >= cycle_ns_) return cycle_messages_;
    if (repeat_) {
      base = static_cast<std::uint64_t>(elapsed_ns / cycle_ns_) * cycle_messages_;
      elapsed_ns %= cycle_ns_;
    }
  }
  std::uint64_t due = 0;
  for (const StagePlan& stage : cycle_) {
    if (elapsed_ns < stage.start_ns) break;
    due = stage.first_message +
          std::min(CountDue(stage.rate, elapsed_ns - stage.start_ns), stage.messages);
  }
  return base + due;
}

std::uint64_t Schedule::LocalIndex(std::uint64_t n, std::uint64_t& cycle) const {
  cycle = 0;
  if (bounded_ && repeat_ && cycle_messages_ > 0) {
    cycle = n / cycle_messages_;
    return n % cycle_messages_;
  }
  return n;
}

std::size_t Schedule::CycleStageOf(std::uint64_t n) const {
  std::uint64_t cycle = 0;
  const std::uint64_t local = LocalIndex(n, cycle);
  for (std::size_t i = 0; i < cycle_.size(); ++i) {
    const StagePlan& stage = cycle_[i];
    if (stage.messages == kUnbounded || local < stage.first_message + stage.messages) return i;
  }
  return cycle_.empty() ? 0 : cycle_.size() - 1;
}

std::int64_t Schedule::CycleOffsetNs(std::uint64_t n) const {
  std::uint64_t cycle = 0;
  const std::uint64_t local = LocalIndex(n, cycle);
  const StagePlan& stage = cycle_[CycleStageOf(n)];
  return static_cast<std::int64_t>(cycle) * cycle_ns_ + stage.start_ns +
         Intended(stage.rate, local - stage.first_message);
}

std::optional<std::uint64_t> Schedule::TotalMessages() const {
  if (!bounded_ || repeat_) return std::nullopt;
  return prefix_messages_ + cycle_messages_;
}

std::optional<std::int64_t> Schedule::TotalDurationNs() const {
  if (!bounded_ || repeat_) return std::nullopt;
  return prefix_ns_ + cycle_ns_;
}

}  // namespace brokerload::pacing
