#include "accounting/sequence_tracker.hpp"

#include <algorithm>

namespace brokerload::accounting {

SequenceTracker::SequenceTracker(std::uint64_t window)
    : bits_((std::max<std::uint64_t>(window, 64) + 63) / 64, 0), window_(bits_.size() * 64) {}

bool SequenceTracker::Test(std::uint64_t s) const {
  const std::uint64_t slot = s % window_;
  return (bits_[slot / 64] >> (slot % 64)) & 1u;
}

void SequenceTracker::Set(std::uint64_t s) {
  const std::uint64_t slot = s % window_;
  bits_[slot / 64] |= std::uint64_t{1} << (slot % 64);
}

void SequenceTracker::Clear(std::uint64_t s) {
  const std::uint64_t slot = s % window_;
  bits_[slot / 64] &= ~(std::uint64_t{1} << (slot % 64));
}

void SequenceTracker::AdvanceFloor() {
  while (floor_ < base_ + window_ && floor_ < end_ && Test(floor_)) ++floor_;
}

// Moves the window so that it starts at new_base; unresolved gaps it leaves behind are lost.
std::uint64_t SequenceTracker::Slide(std::uint64_t new_base) {
  const std::uint64_t lost = ExpireBelow(new_base);
  const std::uint64_t clear_end = std::min(new_base, base_ + window_);
  for (std::uint64_t s = base_; s < clear_end; ++s) Clear(s);
  base_ = new_base;
  return lost;
}

SequenceTracker::Outcome SequenceTracker::Observe(std::uint64_t s, std::uint64_t& lost) {
  if (s < base_) return Outcome::kDuplicate;
  if (s >= base_ + window_) lost += Slide(s - window_ + 1);
  if (Test(s)) return Outcome::kDuplicate;
  Set(s);
  end_ = std::max(end_, s + 1);
  if (s < floor_) return Outcome::kAfterDeclaredLost;
  AdvanceFloor();
  return Outcome::kNew;
}

std::uint64_t SequenceTracker::MarkNotSent(std::uint64_t s) {
  if (s < floor_) return 0;
  std::uint64_t lost = 0;
  if (s >= base_ + window_) lost = Slide(s - window_ + 1);
  Set(s);
  end_ = std::max(end_, s + 1);
  AdvanceFloor();
  return lost;
}

std::uint64_t SequenceTracker::ExpireBelow(std::uint64_t horizon) {
  std::uint64_t lost = 0;
  while (floor_ < horizon && floor_ < end_) {
    if (!Test(floor_)) ++lost;
    ++floor_;
  }
  if (horizon > floor_) {  // never seen at all: the tail of the stream
    lost += horizon - floor_;
    floor_ = end_ = horizon;
  }
  AdvanceFloor();
  return lost;
}

}  // namespace brokerload::accounting
