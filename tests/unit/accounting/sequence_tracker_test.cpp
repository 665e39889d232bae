#include "accounting/sequence_tracker.hpp"

#include <gtest/gtest.h>

namespace brokerload::accounting {
namespace {

using Outcome = SequenceTracker::Outcome;

TEST(SequenceTracker, InOrderArrivalsResolveEverything) {
  SequenceTracker t(1024);
  std::uint64_t lost = 0;
  for (std::uint64_t s = 0; s < 5000; ++s) ASSERT_EQ(t.Observe(s, lost), Outcome::kNew);
  EXPECT_EQ(lost, 0u);
  EXPECT_EQ(t.Floor(), 5000u);
  EXPECT_EQ(t.ExpireBelow(5000), 0u);
}

TEST(SequenceTracker, ASecondArrivalIsADuplicate) {
  SequenceTracker t(1024);
  std::uint64_t lost = 0;
  t.Observe(0, lost);
  t.Observe(1, lost);
  EXPECT_EQ(t.Observe(1, lost), Outcome::kDuplicate);
  EXPECT_EQ(t.Observe(0, lost), Outcome::kDuplicate);
}

TEST(SequenceTracker, AGapFilledBeforeExpiryIsNoLoss) {
  SequenceTracker t(1024);
  std::uint64_t lost = 0;
  t.Observe(0, lost);
  t.Observe(2, lost);
  t.Observe(3, lost);
  EXPECT_EQ(t.Floor(), 1u);
  EXPECT_EQ(t.Observe(1, lost), Outcome::kNew);  // late fill
  EXPECT_EQ(t.Floor(), 4u);
  EXPECT_EQ(t.ExpireBelow(4), 0u);
}

TEST(SequenceTracker, AnExpiredGapIsLostAndALaterArrivalIsFlagged) {
  SequenceTracker t(1024);
  std::uint64_t lost = 0;
  t.Observe(0, lost);
  t.Observe(3, lost);
  EXPECT_EQ(t.ExpireBelow(3), 2u);  // 1 and 2
  EXPECT_EQ(t.Floor(), 4u);
  EXPECT_EQ(t.Observe(2, lost), Outcome::kAfterDeclaredLost);
  EXPECT_EQ(t.Observe(2, lost), Outcome::kDuplicate);
}

TEST(SequenceTracker, ExpiryPastTheHighestArrivalCountsTheTail) {
  SequenceTracker t(1024);
  std::uint64_t lost = 0;
  for (std::uint64_t s = 0; s < 10; ++s) t.Observe(s, lost);
  EXPECT_EQ(t.ExpireBelow(15), 5u);
  EXPECT_EQ(t.Floor(), 15u);
}

TEST(SequenceTracker, SlidingTheWindowPastAGapCountsItLost) {
  SequenceTracker t(128);
  std::uint64_t lost = 0;
  t.Observe(0, lost);
  // 1 never arrives; everything else does, far past the window.
  for (std::uint64_t s = 2; s < 1000; ++s) t.Observe(s, lost);
  EXPECT_EQ(lost, 1u);
  EXPECT_EQ(t.Observe(1, lost), Outcome::kDuplicate);  // older than the window
}

TEST(SequenceTracker, AFailedPublishIsNeverALoss) {
  SequenceTracker t(1024);
  std::uint64_t lost = 0;
  t.Observe(0, lost);
  EXPECT_EQ(t.MarkNotSent(1), 0u);
  t.Observe(2, lost);
  EXPECT_EQ(t.Floor(), 3u);
  EXPECT_EQ(t.ExpireBelow(3), 0u);
}

}  // namespace
}  // namespace brokerload::accounting
