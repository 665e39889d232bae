// NegativeLatencyWindow: the most negative latency over the 1m window, stepped by hand.
#include "accounting/negative_latency.hpp"

#include <gtest/gtest.h>

namespace brokerload::accounting {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

TEST(NegativeLatencyWindow, IsZeroUntilANegativeLatencyIsNoted) {
  NegativeLatencyWindow window(2);
  EXPECT_EQ(window.MostNegativeNs(), 0);
  window.Note(0, 5);  // not negative: ignored
  window.Note(1, 0);
  EXPECT_EQ(window.MostNegativeNs(), 0);
  window.Note(1, -4);
  window.Note(0, -2);
  window.Note(0, -1);  // not below what topic 0 saw
  EXPECT_EQ(window.MostNegativeNs(), -4);
}

TEST(NegativeLatencyWindow, KeepsAValueForSixClosedIntervalsAfterItsOwn) {
  NegativeLatencyWindow window(1);
  window.Note(0, -9);             // before the first Advance: counts in the first interval
  window.Advance(0);              // interval 0 begins
  window.Advance(9'999'999'999);  // still interval 0
  EXPECT_EQ(window.MostNegativeNs(), -9);
  for (std::int64_t s = 10; s <= 60; s += 10) {
    window.Advance(s * kSecond);  // closes intervals 0 .. 5
    EXPECT_EQ(window.MostNegativeNs(), -9) << s;
  }
  window.Advance(70 * kSecond - 1);
  EXPECT_EQ(window.MostNegativeNs(), -9);
  window.Advance(70 * kSecond);  // interval 6 closes: interval 0 leaves the window
  EXPECT_EQ(window.MostNegativeNs(), 0);
}

TEST(NegativeLatencyWindow, TheLeastOfEveryIntervalInTheWindow) {
  NegativeLatencyWindow window(2);
  window.Advance(0);
  window.Note(0, -30);
  window.Advance(10 * kSecond);  // interval 0: -30
  window.Note(1, -50);
  window.Advance(20 * kSecond);  // interval 1: -50
  window.Note(0, -10);           // in progress (interval 2)
  EXPECT_EQ(window.MostNegativeNs(), -50);
  for (std::int64_t s = 30; s <= 70; s += 10) window.Advance(s * kSecond);  // closes 2 .. 6
  EXPECT_EQ(window.MostNegativeNs(), -50);  // interval 0 gone, 1 .. 6 kept
  window.Advance(80 * kSecond);
  EXPECT_EQ(window.MostNegativeNs(), -10);  // interval 2's
  window.Advance(90 * kSecond);
  EXPECT_EQ(window.MostNegativeNs(), 0);
}

// A housekeeping pause: what was noted since the last interval closed counts in the last one
// Advance closes, and the intervals skipped hold nothing (an older value is not kept longer).
TEST(NegativeLatencyWindow, AMissedAdvanceCountsInTheLastIntervalClosed) {
  NegativeLatencyWindow window(1);
  window.Advance(0);
  window.Note(0, -40);
  window.Advance(10 * kSecond);  // interval 0: -40
  window.Note(0, -7);
  window.Advance(45 * kSecond);  // intervals 1 .. 3 closed at once: -7 in interval 3
  EXPECT_EQ(window.MostNegativeNs(), -40);
  window.Advance(70 * kSecond);  // closes 4 .. 6: interval 0 leaves
  EXPECT_EQ(window.MostNegativeNs(), -7);
  window.Advance(100 * kSecond);  // closes 7 .. 9: interval 3 leaves
  EXPECT_EQ(window.MostNegativeNs(), 0);
  window.Note(0, -3);
  window.Advance(1'000 * kSecond);  // far beyond the window: interval 99, the last closed, holds it
  EXPECT_EQ(window.MostNegativeNs(), -3);
  window.Advance(1'059 * kSecond);
  EXPECT_EQ(window.MostNegativeNs(), -3);
  window.Advance(1'060 * kSecond);  // interval 105 closes: 99 leaves
  EXPECT_EQ(window.MostNegativeNs(), 0);
}

TEST(NegativeLatencyWindow, AStepBackClosesNothing) {
  NegativeLatencyWindow window(1);
  window.Advance(100 * kSecond);
  window.Note(0, -1);
  window.Advance(50 * kSecond);
  EXPECT_EQ(window.MostNegativeNs(), -1);
  for (std::int64_t s = 110; s <= 160; s += 10) window.Advance(s * kSecond);
  EXPECT_EQ(window.MostNegativeNs(), -1);
  window.Advance(170 * kSecond);
  EXPECT_EQ(window.MostNegativeNs(), 0);
}

}  // namespace
}  // namespace brokerload::accounting
