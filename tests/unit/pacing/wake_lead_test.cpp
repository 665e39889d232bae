#include "pacing/wake_lead.hpp"

#include <gtest/gtest.h>

namespace brokerload::pacing {
namespace {

constexpr std::int64_t kUs = 1'000;

TEST(WakeLeadTest, StartsWithoutLeadSoThatNothingSpinsBeforeAnyObservation) {
  const WakeLead lead;
  EXPECT_EQ(lead.LeadNs(1'000 * kUs), 0);
}

TEST(WakeLeadTest, SettlesOnTheUpperQuartileOfOversleep) {
  WakeLead lead;
  // Oversleeps 20, 40, 60, 80 us in turn: any value from 60 to 80 us has a quarter above it.
  for (int i = 0; i < 1'000; ++i) lead.Observe((20 + 20 * (i % 4)) * kUs);
  EXPECT_GE(lead.EstimateNs(), 59 * kUs);  // one step below, after a downward step
  EXPECT_LE(lead.EstimateNs(), 80 * kUs);
  EXPECT_EQ(lead.LeadNs(1'000 * kUs), lead.EstimateNs());
}

TEST(WakeLeadTest, FollowsALowerLatencyDownAgain) {
  WakeLead lead;
  for (int i = 0; i < 100; ++i) lead.Observe(50 * kUs);
  EXPECT_GE(lead.EstimateNs(), 49 * kUs);  // cycles 52, 51, 50, 49 us around it
  EXPECT_LE(lead.EstimateNs(), 52 * kUs);
  for (int i = 0; i < 100; ++i) lead.Observe(0);
  EXPECT_EQ(lead.EstimateNs(), 0);
}

TEST(WakeLeadTest, IsBoundedByTheMaximumAndByAQuarterOfTheSleep) {
  WakeLead lead;
  for (int i = 0; i < 1'000; ++i) lead.Observe(10'000 * kUs);  // a descheduled thread
  EXPECT_EQ(lead.EstimateNs(), WakeLead::kMaxLeadNs);
  EXPECT_EQ(lead.LeadNs(1'000 * kUs), WakeLead::kMaxLeadNs);
  EXPECT_EQ(lead.LeadNs(100 * kUs), 25 * kUs);  // 10,000 msg/s: spin at most a quarter
  EXPECT_EQ(lead.LeadNs(0), 0);
  EXPECT_EQ(lead.LeadNs(-5), 0);
}

}  // namespace
}  // namespace brokerload::pacing
