#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

// The most negative end-to-end latency of one target over the last minute: a message received
// before its scheduled send time, which only clocks that disagree produce (a consume-only instance
// reading a producer on another host; docs/scaling.md). Such values are kept out of the latency
// histograms; this says how far off the clocks were.
//
// Window: as the exact window quantiles' `1m` (metrics::WindowedQuantiles): time is cut into
// kIntervalNs intervals from the first Advance on, and the window holds the last kClosedIntervals
// closed intervals plus the one in progress (1 min to 1 min 10 s). Advance closes the interval in
// progress once `now_ns` is past its end; when it missed whole intervals, what was noted since
// the last one it closed counts in the last interval closed, the skipped ones hold nothing.
//
// Threads: Note from the consumer thread that owns the topic (one CAS on the topic's own cache
// line, only for a negative latency: nothing is done for the others); Advance from one thread at a
// time (housekeeping, with TargetAccounting::Sweep); MostNegativeNs from any thread, lock-free.
namespace brokerload::accounting {

class NegativeLatencyWindow {
 public:
  static constexpr std::int64_t kIntervalNs = 10'000'000'000;
  static constexpr std::size_t kClosedIntervals = 6;

  explicit NegativeLatencyWindow(std::size_t topics);

  // `latency_ns` (< 0; others are ignored) seen on `topic` (< topics).
  void Note(std::size_t topic, std::int64_t latency_ns);
  // `now_ns`: one timeline that does not go back (a step back closes nothing).
  void Advance(std::int64_t now_ns);
  // The most negative latency in the window, in ns; 0 when none.
  std::int64_t MostNegativeNs() const;

 private:
  struct alignas(64) InProgress {
    std::atomic<std::int64_t> min_ns{0};
  };

  std::size_t topics_;
  std::unique_ptr<InProgress[]> in_progress_;                         // per topic
  std::array<std::atomic<std::int64_t>, kClosedIntervals> closed_{};  // [interval % kClosed...]
  std::optional<std::int64_t> interval_;  // the interval in progress (Advance's thread)
};

}  // namespace brokerload::accounting
