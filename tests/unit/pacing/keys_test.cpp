#include "pacing/keys.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "message/header.hpp"

namespace brokerload::pacing {
namespace {

TEST(KeyChooser, WithoutKeysThereIsNone) {
  KeyChooser chooser(0, 1.2, 7);
  EXPECT_EQ(chooser.KeyOf(0, 5), message::kNoKey);
  EXPECT_EQ(chooser.KeyOf(12'345, 5), message::kNoKey);
}

TEST(KeyChooser, WithoutASkewEachTopicsMessagesTakeTheKeysInTurn) {
  KeyChooser chooser(3, 0, 7);
  // Topics 5: messages 0..4 are each topic's first (key 0), 5..9 their second (key 1) ...
  const std::vector<std::uint32_t> expected = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 0};
  for (std::uint64_t n = 0; n < expected.size(); ++n) EXPECT_EQ(chooser.KeyOf(n, 5), expected[n]);
  EXPECT_DOUBLE_EQ(chooser.Probability(1), 1.0 / 3);
}

TEST(KeyChooser, ASkewDrawsTheKeysByTheZipfLaw) {
  constexpr std::uint32_t kKeys = 10;
  constexpr double kSkew = 1.2;
  KeyChooser chooser(kKeys, kSkew, 42);
  double norm = 0;
  for (std::uint32_t k = 0; k < kKeys; ++k) norm += std::pow(k + 1.0, -kSkew);
  double total = 0;
  for (std::uint32_t k = 0; k < kKeys; ++k) {
    EXPECT_NEAR(chooser.Probability(k), std::pow(k + 1.0, -kSkew) / norm, 1e-12) << k;
    total += chooser.Probability(k);
  }
  EXPECT_NEAR(total, 1.0, 1e-12);
  constexpr int kDraws = 400'000;
  std::vector<int> counts(kKeys, 0);
  for (int n = 0; n < kDraws; ++n) {
    const std::uint32_t key = chooser.KeyOf(static_cast<std::uint64_t>(n), 5);
    ASSERT_LT(key, kKeys);
    ++counts[key];
  }
  for (std::uint32_t k = 0; k < kKeys; ++k) {
    const double p = chooser.Probability(k);
    const double sigma = std::sqrt(kDraws * p * (1 - p));
    EXPECT_NEAR(counts[k], kDraws * p, 5 * sigma) << "key " << k;  // key 0: about 40 %
  }
  EXPECT_GT(counts[0], 2 * counts[1]);
}

TEST(KeyChooser, AMessageHasOneKeyForItsSeedHoweverOftenItIsAskedAndAnotherSeedDrawsOthers) {
  const KeyChooser a(100, 1, 1), c(100, 1, 2);
  int differ = 0;
  for (std::uint64_t n = 0; n < 1'000; ++n) {
    const std::uint32_t key = a.KeyOf(n, 5);
    EXPECT_EQ(key, a.KeyOf(n, 5));  // a retried send
    differ += key != c.KeyOf(n, 5) ? 1 : 0;
  }
  EXPECT_GT(differ, 500);
}

}  // namespace
}  // namespace brokerload::pacing
