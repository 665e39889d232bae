#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

// A log-linear latency histogram (HDR-style): 128 sub-buckets per power of two of nanoseconds,
// so a recorded value is known to within 0.8% from 1 ns up to about 18 minutes (larger values
// are clamped). Record() is lock-free (relaxed atomic adds) and may be called from any thread;
// each instance is meant to have one writer thread, and readers take a Snapshot at any time.
namespace brokerload::accounting {

class HistogramSnapshot;

// The non-zero buckets of a snapshot, by increasing bucket index, and its sum: 12 bytes per
// non-zero bucket instead of a dense snapshot's 35 KB, for keeping many of them.
struct SparseHistogram {
  std::vector<std::uint32_t> index;  // bucket indexes, increasing
  std::vector<std::uint64_t> count;  // count[i] values in bucket index[i], never 0
  std::int64_t sum_ns = 0;
  std::int64_t max_ns = 0;  // at least the largest value (the max of the snapshot it came from)

  std::uint64_t Count() const;
  std::size_t HeapBytes() const;
};

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr std::int64_t kMaxValueNs = (std::int64_t{1} << 40) - 1;
  static constexpr std::size_t kBucketCount = (40 - kSubBucketBits + 1) << kSubBucketBits;

  LatencyHistogram() = default;
  LatencyHistogram(const LatencyHistogram&) = delete;
  LatencyHistogram& operator=(const LatencyHistogram&) = delete;

  // Records one value in nanoseconds; negative values count as 0 (TargetAccounting keeps the
  // negative end-to-end latencies of clocks apart out: NegativeLatencyWindow).
  void Record(std::int64_t value_ns);

  HistogramSnapshot Snapshot() const;

  static std::size_t BucketIndex(std::int64_t value_ns);
  static std::int64_t BucketLow(std::size_t index);   // smallest value of the bucket
  static std::int64_t BucketHigh(std::size_t index);  // one past its largest value

 private:
  std::array<std::atomic<std::uint64_t>, kBucketCount> counts_{};
  std::atomic<std::int64_t> sum_ns_{0};
  std::atomic<std::int64_t> max_ns_{0};
};

// A point-in-time copy of one or more histograms (merged), for scrapes and reports.
class HistogramSnapshot {
 public:
  HistogramSnapshot() : counts_(LatencyHistogram::kBucketCount, 0) {}

  void Merge(const HistogramSnapshot& other);
  // Adds a sparse histogram's counts and sum; the max becomes at least its max.
  void Add(const SparseHistogram& other);
  // Takes away an earlier copy of the same cumulative histogram, leaving the values recorded
  // since. Counts never go below 0; the max stays (an upper bound of what remains).
  void Subtract(const SparseHistogram& earlier);
  SparseHistogram Sparse() const;

  std::uint64_t Count() const { return count_; }
  double SumSeconds() const { return static_cast<double>(sum_ns_) * 1e-9; }
  std::int64_t MaxNs() const { return max_ns_; }
  double MeanNs() const;
  // The value at quantile q (0..1), as the middle of its bucket; 0 when empty.
  std::int64_t QuantileNs(double q) const;
  // How many values lie at or below `bound_ns`, counting a bucket by its middle.
  std::uint64_t CountAtOrBelow(std::int64_t bound_ns) const;
  // CountAtOrBelow for each of `bounds_ns` (increasing), in one pass over the buckets.
  std::vector<std::uint64_t> CountsAtOrBelow(const std::vector<std::int64_t>& bounds_ns) const;

 private:
  friend class LatencyHistogram;
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::int64_t sum_ns_ = 0;
  std::int64_t max_ns_ = 0;
};

}  // namespace brokerload::accounting
