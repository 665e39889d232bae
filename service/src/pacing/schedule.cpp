#include "pacing/schedule.hpp"

#include <algorithm>
#include <cmath>

namespace brokerload::pacing {
namespace {

// Absorbs floating-point error so that a message is due exactly at its intended offset.
constexpr long double kEpsilon = 1e-9L;

}  // namespace

Schedule::Schedule(const config::Profile& profile) : repeat_(profile.repeat) {
  std::uint64_t first = 0;
  std::int64_t start = 0;
  for (const config::Stage& stage : profile.stages) {
    StagePlan plan;
    plan.name = stage.name;
    plan.rate = stage.rate;
    plan.first_message = first;
    plan.start_ns = start;
    const long double rate = stage.rate;
    if (stage.messages) {
      plan.messages = *stage.messages;
      plan.duration_ns = static_cast<std::int64_t>(
          std::ceil(static_cast<long double>(plan.messages) * 1e9L / rate));
    } else if (stage.duration) {
      plan.duration_ns = stage.duration->count();
      plan.messages = static_cast<std::uint64_t>(
          std::ceil(static_cast<long double>(plan.duration_ns) * rate / 1e9L - kEpsilon));
    } else {
      bounded_ = false;
    }
    stages_.push_back(plan);
    if (!bounded_) break;  // a stage without end is the last one that can run
    first += plan.messages;
    start += plan.duration_ns;
  }
  cycle_messages_ = first;
  cycle_ns_ = start;
  if (cycle_messages_ == 0) bounded_ = bounded_ && !stages_.empty();
}

std::uint64_t Schedule::DueAt(std::int64_t elapsed_ns) const {
  if (elapsed_ns < 0 || stages_.empty()) return 0;
  std::uint64_t base = 0;
  if (bounded_ && cycle_ns_ > 0) {
    if (!repeat_ && elapsed_ns >= cycle_ns_) return cycle_messages_;
    if (repeat_) {
      base = static_cast<std::uint64_t>(elapsed_ns / cycle_ns_) * cycle_messages_;
      elapsed_ns %= cycle_ns_;
    }
  }
  std::uint64_t due = 0;
  for (const StagePlan& stage : stages_) {
    if (elapsed_ns < stage.start_ns) break;
    const long double since = static_cast<long double>(elapsed_ns - stage.start_ns);
    const auto in_stage =
        static_cast<std::uint64_t>(std::floor(since * stage.rate / 1e9L + kEpsilon)) + 1;
    due = stage.first_message + std::min(in_stage, stage.messages);
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

std::size_t Schedule::StageOf(std::uint64_t n) const {
  std::uint64_t cycle = 0;
  const std::uint64_t local = LocalIndex(n, cycle);
  for (std::size_t i = 0; i < stages_.size(); ++i) {
    const StagePlan& stage = stages_[i];
    if (stage.messages == kUnbounded || local < stage.first_message + stage.messages) return i;
  }
  return stages_.empty() ? 0 : stages_.size() - 1;
}

std::int64_t Schedule::IntendedOffsetNs(std::uint64_t n) const {
  std::uint64_t cycle = 0;
  const std::uint64_t local = LocalIndex(n, cycle);
  const StagePlan& stage = stages_[StageOf(n)];
  const auto k = static_cast<long double>(local - stage.first_message);
  return static_cast<std::int64_t>(cycle) * cycle_ns_ + stage.start_ns +
         static_cast<std::int64_t>(std::ceil(k * 1e9L / stage.rate - kEpsilon));
}

std::optional<std::uint64_t> Schedule::TotalMessages() const {
  if (!bounded_ || repeat_) return std::nullopt;
  return cycle_messages_;
}

std::optional<std::int64_t> Schedule::TotalDurationNs() const {
  if (!bounded_ || repeat_) return std::nullopt;
  return cycle_ns_;
}

}  // namespace brokerload::pacing
