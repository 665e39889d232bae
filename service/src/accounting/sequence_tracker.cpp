#include "accounting/sequence_tracker.hpp"

#include <algorithm>

namespace brokerload::accounting {
namespace {

void Set(std::vector<std::uint64_t>& bits, std::uint64_t slot) {
  bits[slot / 64] |= std::uint64_t{1} << (slot % 64);
}

void Clear(std::vector<std::uint64_t>& bits, std::uint64_t slot) {
  bits[slot / 64] &= ~(std::uint64_t{1} << (slot % 64));
}

}  // namespace

void AppendLost(std::vector<SequenceRange>& lost, std::uint64_t first, std::uint64_t end) {
  if (first >= end) return;
  if (!lost.empty() && lost.back().end == first) {
    lost.back().end = end;
  } else {
    lost.push_back({first, end});
  }
}

SequenceTracker::SequenceTracker(std::uint64_t window)
    : resolved_((std::max<std::uint64_t>(window, 64) + 63) / 64, 0),
      failed_(resolved_.size(), 0),
      window_(resolved_.size() * 64) {}

bool SequenceTracker::Test(const std::vector<std::uint64_t>& bits, std::uint64_t slot) {
  return (bits[slot / 64] >> (slot % 64)) & 1u;
}

void SequenceTracker::Resolve(std::uint64_t s) {
  Set(resolved_, Slot(s));
  end_ = std::max(end_, s + 1);
}

void SequenceTracker::AdvanceFloor() {
  while (floor_ < base_ + window_ && floor_ < end_ && Test(resolved_, Slot(floor_))) ++floor_;
}

// Moves the window so that it starts at new_base; unresolved gaps it leaves behind are lost.
void SequenceTracker::Slide(std::uint64_t new_base, std::vector<SequenceRange>& lost) {
  ExpireBelow(new_base, lost);
  const std::uint64_t clear_end = std::min(new_base, base_ + window_);
  for (std::uint64_t s = base_; s < clear_end; ++s) {
    Clear(resolved_, Slot(s));
    Clear(failed_, Slot(s));
  }
  base_ = new_base;
}

SequenceTracker::Outcome SequenceTracker::Observe(std::uint64_t s,
                                                  std::vector<SequenceRange>& lost) {
  if (s < base_) return Outcome::kOlderThanWindow;
  if (s >= base_ + window_) Slide(s - window_ + 1, lost);
  if (Test(resolved_, Slot(s))) {
    if (!Test(failed_, Slot(s))) return Outcome::kDuplicate;
    Clear(failed_, Slot(s));  // a second arrival is a duplicate
    return Outcome::kAfterError;
  }
  Resolve(s);
  if (s < start_) return Outcome::kBeforeStart;
  if (s < floor_) return Outcome::kAfterDeclaredLost;
  AdvanceFloor();
  return Outcome::kNew;
}

bool SequenceTracker::MarkNotSent(std::uint64_t s, std::vector<SequenceRange>& lost) {
  if (s < floor_) return true;
  if (s >= base_ + window_) Slide(s - window_ + 1, lost);
  if (Test(resolved_, Slot(s))) return true;  // it arrived before its publish was declared failed
  Set(failed_, Slot(s));
  Resolve(s);
  AdvanceFloor();
  return false;
}

void SequenceTracker::Restart(std::uint64_t first) {
  std::fill(resolved_.begin(), resolved_.end(), 0);
  std::fill(failed_.begin(), failed_.end(), 0);
  start_ = floor_ = end_ = first;
  base_ = first - std::min(first, window_ / 2);
}

void SequenceTracker::ExpireBelow(std::uint64_t horizon, std::vector<SequenceRange>& lost) {
  while (floor_ < horizon && floor_ < end_) {
    if (!Test(resolved_, Slot(floor_))) AppendLost(lost, floor_, floor_ + 1);
    ++floor_;
  }
  if (horizon > floor_) {  // never seen at all: the tail of the stream
    AppendLost(lost, floor_, horizon);
    floor_ = end_ = horizon;
  }
  AdvanceFloor();
}

}  // namespace brokerload::accounting
