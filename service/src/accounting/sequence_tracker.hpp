#pragma once

#include <cstdint>
#include <vector>

// Tracks which sequence numbers of one stream (run, producer, topic) have arrived, to tell new
// arrivals from duplicates, late arrivals and losses by identity. Remembers the last `window`
// sequence numbers; what is older cannot be told apart and is reported as such, never guessed.
// Not thread-safe: the owner serialises calls. No allocation after construction, except that
// the caller's `lost` vector may grow (callers reuse one).
namespace brokerload::accounting {

// Sequences [first, end) declared lost by one call.
struct SequenceRange {
  std::uint64_t first = 0;
  std::uint64_t end = 0;
};

class SequenceTracker {
 public:
  enum class Outcome {
    kNew,         // first arrival
    kDuplicate,   // received before, within the window
    kAfterError,  // its publish had failed (e.g. timed out) yet it was stored: not a duplicate
    kAfterDeclaredLost,  // arrived after it had been declared lost: late
    kOlderThanWindow,    // below the window: late or duplicate, no longer known which
    kBeforeStart,        // first arrival below where tracking started (Restart): not a gap
  };

  static constexpr std::uint64_t kDefaultWindow = std::uint64_t{1} << 20;
  // The memory a tracker of `window` sequences holds: two bits per sequence.
  static constexpr std::uint64_t BytesFor(std::uint64_t window) {
    return 2 * ((window + 63) / 64) * 8;
  }

  // `window` is rounded up to a multiple of 64.
  explicit SequenceTracker(std::uint64_t window = kDefaultWindow);

  // Records an arrival. Appends to `lost` the gaps that the window had to slide past.
  Outcome Observe(std::uint64_t sequence, std::vector<SequenceRange>& lost);

  // The publish of `sequence` failed: its gap is expected, never a loss, and should it arrive
  // after all it is kAfterError. A sequence already received stays received: true then (also
  // below the floor, where nothing is declared lost before its publish could fail). Appends to
  // `lost` as Observe does.
  bool MarkNotSent(std::uint64_t sequence, std::vector<SequenceRange>& lost);

  // Declares lost every unresolved sequence below `horizon`, including ones never seen past the
  // highest arrival (the stream's tail); appends them to `lost`.
  void ExpireBelow(std::uint64_t horizon, std::vector<SequenceRange>& lost);

  // Forgets everything and tracks from `first`, for a stream joined midway: from `first` on as
  // from a fresh start; a first arrival below it, down to half a window, is kBeforeStart (the
  // messages around a join point arrive in any order) and what never arrives below it is never
  // declared lost. Clears the window: O(window / 64).
  void Restart(std::uint64_t first);

  // One past the highest sequence seen (0 before the first).
  std::uint64_t End() const { return end_; }
  // The lowest sequence not yet resolved (received, not sent, or declared lost).
  std::uint64_t Floor() const { return floor_; }

 private:
  static bool Test(const std::vector<std::uint64_t>& bits, std::uint64_t slot);
  std::uint64_t Slot(std::uint64_t sequence) const { return sequence % window_; }
  void Resolve(std::uint64_t sequence);
  void AdvanceFloor();
  void Slide(std::uint64_t new_base, std::vector<SequenceRange>& lost);

  std::vector<std::uint64_t> resolved_;  // bit s % window: s in [base_, base_ + window) resolved
  std::vector<std::uint64_t> failed_;    // ... and resolved because its publish failed
  std::uint64_t window_;
  std::uint64_t start_ = 0;  // below it: never a gap (Restart)
  std::uint64_t base_ = 0;
  std::uint64_t floor_ = 0;
  std::uint64_t end_ = 0;
};

// Appends [first, end) to `lost`, merged with the last range when adjacent.
void AppendLost(std::vector<SequenceRange>& lost, std::uint64_t first, std::uint64_t end);

}  // namespace brokerload::accounting
