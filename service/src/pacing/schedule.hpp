#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

// The open-loop schedule: message n of the run is due at a fixed offset from the start, computed
// from the profile alone (message k of a stage at stage start + k / rate), so sending never
// drifts whatever happened before. An optional warm-up comes first, at the first stage's rate,
// as a stage named "warmup" that a repeating profile does not repeat. With a burst interval I
// (profile.burst_interval, or with `auto` each stage's AutoBurstIntervalNs of its rate), each
// message is due at the start of the interval of its stage ([start + jI, start + (j+1)I), cut at
// the stage's end) that its even offset falls in: the same messages per stage, in bursts.
// Pure and immutable: thread-safe.
namespace brokerload::pacing {

inline constexpr std::uint64_t kUnbounded = std::numeric_limits<std::uint64_t>::max();

// profile.burst_interval: auto. A stage at `rate` sends a burst every
// min(kAutoBurstMessages / rate, kAutoBurstLongestNs): at most 100 messages a burst (what each
// client sends within a tick on a quiet machine: Kafka about 140 us, JetStream 0.2-0.7 ms) and at
// most 40 ms between bursts; 0 (each message at its own time) where fewer than two messages would
// share a burst (below 50 msg/s) or the interval would be shorter than an explicit one may be
// (100 us: above 1,000,000 msg/s). Chosen by measurement: docs/benchmarks.md, "Bursts".
inline constexpr double kAutoBurstMessages = 100;
inline constexpr std::int64_t kAutoBurstLongestNs = 40'000'000;
inline constexpr std::int64_t kAutoBurstShortestNs = 100'000;
std::int64_t AutoBurstIntervalNs(double rate);

struct StagePlan {
  std::string name;
  double rate = 0;                      // messages per second
  std::uint64_t messages = kUnbounded;  // in this stage
  std::uint64_t first_message = 0;      // index of its first message within a cycle
  std::int64_t start_ns = 0;            // offset of its start within a cycle
  std::int64_t duration_ns = std::numeric_limits<std::int64_t>::max();
  std::int64_t burst_ns = 0;  // its burst interval; 0: each message at its own time
};

class Schedule {
 public:
  explicit Schedule(const config::Profile& profile, std::int64_t warmup_ns = 0);

  // How many messages are due by `elapsed_ns` after the start (message 0 is due at 0).
  std::uint64_t DueAt(std::int64_t elapsed_ns) const;
  // Offset from the start at which message n is due.
  std::int64_t IntendedOffsetNs(std::uint64_t n) const;
  // Offset at which message n would be due without bursts (its place in the steady schedule,
  // which a burst covers up to its end); IntendedOffsetNs without bursts.
  std::int64_t EvenOffsetNs(std::uint64_t n) const;
  // How many messages a schedule cut at `elapsed_ns` (a reload's switch) sends: those whose even
  // offset is before it. Without bursts DueAt(elapsed_ns - 1); with them, a burst that straddles
  // the cut sends only its messages before it.
  std::uint64_t CutAt(std::int64_t elapsed_ns) const { return EvenDueAt(elapsed_ns - 1); }
  // Index in Stages() of the stage that message n belongs to (the warm-up, if any, is 0).
  std::size_t StageOf(std::uint64_t n) const;
  // Messages in the whole run, warm-up included; nullopt when it never ends.
  std::optional<std::uint64_t> TotalMessages() const;
  // Length of the whole run; nullopt when it never ends.
  std::optional<std::int64_t> TotalDurationNs() const;

  // The warm-up (if any) then the profile's stages, with offsets from the start of the run (of
  // the first cycle, for a repeating profile).
  const std::vector<StagePlan>& Stages() const { return stages_; }
  bool HasWarmup() const { return prefix_ns_ > 0; }
  // `rate: max`: no due times; the publisher sends while fewer than this many messages are in
  // flight (Publisher::Step), and DueAt/IntendedOffsetNs/StageOf do not apply.
  std::optional<std::uint64_t> UnpacedWindow() const { return unpaced_window_; }
  std::int64_t WarmupNs() const { return prefix_ns_; }

 private:
  // Without bursts: message n at its even offset.
  std::uint64_t EvenDueAt(std::int64_t elapsed_ns) const;
  struct Span {
    std::int64_t start = 0;
    std::int64_t end = 0;
    std::int64_t burst_ns = 0;
  };
  // The start, end and burst interval of the stage in progress `elapsed_ns` (>= 0) after the
  // start of the run; after a bounded profile's end, that end, the largest offset and no bursts.
  Span StageSpanAt(std::int64_t elapsed_ns) const;
  // The profile's own cycle, without the warm-up.
  std::uint64_t CycleDueAt(std::int64_t elapsed_ns) const;
  std::size_t CycleStageOf(std::uint64_t n) const;
  std::int64_t CycleOffsetNs(std::uint64_t n) const;
  std::uint64_t LocalIndex(std::uint64_t n, std::uint64_t& cycle) const;

  std::vector<StagePlan> cycle_;
  std::vector<StagePlan> stages_;
  double prefix_rate_ = 0;
  std::uint64_t prefix_messages_ = 0;
  std::int64_t prefix_ns_ = 0;
  bool repeat_ = false;
  std::optional<std::uint64_t> unpaced_window_;
  bool bounded_ = true;  // every stage ends
  std::uint64_t cycle_messages_ = 0;
  std::int64_t cycle_ns_ = 0;
  bool bursts_ = false;  // some stage has a burst interval
};

}  // namespace brokerload::pacing
