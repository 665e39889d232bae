#include "accounting/latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace brokerload::accounting {
namespace {

constexpr std::int64_t kSubBuckets = std::int64_t{1} << LatencyHistogram::kSubBucketBits;

std::int64_t Middle(std::size_t index) {
  return (LatencyHistogram::BucketLow(index) + LatencyHistogram::BucketHigh(index) - 1) / 2;
}

}  // namespace

std::size_t LatencyHistogram::BucketIndex(std::int64_t value_ns) {
  const auto value = static_cast<std::uint64_t>(std::clamp<std::int64_t>(value_ns, 0, kMaxValueNs));
  if (value < static_cast<std::uint64_t>(kSubBuckets)) return static_cast<std::size_t>(value);
  const int exponent = static_cast<int>(std::bit_width(value)) - 1;     // >= kSubBucketBits
  const std::uint64_t mantissa = value >> (exponent - kSubBucketBits);  // in [128, 256)
  return static_cast<std::size_t>((exponent - kSubBucketBits + 1) * kSubBuckets) +
         static_cast<std::size_t>(mantissa - static_cast<std::uint64_t>(kSubBuckets));
}

std::int64_t LatencyHistogram::BucketLow(std::size_t index) {
  const auto i = static_cast<std::int64_t>(index);
  if (i < kSubBuckets) return i;
  const std::int64_t exponent = i / kSubBuckets + kSubBucketBits - 1;
  const std::int64_t mantissa = i % kSubBuckets + kSubBuckets;
  return mantissa << (exponent - kSubBucketBits);
}

std::int64_t LatencyHistogram::BucketHigh(std::size_t index) {
  const auto i = static_cast<std::int64_t>(index);
  if (i < kSubBuckets) return i + 1;
  const std::int64_t exponent = i / kSubBuckets + kSubBucketBits - 1;
  return BucketLow(index) + (std::int64_t{1} << (exponent - kSubBucketBits));
}

void LatencyHistogram::Record(std::int64_t value_ns) {
  value_ns = std::clamp<std::int64_t>(value_ns, 0, kMaxValueNs);
  counts_[BucketIndex(value_ns)].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(value_ns, std::memory_order_relaxed);
  std::int64_t max = max_ns_.load(std::memory_order_relaxed);
  while (value_ns > max &&
         !max_ns_.compare_exchange_weak(max, value_ns, std::memory_order_relaxed)) {
  }
}

HistogramSnapshot LatencyHistogram::Snapshot() const {
  HistogramSnapshot snapshot;
  std::uint64_t in_buckets = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    snapshot.counts_[i] = counts_[i].load(std::memory_order_relaxed);
    in_buckets += snapshot.counts_[i];
  }
  snapshot.count_ = in_buckets;
  snapshot.sum_ns_ = sum_ns_.load(std::memory_order_relaxed);
  snapshot.max_ns_ = max_ns_.load(std::memory_order_relaxed);
  return snapshot;
}

void HistogramSnapshot::Merge(const HistogramSnapshot& other) {
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ns_ += other.sum_ns_;
  max_ns_ = std::max(max_ns_, other.max_ns_);
}

void HistogramSnapshot::Add(const SparseHistogram& other) {
  for (std::size_t i = 0; i < other.index.size(); ++i) counts_[other.index[i]] += other.count[i];
  count_ += other.Count();
  sum_ns_ += other.sum_ns;
  max_ns_ = std::max(max_ns_, other.max_ns);
}

void HistogramSnapshot::Subtract(const SparseHistogram& earlier) {
  for (std::size_t i = 0; i < earlier.index.size(); ++i) {
    std::uint64_t& count = counts_[earlier.index[i]];
    const std::uint64_t taken = std::min(count, earlier.count[i]);
    count -= taken;
    count_ -= taken;
  }
  sum_ns_ = std::max<std::int64_t>(0, sum_ns_ - earlier.sum_ns);
}

SparseHistogram HistogramSnapshot::Sparse() const {
  SparseHistogram sparse;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    sparse.index.push_back(static_cast<std::uint32_t>(i));
    sparse.count.push_back(counts_[i]);
  }
  sparse.index.shrink_to_fit();
  sparse.count.shrink_to_fit();
  sparse.sum_ns = sum_ns_;
  sparse.max_ns = max_ns_;
  return sparse;
}

std::uint64_t SparseHistogram::Count() const {
  std::uint64_t total = 0;
  for (std::uint64_t c : count) total += c;
  return total;
}

std::size_t SparseHistogram::HeapBytes() const {
  return index.capacity() * sizeof(std::uint32_t) + count.capacity() * sizeof(std::uint64_t);
}

double HistogramSnapshot::MeanNs() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ns_) / static_cast<double>(count_);
}

std::int64_t HistogramSnapshot::QuantileNs(double q) const {
  if (count_ == 0) return 0;
  const auto rank = std::max<std::uint64_t>(
      1,
      static_cast<std::uint64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(Middle(i), max_ns_);
  }
  return max_ns_;
}

std::uint64_t HistogramSnapshot::CountAtOrBelow(std::int64_t bound_ns) const {
  std::uint64_t below = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (LatencyHistogram::BucketLow(i) > bound_ns) break;
    if (Middle(i) <= bound_ns) below += counts_[i];
  }
  return below;
}

std::vector<std::uint64_t> HistogramSnapshot::CountsAtOrBelow(
    const std::vector<std::int64_t>& bounds_ns) const {
  std::vector<std::uint64_t> result;
  result.reserve(bounds_ns.size());
  std::uint64_t below = 0;
  std::size_t i = 0;
  for (std::int64_t bound : bounds_ns) {
    // Bucket middles increase with the index, so each bound resumes where the last one stopped.
    while (i < counts_.size() && Middle(i) <= bound) below += counts_[i++];
    result.push_back(below);
  }
  return result;
}

}  // namespace brokerload::accounting
