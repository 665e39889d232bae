#include "pacing/schedule.hpp"

#include <gtest/gtest.h>

namespace brokerload::pacing {
namespace {

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kSecond = 1'000'000'000;

config::Profile Constant(double rate) {
  return config::Profile{{config::Stage{"constant", rate, std::nullopt, std::nullopt}}, false};
}

TEST(Schedule, ConstantRateIsDueOnAnAbsoluteGrid) {
  const Schedule s(Constant(1'000));
  EXPECT_EQ(s.DueAt(-1), 0u);
  EXPECT_EQ(s.DueAt(0), 1u);  // message 0 at the start
  EXPECT_EQ(s.DueAt(kMs - 1), 1u);
  EXPECT_EQ(s.DueAt(kMs), 2u);
  EXPECT_EQ(s.DueAt(kSecond), 1'001u);
  EXPECT_FALSE(s.TotalMessages().has_value());
}

TEST(Schedule, DoesNotDriftOverADay) {
  const Schedule s(Constant(333'333));
  const std::int64_t day = 86'400 * kSecond;
  EXPECT_EQ(s.DueAt(day), 333'333ull * 86'400 + 1);
  EXPECT_EQ(s.IntendedOffsetNs(333'333ull * 86'400), day);
}

TEST(Schedule, EveryMessageIsDueExactlyAtItsIntendedOffset) {
  for (double rate : {1.0, 7.0, 1'000.0, 3'333.3, 100'000.0, 999'999.0}) {
    const Schedule s(Constant(rate));
    for (std::uint64_t n = 0; n < 5'000; n += 7) {
      const std::int64_t at = s.IntendedOffsetNs(n);
      ASSERT_EQ(s.DueAt(at), n + 1) << "rate " << rate << " message " << n;
      ASSERT_EQ(s.DueAt(at - 1), n) << "rate " << rate << " message " << n;
    }
  }
}

TEST(Schedule, StagesRunOneAfterAnotherWithCountsOrDurations) {
  config::Profile p;
  p.stages = {config::Stage{"a", 1'000, std::nullopt, 10},
              config::Stage{"b", 100, std::chrono::seconds(2), std::nullopt}};
  const Schedule s(p);
  ASSERT_EQ(s.Stages().size(), 2u);
  EXPECT_EQ(s.Stages()[0].duration_ns, 10 * kMs);
  EXPECT_EQ(s.Stages()[1].messages, 200u);
  EXPECT_EQ(s.TotalMessages(), 210u);
  EXPECT_EQ(s.TotalDurationNs(), 10 * kMs + 2 * kSecond);
  EXPECT_EQ(s.DueAt(9 * kMs), 10u);
  EXPECT_EQ(s.DueAt(10 * kMs), 11u);  // first message of b, at its start
  EXPECT_EQ(s.StageOf(9), 0u);
  EXPECT_EQ(s.StageOf(10), 1u);
  EXPECT_EQ(s.IntendedOffsetNs(11), 20 * kMs);
  EXPECT_EQ(s.DueAt(100 * kSecond), 210u);  // the profile ended
}

TEST(Schedule, RepeatedProfilesCycle) {
  config::Profile p;
  p.stages = {config::Stage{"a", 1'000, std::nullopt, 10}};
  p.repeat = true;
  const Schedule s(p);
  EXPECT_FALSE(s.TotalMessages().has_value());
  EXPECT_EQ(s.DueAt(10 * kMs), 11u);
  EXPECT_EQ(s.IntendedOffsetNs(25), 25 * kMs);
  EXPECT_EQ(s.StageOf(25), 0u);
}

TEST(Schedule, TheSeedProfileHasTheSeedsFourLevels) {
  const Schedule s(config::SeedProfile(10'000));
  ASSERT_EQ(s.Stages().size(), 4u);
  EXPECT_EQ(s.Stages()[3].name, "extreme");
  EXPECT_EQ(s.TotalMessages(), 21'000u);
  EXPECT_EQ(s.TotalDurationNs(), 2'100 * kMs);
}

TEST(Schedule, TheSeedProfileRepeatsEachLevelToADurationFloorInWholeLevels) {
  const Schedule s(config::SeedProfile(10'000, std::chrono::seconds(2)));
  ASSERT_EQ(s.Stages().size(), 4u);
  EXPECT_EQ(s.Stages()[0].messages, 20'000u);  // 1,000 x 20
  EXPECT_EQ(s.Stages()[1].messages, 20'000u);  // 4,000 x 5
  EXPECT_EQ(s.Stages()[2].messages, 24'000u);  // 6,000 x 4: whole repetitions, >= 2 s
  EXPECT_EQ(s.Stages()[3].messages, 20'000u);  // 10,000 x 2
}

TEST(Schedule, AWarmupComesFirstAtTheFirstStagesRateAndIsNotRepeated) {
  config::Profile p{{config::Stage{"a", 1'000, std::chrono::nanoseconds(10 * kMs), std::nullopt},
                     config::Stage{"b", 100, std::chrono::nanoseconds(20 * kMs), std::nullopt}},
                    true};
  const Schedule s(p, 5 * kMs);
  ASSERT_TRUE(s.HasWarmup());
  ASSERT_EQ(s.Stages().size(), 3u);
  EXPECT_EQ(s.Stages()[0].name, "warmup");
  EXPECT_EQ(s.Stages()[0].messages, 5u);  // at 0..4 ms
  EXPECT_EQ(s.Stages()[1].start_ns, 5 * kMs);
  EXPECT_EQ(s.Stages()[1].first_message, 5u);
  EXPECT_EQ(s.DueAt(5 * kMs - 1), 5u);
  EXPECT_EQ(s.DueAt(5 * kMs), 6u);  // stage a's first message, at the warm-up's end
  EXPECT_EQ(s.IntendedOffsetNs(5), 5 * kMs);
  EXPECT_EQ(s.StageOf(4), 0u);
  EXPECT_EQ(s.StageOf(5), 1u);
  EXPECT_EQ(s.StageOf(15), 2u);
  // The cycle (a: 10 messages in 10 ms, b: 2 in 20 ms) repeats after the warm-up, not it.
  EXPECT_EQ(s.IntendedOffsetNs(5 + 12), 5 * kMs + 30 * kMs);
  EXPECT_EQ(s.StageOf(5 + 12), 1u);
  EXPECT_EQ(s.DueAt(5 * kMs + 30 * kMs), 5u + 12 + 1);
  EXPECT_FALSE(s.TotalMessages().has_value());
}

TEST(Schedule, ABoundedProfileWithAWarmupCountsItInTheTotals) {
  config::Profile p{{config::Stage{"a", 1'000, std::nullopt, 100}}, false};
  const Schedule s(p, kSecond);
  EXPECT_EQ(s.TotalMessages(), 1'100u);
  EXPECT_EQ(s.TotalDurationNs(), kSecond + 100 * kMs);
  EXPECT_EQ(s.WarmupNs(), kSecond);
  EXPECT_FALSE(Schedule(p).HasWarmup());
}

config::Profile InBursts(config::Profile p, std::int64_t interval_ns) {
  p.burst_interval = config::Duration(interval_ns);
  return p;
}

TEST(Schedule, BurstsMakeEachIntervalsMessagesDueAtItsStart) {
  const Schedule s(InBursts(Constant(1'000), 5 * kMs));
  EXPECT_EQ(s.DueAt(-1), 0u);
  EXPECT_EQ(s.DueAt(0), 5u);  // messages 0..4 (even: 0..4 ms) at 0
  EXPECT_EQ(s.DueAt(5 * kMs - 1), 5u);
  EXPECT_EQ(s.DueAt(5 * kMs), 10u);
  EXPECT_EQ(s.IntendedOffsetNs(4), 0);
  EXPECT_EQ(s.IntendedOffsetNs(5), 5 * kMs);
  EXPECT_EQ(s.IntendedOffsetNs(9), 5 * kMs);
  EXPECT_EQ(s.DueAt(kSecond), 1'005u);  // the interval [1000, 1005) ms
  // No drift: the same count as without bursts at every interval's end.
  const Schedule even(Constant(1'000));
  EXPECT_EQ(s.DueAt(86'400 * kSecond - 1), even.DueAt(86'400 * kSecond - 1));
}

TEST(Schedule, BurstsOfOneMessageLeaveASlowRateAsItWas) {
  const Schedule bursts(InBursts(Constant(100), 5 * kMs));
  const Schedule even(Constant(100));
  for (std::uint64_t n = 0; n < 1'000; ++n) {
    ASSERT_EQ(bursts.IntendedOffsetNs(n), even.IntendedOffsetNs(n)) << n;
  }
  for (std::int64_t t = 0; t < kSecond; t += kMs / 3)
    ASSERT_EQ(bursts.DueAt(t), even.DueAt(t)) << t;
}

TEST(Schedule, ABurstNeverReachesIntoTheNextStage) {
  // a: 7 messages at 0..6 ms; b: 100 msg/s from 7 ms. Intervals of 5 ms from each stage's start.
  config::Profile p;
  p.stages = {config::Stage{"a", 1'000, std::nullopt, 7},
              config::Stage{"b", 100, std::nullopt, std::nullopt}};
  const Schedule s(InBursts(p, 5 * kMs));
  EXPECT_EQ(s.DueAt(5 * kMs), 7u);  // a's 5 and 6 at 5 ms; not b's first
  EXPECT_EQ(s.DueAt(7 * kMs - 1), 7u);
  EXPECT_EQ(s.DueAt(7 * kMs), 8u);  // b's first at b's start
  EXPECT_EQ(s.IntendedOffsetNs(7), 7 * kMs);
  EXPECT_EQ(s.IntendedOffsetNs(8), 17 * kMs);  // b's interval [17, 22) ms
  EXPECT_EQ(s.StageOf(6), 0u);
  EXPECT_EQ(s.StageOf(7), 1u);
}

TEST(Schedule, BurstsKeepEveryMessageInItsStageAndIntervalWithWarmupStagesAndRepeats) {
  config::Profile p;
  p.stages = {config::Stage{"a", 3'333.3, config::Duration(23 * kMs), std::nullopt},
              config::Stage{"b", 777, std::nullopt, 41}};
  p.repeat = true;
  const std::int64_t interval = 5 * kMs;
  const Schedule even(p, 13 * kMs);
  const Schedule s(InBursts(p, interval), 13 * kMs);
  for (std::uint64_t n = 0; n < 20'000; ++n) {
    const std::int64_t at = s.IntendedOffsetNs(n);
    const std::int64_t even_at = even.IntendedOffsetNs(n);
    ASSERT_LE(at, even_at) << n;
    ASSERT_GT(at, even_at - interval) << n;
    ASSERT_EQ(s.StageOf(n), even.StageOf(n)) << n;
    // Never before its stage's start: the first message of a stage is due at its even offset.
    if (n > 0 && even.StageOf(n - 1) != even.StageOf(n)) {
      ASSERT_EQ(at, even_at) << n;
    }
    ASSERT_GT(s.DueAt(at), n) << n;
    if (at > 0) {
      ASSERT_LE(s.DueAt(at - 1), n) << n;
    }
  }
}

TEST(Schedule, AutoBurstIntervalIsAHundredMessagesAtMost40MsAndNoneBelowTwoMessages) {
  EXPECT_EQ(AutoBurstIntervalNs(10'000), 10 * kMs);  // 100 messages
  EXPECT_EQ(AutoBurstIntervalNs(100'000), kMs);      // 100 messages
  EXPECT_EQ(AutoBurstIntervalNs(1'000), 40 * kMs);   // 40 messages: the longest interval
  EXPECT_EQ(AutoBurstIntervalNs(2'500), 40 * kMs);   // exactly 100 messages
  EXPECT_EQ(AutoBurstIntervalNs(100), 40 * kMs);     // 4 messages
  EXPECT_EQ(AutoBurstIntervalNs(50), 40 * kMs);      // 2 messages
  EXPECT_EQ(AutoBurstIntervalNs(49), 0);             // fewer than 2: each at its own time
  EXPECT_EQ(AutoBurstIntervalNs(0), 0);
  EXPECT_EQ(AutoBurstIntervalNs(1'000'000), 100'000);  // the shortest explicit interval
  EXPECT_EQ(AutoBurstIntervalNs(2'000'000), 0);        // shorter: none
}

TEST(Schedule, AutoBurstsTakeEachStagesIntervalFromItsRateWarmupIncluded) {
  // Warm-up 100 ms at a's rate (10,000 msg/s: 10 ms), a 1,000 messages at 10,000 msg/s (10 ms),
  // b 1 s at 1,000 msg/s (40 ms), c at 10 msg/s (none).
  config::Profile p;
  p.stages = {config::Stage{"a", 10'000, std::nullopt, 1'000},
              config::Stage{"b", 1'000, config::Duration(kSecond), std::nullopt},
              config::Stage{"c", 10, std::nullopt, std::nullopt}};
  p.burst_auto = true;
  const Schedule s(p, 100 * kMs);
  ASSERT_EQ(s.Stages().size(), 4u);
  EXPECT_EQ(s.Stages()[0].burst_ns, 10 * kMs);
  EXPECT_EQ(s.Stages()[1].burst_ns, 10 * kMs);
  EXPECT_EQ(s.Stages()[2].burst_ns, 40 * kMs);
  EXPECT_EQ(s.Stages()[3].burst_ns, 0);
  EXPECT_EQ(s.DueAt(0), 100u);            // the warm-up's first 10 ms
  EXPECT_EQ(s.DueAt(100 * kMs), 1'100u);  // a's first 100 at its start
  EXPECT_EQ(s.IntendedOffsetNs(1'099), 100 * kMs);
  EXPECT_EQ(s.IntendedOffsetNs(1'100), 110 * kMs);
  const std::int64_t b_start = 200 * kMs;  // a: 1,000 messages at 10,000 msg/s
  EXPECT_EQ(s.Stages()[2].first_message, 2'000u);
  EXPECT_EQ(s.IntendedOffsetNs(2'000), b_start);
  EXPECT_EQ(s.IntendedOffsetNs(2'039), b_start);  // b's first 40 at its start
  EXPECT_EQ(s.IntendedOffsetNs(2'040), b_start + 40 * kMs);
  EXPECT_EQ(s.DueAt(b_start + 40 * kMs - 1), 2'040u);
  EXPECT_EQ(s.DueAt(b_start + 40 * kMs), 2'080u);
  // c: each message at its own time, 100 ms apart.
  const std::int64_t c_start = b_start + kSecond;
  const std::uint64_t c_first = s.Stages()[3].first_message;
  EXPECT_EQ(s.IntendedOffsetNs(c_first), c_start);
  EXPECT_EQ(s.IntendedOffsetNs(c_first + 1), c_start + 100 * kMs);
  EXPECT_EQ(s.DueAt(c_start + 100 * kMs - 1), c_first + 1);
}

TEST(Schedule, AutoBurstsOfAnUnpacedProfileAreNone) {
  config::Profile p{{config::Stage{"max", 1e7, std::nullopt, std::nullopt}}, false};
  p.max_in_flight = 100;
  p.burst_auto = true;
  EXPECT_EQ(Schedule(p).Stages()[0].burst_ns, 0);
}

}  // namespace
}  // namespace brokerload::pacing
