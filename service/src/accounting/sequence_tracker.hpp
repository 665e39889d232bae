#pragma once

#include <cstdint>
#include <vector>

// Tracks which sequence numbers of one stream (run, producer, topic) have arrived, to count
// duplicates and losses by identity. Remembers the last `window` sequence numbers. Not
// thread-safe: the owner serialises calls.
namespace brokerload::accounting {

class SequenceTracker {
 public:
  enum class Outcome {
    kNew,                // first arrival
    kDuplicate,          // arrived before, or older than the window
    kAfterDeclaredLost,  // arrived after its gap had been declared lost
  };

  // `window` is rounded up to a multiple of 64.
  explicit SequenceTracker(std::uint64_t window = std::uint64_t{1} << 20);

  // Records an arrival. `lost` grows when the window had to slide past unresolved gaps.
  Outcome Observe(std::uint64_t sequence, std::uint64_t& lost);

  // The publish of `sequence` failed: its gap is expected, never a loss. Returns gaps lost by
  // sliding the window, as Observe does.
  std::uint64_t MarkNotSent(std::uint64_t sequence);

  // Declares lost every unresolved sequence below `horizon`, including ones never seen past the
  // highest arrival (the stream's tail); returns how many.
  std::uint64_t ExpireBelow(std::uint64_t horizon);

  // One past the highest sequence seen (0 before the first).
  std::uint64_t End() const { return end_; }
  // The lowest sequence not yet resolved (received, not sent, or declared lost).
  std::uint64_t Floor() const { return floor_; }

 private:
  bool Test(std::uint64_t sequence) const;
  void Set(std::uint64_t sequence);
  void Clear(std::uint64_t sequence);
  void AdvanceFloor();
  std::uint64_t Slide(std::uint64_t new_base);

  std::vector<std::uint64_t> bits_;  // bit s % window: s in [base_, base_ + window) resolved
  std::uint64_t window_;
  std::uint64_t base_ = 0;
  std::uint64_t floor_ = 0;
  std::uint64_t end_ = 0;
};

}  // namespace brokerload::accounting
