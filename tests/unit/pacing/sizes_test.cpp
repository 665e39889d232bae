// Message sizes (workload.message_size): each distribution's draws against its law, the cut at
// min and max, the mean, and one size per message however often it is drawn.
#include "pacing/sizes.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

namespace brokerload::pacing {
namespace {

constexpr std::uint64_t kSeed = 0x1234'5678'9ABC'DEF0ULL;
constexpr int kDraws = 200'000;

config::Workload LogNormal(int p50, int p99, int min, int max) {
  config::Workload w;
  w.size_distribution = config::SizeDistribution::kLogNormal;
  w.size_p50 = p50;
  w.size_p99 = p99;
  w.min_size = min;
  w.max_size = max;
  return w;
}

std::vector<std::uint32_t> Draws(const SizeChooser& sizes) {
  std::vector<std::uint32_t> out;
  out.reserve(kDraws);
  for (std::uint64_t n = 0; n < kDraws; ++n) out.push_back(sizes.SizeOf(n));
  std::sort(out.begin(), out.end());
  return out;
}

TEST(NormalQuantile, MatchesTheNormalsTables) {
  EXPECT_DOUBLE_EQ(NormalQuantile(0.5), 0);
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963985, 1e-8);
  EXPECT_NEAR(NormalQuantile(0.99), 2.326347874, 1e-8);
  EXPECT_NEAR(NormalQuantile(0.001), -3.090232306, 1e-8);
  EXPECT_NEAR(NormalQuantile(1e-9), -5.997807015, 1e-7);
  EXPECT_EQ(NormalQuantile(0), -INFINITY);
  EXPECT_EQ(NormalQuantile(1), INFINITY);
}

TEST(SizeChooser, OneSizeWhenMinEqualsMax) {
  config::Workload w;
  w.min_size = w.max_size = 300;
  const SizeChooser sizes(w, kSeed);
  for (std::uint64_t n = 0; n < 1'000; ++n) ASSERT_EQ(sizes.SizeOf(n), 300u);
  EXPECT_EQ(MeanMessageSize(w), 300);
}

TEST(SizeChooser, UniformDrawsEverySizeFromMinToMaxInItsShare) {
  config::Workload w;
  w.min_size = 100;
  w.max_size = 109;
  const SizeChooser sizes(w, kSeed);
  std::map<std::uint32_t, int> counts;
  for (std::uint32_t size : Draws(sizes)) ++counts[size];
  ASSERT_EQ(counts.size(), 10u);
  EXPECT_EQ(counts.begin()->first, 100u);
  EXPECT_EQ(counts.rbegin()->first, 109u);
  const double expected = kDraws / 10.0;
  for (const auto& [size, count] : counts) {
    EXPECT_NEAR(count, expected, 5 * std::sqrt(expected * 0.9)) << size;
  }
  EXPECT_DOUBLE_EQ(MeanMessageSize(w), 104.5);
}

TEST(SizeChooser, LogNormalHasItsMedianAndNinetyNinthPercentile) {
  const config::Workload w = LogNormal(1'000, 20'000, 56, 1 << 20);
  const SizeChooser sizes(w, kSeed);
  const std::vector<std::uint32_t> draws = Draws(sizes);
  // The empirical quantile at rank q * n, within 5 sigma of the rank (binomial).
  const auto at = [&](double q, double sigmas) {
    const double spread = sigmas * std::sqrt(kDraws * q * (1 - q));
    return std::pair{draws[static_cast<std::size_t>(kDraws * q - spread)],
                     draws[static_cast<std::size_t>(kDraws * q + spread)]};
  };
  const auto [p50_low, p50_high] = at(0.5, 5);
  EXPECT_LE(p50_low, 1'000u);
  EXPECT_GE(p50_high, 1'000u);
  const auto [p99_low, p99_high] = at(0.99, 5);
  EXPECT_LE(p99_low, 20'000u);
  EXPECT_GE(p99_high, 20'000u);
  // Uncut, the mean is exp(mu + sigma^2 / 2).
  const double sigma = std::log(20.0) / NormalQuantile(0.99);
  EXPECT_NEAR(MeanMessageSize(w), 1'000 * std::exp(sigma * sigma / 2), 1'000 * 0.002);
}

TEST(SizeChooser, LogNormalIsCutAtMinAndMax) {
  // p99 = max: the top 1 % of draws are max itself; the median below min's share stays min.
  const config::Workload w = LogNormal(300, 5'000, 200, 5'000);
  const SizeChooser sizes(w, kSeed);
  const std::vector<std::uint32_t> draws = Draws(sizes);
  EXPECT_EQ(draws.front(), 200u);
  EXPECT_EQ(draws.back(), 5'000u);
  const auto at_max = std::count(draws.begin(), draws.end(), 5'000u);
  EXPECT_NEAR(static_cast<double>(at_max), kDraws * 0.01, 5 * std::sqrt(kDraws * 0.01 * 0.99));
  // P(size <= 200) = P(Z <= ln(200/300) / sigma).
  const double sigma = std::log(5'000.0 / 300) / NormalQuantile(0.99);
  const double share_min = 0.5 * std::erfc(-std::log(200.5 / 300) / sigma / std::sqrt(2.0));
  const auto at_min = std::count(draws.begin(), draws.end(), 200u);
  EXPECT_NEAR(static_cast<double>(at_min), kDraws * share_min,
              5 * std::sqrt(kDraws * share_min * (1 - share_min)));
  double sum = 0;
  for (std::uint32_t size : draws) sum += size;
  EXPECT_NEAR(MeanMessageSize(w), sum / kDraws, MeanMessageSize(w) * 0.01);
}

TEST(SizeChooser, TableDrawsEachSizeInItsWeightsShare) {
  config::Workload w;
  w.size_distribution = config::SizeDistribution::kTable;
  w.size_table = {{256, 90}, {4'096, 9}, {65'536, 1}};
  w.min_size = 256;
  w.max_size = 65'536;
  const SizeChooser sizes(w, kSeed);
  std::map<std::uint32_t, int> counts;
  for (std::uint32_t size : Draws(sizes)) ++counts[size];
  ASSERT_EQ(counts.size(), 3u);
  for (const auto& [size, share] : {std::pair{256u, 0.9}, {4'096u, 0.09}, {65'536u, 0.01}}) {
    EXPECT_NEAR(counts[size], kDraws * share, 5 * std::sqrt(kDraws * share * (1 - share))) << size;
  }
  EXPECT_DOUBLE_EQ(MeanMessageSize(w), 256 * 0.9 + 4'096 * 0.09 + 65'536 * 0.01);
}

TEST(SizeChooser, AMessageKeepsItsSizeAndSeedsDiffer) {
  config::Workload w;
  w.min_size = 56;
  w.max_size = 100'000;
  const SizeChooser sizes(w, kSeed);
  const SizeChooser again(w, kSeed);
  const SizeChooser other(w, kSeed + 1);
  int differ = 0;
  for (std::uint64_t n = 0; n < 1'000; ++n) {
    ASSERT_EQ(sizes.SizeOf(n), sizes.SizeOf(n));
    ASSERT_EQ(sizes.SizeOf(n), again.SizeOf(n));
    differ += sizes.SizeOf(n) != other.SizeOf(n);
  }
  EXPECT_GT(differ, 990);
}

}  // namespace
}  // namespace brokerload::pacing
