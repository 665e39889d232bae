#include "metrics/windowed_quantiles.hpp"

#include <gtest/gtest.h>

namespace brokerload::metrics {
namespace {

using accounting::HistogramSnapshot;
using accounting::LatencyHistogram;

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kMs = 1'000'000;

// A histogram, a window keeper and a hand-stepped clock; no sleeps.
class WindowedQuantilesTest : public ::testing::Test {
 protected:
  void Record(std::int64_t value_ns, int times) {
    for (int i = 0; i < times; ++i) histogram_.Record(value_ns);
  }
  void AdvanceTo(std::int64_t now_ns) {
    now_ns_ = now_ns;
    windows_.Advance(now_ns_, histogram_.Snapshot());
  }
  HistogramSnapshot Window(std::int64_t window_ns) const {
    return windows_.Window(window_ns, histogram_.Snapshot());
  }

  LatencyHistogram histogram_;
  WindowedQuantiles windows_{10 * kSecond, 300 * kSecond};
  std::int64_t now_ns_ = 0;
};

TEST_F(WindowedQuantilesTest, BeforeAnyAdvanceTheWindowHoldsEverything) {
  Record(1 * kMs, 10);
  EXPECT_EQ(Window(60 * kSecond).Count(), 10u);
  EXPECT_TRUE(windows_.Due(0));
}

TEST_F(WindowedQuantilesTest, ValuesLeaveTheOneMinuteWindowSixFullIntervalsAfterTheirs) {
  AdvanceTo(0);
  Record(1 * kMs, 100);  // interval 0: [0 s, 10 s)
  for (int i = 1; i <= 6; ++i) {
    AdvanceTo(i * 10 * kSecond);
    Record(10 * kMs, 100);  // interval i
  }
  // At 69.999 s interval 6 is in progress: the window is intervals 0..5 plus the partial 6.
  AdvanceTo(70 * kSecond - 1);
  EXPECT_EQ(Window(60 * kSecond).Count(), 700u);
  // At 70 s interval 0 leaves: 1..6 (all 10 ms) plus the empty partial interval 7.
  AdvanceTo(70 * kSecond);
  const HistogramSnapshot minute = Window(60 * kSecond);
  EXPECT_EQ(minute.Count(), 600u);
  EXPECT_NEAR(static_cast<double>(minute.QuantileNs(0.001)), 10e6, 10e6 * 0.005);
  const HistogramSnapshot five = Window(300 * kSecond);
  EXPECT_EQ(five.Count(), 700u);
  EXPECT_NEAR(static_cast<double>(five.QuantileNs(0.1)), 1e6, 1e6 * 0.005);
}

TEST_F(WindowedQuantilesTest, ThePartialIntervalCountsAtOnce) {
  AdvanceTo(0);
  AdvanceTo(10 * kSecond);
  Record(3 * kMs, 5);
  const HistogramSnapshot minute = Window(60 * kSecond);
  EXPECT_EQ(minute.Count(), 5u);
  EXPECT_NEAR(static_cast<double>(minute.QuantileNs(0.5)), 3e6, 3e6 * 0.005);
}

TEST_F(WindowedQuantilesTest, QuantilesAreThoseOfTheCumulativeSnapshotWhileTheRunIsYoung) {
  AdvanceTo(0);
  for (std::int64_t us = 50; us <= 500'000; us = us * 11 / 10 + 1) Record(us * 1'000, 1);
  AdvanceTo(10 * kSecond);
  Record(7 * kMs, 3);
  const HistogramSnapshot all = histogram_.Snapshot();
  const HistogramSnapshot window = Window(60 * kSecond);
  EXPECT_EQ(window.Count(), all.Count());
  for (double q : {0.5, 0.9, 0.99, 0.999}) EXPECT_EQ(window.QuantileNs(q), all.QuantileNs(q)) << q;
}

TEST_F(WindowedQuantilesTest, DueOnlyWhenAnIntervalEnded) {
  AdvanceTo(5 * kSecond);  // the first Advance starts the intervals
  EXPECT_FALSE(windows_.Due(14 * kSecond));
  EXPECT_TRUE(windows_.Due(15 * kSecond));
  AdvanceTo(15 * kSecond);
  EXPECT_FALSE(windows_.Due(24 * kSecond));
}

TEST_F(WindowedQuantilesTest, MissedIntervalsCountInTheOneThatCloses) {
  AdvanceTo(0);
  Record(1 * kMs, 10);
  AdvanceTo(45 * kSecond);  // intervals 1..3 never closed: their values count in interval 0
  // At 95 s (interval 9), the minute holds intervals 3..8: interval 0 is out.
  AdvanceTo(95 * kSecond);
  EXPECT_EQ(Window(60 * kSecond).Count(), 0u);
  EXPECT_EQ(Window(300 * kSecond).Count(), 10u);
}

TEST_F(WindowedQuantilesTest, MemoryStaysBoundedToTheLongestWindow) {
  AdvanceTo(0);
  for (int i = 1; i <= 100; ++i) {
    Record(static_cast<std::int64_t>(i) * kMs, 1);
    AdvanceTo(i * 10 * kSecond);
  }
  EXPECT_EQ(Window(300 * kSecond).Count(), 30u);
  // 30 kept deltas of one bucket each, and a base of 100 buckets: far below one dense snapshot.
  EXPECT_LT(windows_.HeapBytes(), 5'000u);
  EXPECT_LT(windows_.HeapBytes(), LatencyHistogram::kBucketCount * sizeof(std::uint64_t) / 5);
}

}  // namespace
}  // namespace brokerload::metrics
