#include "accounting/sequence_tracker.hpp"

#include <gtest/gtest.h>

namespace brokerload::accounting {
namespace {

using Outcome = SequenceTracker::Outcome;

std::uint64_t Count(const std::vector<SequenceRange>& ranges) {
  std::uint64_t n = 0;
  for (const SequenceRange& r : ranges) n += r.end - r.first;
  return n;
}

TEST(SequenceTracker, InOrderArrivalsResolveEverything) {
  SequenceTracker t(1024);
  std::vector<SequenceRange> lost;
  for (std::uint64_t s = 0; s < 5000; ++s) ASSERT_EQ(t.Observe(s, lost), Outcome::kNew);
  EXPECT_TRUE(lost.empty());
  EXPECT_EQ(t.Floor(), 5000u);
  t.ExpireBelow(5000, lost);
  EXPECT_TRUE(lost.empty());
}

TEST(SequenceTracker, ASecondArrivalIsADuplicate) {
  SequenceTracker t(1024);
  std::vector<SequenceRange> lost;
  t.Observe(0, lost);
  t.Observe(1, lost);
  EXPECT_EQ(t.Observe(1, lost), Outcome::kDuplicate);
  EXPECT_EQ(t.Observe(0, lost), Outcome::kDuplicate);
}

TEST(SequenceTracker, AGapFilledBeforeExpiryIsNoLoss) {
  SequenceTracker t(1024);
  std::vector<SequenceRange> lost;
  t.Observe(0, lost);
  t.Observe(2, lost);
  t.Observe(3, lost);
  EXPECT_EQ(t.Floor(), 1u);
  EXPECT_EQ(t.Observe(1, lost), Outcome::kNew);  // late fill
  EXPECT_EQ(t.Floor(), 4u);
  t.ExpireBelow(4, lost);
  EXPECT_TRUE(lost.empty());
}

TEST(SequenceTracker, AnExpiredGapIsLostAsOneRangeAndALaterArrivalIsLate) {
  SequenceTracker t(1024);
  std::vector<SequenceRange> lost;
  t.Observe(0, lost);
  t.Observe(3, lost);
  t.ExpireBelow(3, lost);
  ASSERT_EQ(lost.size(), 1u);  // 1 and 2, merged
  EXPECT_EQ(lost[0].first, 1u);
  EXPECT_EQ(lost[0].end, 3u);
  EXPECT_EQ(t.Floor(), 4u);
  EXPECT_EQ(t.Observe(2, lost), Outcome::kAfterDeclaredLost);
  EXPECT_EQ(t.Observe(2, lost), Outcome::kDuplicate);
}

TEST(SequenceTracker, ExpiryPastTheHighestArrivalCountsTheTail) {
  SequenceTracker t(1024);
  std::vector<SequenceRange> lost;
  for (std::uint64_t s = 0; s < 10; ++s) t.Observe(s, lost);
  t.ExpireBelow(15, lost);
  EXPECT_EQ(Count(lost), 5u);
  EXPECT_EQ(t.Floor(), 15u);
}

TEST(SequenceTracker, SlidingTheWindowPastAGapCountsItLost) {
  SequenceTracker t(128);
  std::vector<SequenceRange> lost;
  t.Observe(0, lost);
  // 1 never arrives; everything else does, far past the window.
  for (std::uint64_t s = 2; s < 1000; ++s) t.Observe(s, lost);
  EXPECT_EQ(Count(lost), 1u);
  // Below the window nothing is remembered: neither a duplicate nor known late.
  EXPECT_EQ(t.Observe(1, lost), Outcome::kOlderThanWindow);
  EXPECT_EQ(t.Observe(500, lost), Outcome::kOlderThanWindow);
}

TEST(SequenceTracker, AFailedPublishIsNeverALoss) {
  SequenceTracker t(1024);
  std::vector<SequenceRange> lost;
  t.Observe(0, lost);
  EXPECT_FALSE(t.MarkNotSent(1, lost));
  t.Observe(2, lost);
  EXPECT_EQ(t.Floor(), 3u);
  t.ExpireBelow(3, lost);
  EXPECT_TRUE(lost.empty());
}

TEST(SequenceTracker, AFailedPublishThatArrivesIsDeliveredAfterErrorThenDuplicate) {
  SequenceTracker t(1024);
  std::vector<SequenceRange> lost;
  EXPECT_FALSE(t.MarkNotSent(0, lost));  // timed out, yet the broker had stored it
  EXPECT_EQ(t.Observe(0, lost), Outcome::kAfterError);
  EXPECT_EQ(t.Observe(0, lost), Outcome::kDuplicate);
}

TEST(SequenceTracker, AFailureReportedAfterTheArrivalKeepsItReceived) {
  SequenceTracker t(1024);
  std::vector<SequenceRange> lost;
  t.Observe(5, lost);
  EXPECT_TRUE(t.MarkNotSent(5, lost));  // it had arrived
  EXPECT_EQ(t.Observe(5, lost), Outcome::kDuplicate);
}

TEST(SequenceTracker, ARestartTracksFromItsSequenceAndNeverCountsWhatLiesBelowItLost) {
  SequenceTracker t(1024);
  std::vector<SequenceRange> lost;
  t.Restart(1000);
  EXPECT_EQ(t.Observe(1000, lost), Outcome::kNew);
  EXPECT_EQ(t.Observe(1002, lost), Outcome::kNew);
  // The join point's neighbours arrive in any order: first arrivals below it are new to it.
  EXPECT_EQ(t.Observe(998, lost), Outcome::kBeforeStart);
  EXPECT_EQ(t.Observe(998, lost), Outcome::kDuplicate);
  t.ExpireBelow(1003, lost);
  ASSERT_EQ(lost.size(), 1u);  // 1001 only: 999 and below were never expected
  EXPECT_EQ(lost[0].first, 1001u);
  EXPECT_EQ(lost[0].end, 1002u);
  EXPECT_EQ(t.Floor(), 1003u);
  EXPECT_EQ(t.Observe(999, lost), Outcome::kBeforeStart);  // still welcome, still no gap
  EXPECT_EQ(lost.size(), 1u);
}

TEST(SequenceTracker, ARestartReachesHalfAWindowBelowItsSequence) {
  SequenceTracker t(1024);
  std::vector<SequenceRange> lost;
  t.Restart(5000);
  EXPECT_EQ(t.Observe(5000 - 513, lost), Outcome::kOlderThanWindow);
  EXPECT_EQ(t.Observe(5000 - 512, lost), Outcome::kBeforeStart);
  EXPECT_EQ(t.End(), 5000u);
  EXPECT_TRUE(lost.empty());
}

TEST(SequenceTracker, ARestartForgetsWhatWasSeenBefore) {
  SequenceTracker t(1024);
  std::vector<SequenceRange> lost;
  for (std::uint64_t s = 0; s < 10; ++s) t.Observe(s, lost);
  t.Restart(100);
  EXPECT_EQ(t.Observe(5, lost), Outcome::kBeforeStart);  // not a duplicate any more
  EXPECT_EQ(t.Observe(100, lost), Outcome::kNew);
  EXPECT_EQ(t.Floor(), 101u);
  // Sliding far past the join drops the area below it without declaring anything there lost.
  EXPECT_EQ(t.Observe(100 + 5000, lost), Outcome::kNew);
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].first, 101u);
  EXPECT_EQ(lost[0].end, 5100u - 1024 + 1);
}

}  // namespace
}  // namespace brokerload::accounting
