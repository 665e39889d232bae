#include "accounting/latency_histogram.hpp"

#include <gtest/gtest.h>

#include <random>

namespace brokerload::accounting {
namespace {

TEST(LatencyHistogram, BucketsAreContiguousAndOrdered) {
  for (std::size_t i = 0; i + 1 < LatencyHistogram::kBucketCount; ++i) {
    ASSERT_EQ(LatencyHistogram::BucketHigh(i), LatencyHistogram::BucketLow(i + 1)) << i;
    ASSERT_LT(LatencyHistogram::BucketLow(i), LatencyHistogram::BucketHigh(i)) << i;
  }
}

TEST(LatencyHistogram, EveryValueLandsInTheBucketThatHoldsIt) {
  std::mt19937_64 random(1);
  for (int i = 0; i < 100'000; ++i) {
    const auto value = static_cast<std::int64_t>(random() % LatencyHistogram::kMaxValueNs);
    const std::size_t index = LatencyHistogram::BucketIndex(value);
    ASSERT_LE(LatencyHistogram::BucketLow(index), value);
    ASSERT_GT(LatencyHistogram::BucketHigh(index), value);
  }
}

TEST(LatencyHistogram, RelativeErrorIsBelowOnePercentFromOneMicrosecondToSixtySeconds) {
  for (std::int64_t value = 1'000; value <= 60'000'000'000; value = value * 11 / 10 + 1) {
    const std::size_t index = LatencyHistogram::BucketIndex(value);
    const double width = static_cast<double>(LatencyHistogram::BucketHigh(index) -
                                             LatencyHistogram::BucketLow(index));
    ASSERT_LE(width / static_cast<double>(value), 0.01) << value;
  }
}

TEST(LatencyHistogram, QuantilesOfAUniformSpreadAreWithinOnePercent) {
  LatencyHistogram h;
  for (std::int64_t us = 1; us <= 10'000; ++us) h.Record(us * 1'000);
  const HistogramSnapshot s = h.Snapshot();
  EXPECT_EQ(s.Count(), 10'000u);
  EXPECT_NEAR(static_cast<double>(s.QuantileNs(0.5)), 5'000'000.0, 50'000.0);
  EXPECT_NEAR(static_cast<double>(s.QuantileNs(0.99)), 9'900'000.0, 99'000.0);
  EXPECT_NEAR(static_cast<double>(s.QuantileNs(0.999)), 9'990'000.0, 99'900.0);
  EXPECT_EQ(s.MaxNs(), 10'000'000);
  EXPECT_NEAR(s.MeanNs(), 5'000'500.0, 1.0);
  EXPECT_NEAR(s.SumSeconds(), 50.005, 1e-9);
}

TEST(LatencyHistogram, EmptySnapshotAnswersZero) {
  const HistogramSnapshot s = LatencyHistogram().Snapshot();
  EXPECT_EQ(s.Count(), 0u);
  EXPECT_EQ(s.QuantileNs(0.99), 0);
  EXPECT_EQ(s.MeanNs(), 0.0);
}

TEST(LatencyHistogram, NegativeValuesCountAsZeroAndHugeOnesAreClamped) {
  LatencyHistogram h;
  h.Record(-5);
  h.Record(LatencyHistogram::kMaxValueNs * 4);
  const HistogramSnapshot s = h.Snapshot();
  EXPECT_EQ(s.Count(), 2u);
  EXPECT_EQ(s.CountAtOrBelow(0), 1u);
  EXPECT_EQ(s.MaxNs(), LatencyHistogram::kMaxValueNs);
}

TEST(LatencyHistogram, MergeAddsCountsAndKeepsTheLargestMax) {
  LatencyHistogram a;
  LatencyHistogram b;
  for (int i = 0; i < 100; ++i) a.Record(1'000'000);  // 1 ms
  for (int i = 0; i < 300; ++i) b.Record(3'000'000);  // 3 ms
  HistogramSnapshot merged = a.Snapshot();
  merged.Merge(b.Snapshot());
  EXPECT_EQ(merged.Count(), 400u);
  EXPECT_EQ(merged.MaxNs(), 3'000'000);
  EXPECT_NEAR(static_cast<double>(merged.QuantileNs(0.25)), 1e6, 1e4);
  EXPECT_NEAR(static_cast<double>(merged.QuantileNs(0.26)), 3e6, 3e4);
}

TEST(LatencyHistogram, CountAtOrBelowSplitsOnPrometheusBoundaries) {
  LatencyHistogram h;
  h.Record(40'000);     // 40 us
  h.Record(60'000);     // 60 us
  h.Record(990'000);    // 0.99 ms
  h.Record(1'010'000);  // 1.01 ms
  const HistogramSnapshot s = h.Snapshot();
  EXPECT_EQ(s.CountAtOrBelow(50'000), 1u);
  EXPECT_EQ(s.CountAtOrBelow(1'000'000), 3u);
  EXPECT_EQ(s.CountAtOrBelow(10'000'000'000), 4u);
}

TEST(LatencyHistogram, CountsAtOrBelowAgreesWithCountAtOrBelowInOnePass) {
  LatencyHistogram h;
  std::mt19937_64 random(7);
  for (int i = 0; i < 20'000; ++i) h.Record(static_cast<std::int64_t>(random() % 20'000'000'000));
  const HistogramSnapshot s = h.Snapshot();
  std::vector<std::int64_t> bounds;
  for (std::int64_t b = 50'000; b <= 20'000'000'000; b = b * 109 / 100) bounds.push_back(b);
  const std::vector<std::uint64_t> counts = s.CountsAtOrBelow(bounds);
  ASSERT_EQ(counts.size(), bounds.size());
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    EXPECT_EQ(counts[i], s.CountAtOrBelow(bounds[i])) << bounds[i];
  }
}

TEST(LatencyHistogram, SparseKeepsOnlyNonZeroBucketsAndAddsBackToTheSameSnapshot) {
  LatencyHistogram h;
  for (std::int64_t v : {1'000L, 1'000L, 5'000'000L, 7'000'000'000L}) h.Record(v);
  const HistogramSnapshot s = h.Snapshot();
  const SparseHistogram sparse = s.Sparse();
  ASSERT_EQ(sparse.index.size(), 3u);
  EXPECT_EQ(sparse.count[0], 2u);
  EXPECT_EQ(sparse.Count(), 4u);
  EXPECT_EQ(sparse.sum_ns, 7'005'002'000);
  EXPECT_LE(sparse.HeapBytes(), 3 * (sizeof(std::uint32_t) + sizeof(std::uint64_t)));
  HistogramSnapshot rebuilt;
  rebuilt.Add(sparse);
  EXPECT_EQ(rebuilt.Count(), 4u);
  EXPECT_EQ(rebuilt.SumSeconds(), s.SumSeconds());
  for (double q : {0.25, 0.5, 0.75, 1.0}) EXPECT_EQ(rebuilt.QuantileNs(q), s.QuantileNs(q)) << q;
  EXPECT_EQ(rebuilt.MaxNs(), 7'000'000'000);
}

TEST(LatencyHistogram, SubtractLeavesTheValuesRecordedSinceTheEarlierCopy) {
  LatencyHistogram h;
  for (int i = 0; i < 100; ++i) h.Record(1'000'000);  // 1 ms
  const SparseHistogram earlier = h.Snapshot().Sparse();
  for (int i = 0; i < 10; ++i) h.Record(50'000'000);  // 50 ms
  h.Record(1'000'000);
  HistogramSnapshot since = h.Snapshot();
  since.Subtract(earlier);
  EXPECT_EQ(since.Count(), 11u);
  EXPECT_NEAR(since.SumSeconds(), 0.501, 1e-12);
  EXPECT_EQ(since.CountAtOrBelow(2'000'000), 1u);
  EXPECT_NEAR(static_cast<double>(since.QuantileNs(0.5)), 50e6, 50e6 * 0.005);
  // Never below zero, even given a copy that is not earlier.
  HistogramSnapshot empty;
  empty.Subtract(earlier);
  EXPECT_EQ(empty.Count(), 0u);
  EXPECT_EQ(empty.QuantileNs(0.5), 0);
}

}  // namespace
}  // namespace brokerload::accounting
