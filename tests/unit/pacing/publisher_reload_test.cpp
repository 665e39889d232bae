// Publisher::Offer: new settings handed to a running publisher (a config reload), stepped on a
// manual clock.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "publisher_fixture.hpp"

namespace brokerload::pacing::testing {
namespace {

class PublisherReloadTest : public PublisherTest {};

std::unique_ptr<PublisherSettings> Settings(const config::Workload& workload,
                                            const config::Run& run, const Schedule& schedule,
                                            std::int64_t start_ns) {
  return std::make_unique<PublisherSettings>(MakeSettings(workload, run, schedule, start_ns, 42));
}

// Each send's scheduled time, in microseconds after kStart.
std::vector<std::int64_t> IntendedUs(const std::vector<FakeProducer::Sent>& sent) {
  std::vector<std::int64_t> us;
  for (const FakeProducer::Sent& s : sent) us.push_back((s.header.intended_ns - kStart) / 1'000);
  return us;
}

TEST_F(PublisherReloadTest, AReloadChangesTheRateAtItsStartWithoutBurstOrGap) {
  Publisher p = Make(schedule_);  // 1,000 msg/s: due at 0, 1, 2 ... ms
  const Schedule slower = ConstantRate(100);
  p.Step(kStart + 12 * kMs);  // 0..12 ms
  p.Offer(Settings(workload_, run_, slower, kStart + 15 * kMs));
  p.Step(kStart + 13 * kMs);                    // takes the offer; 13 ms is the old schedule's
  EXPECT_EQ(p.NextDueNs(), kStart + 14 * kMs);  // still the old schedule's
  p.Step(kStart + 14 * kMs);
  EXPECT_EQ(p.NextDueNs(), kStart + 15 * kMs);  // the new one's first, not the old one's 15 ms
  EXPECT_EQ(p.NextWakeNs(kStart + 14 * kMs, kMs), kStart + 15 * kMs);
  EXPECT_EQ(p.CurrentStagePlan().rate, 1'000);
  EXPECT_EQ(p.Step(kStart + 15 * kMs), 1u);
  EXPECT_EQ(p.CurrentStagePlan().rate, 100);
  EXPECT_EQ(p.NextDueNs(), kStart + 25 * kMs);
  p.Step(kStart + 40 * kMs);
  std::vector<std::int64_t> expected;
  for (std::int64_t ms = 0; ms <= 14; ++ms) expected.push_back(ms * 1'000);
  for (std::int64_t ms : {15, 25, 35}) expected.push_back(ms * 1'000);
  EXPECT_EQ(IntendedUs(producer_.sent), expected);
  // One run: topics round robin on, each topic's sequence without a gap or a repeat.
  std::vector<std::uint64_t> next_sequence(5, 0);
  for (std::size_t n = 0; n < producer_.sent.size(); ++n) {
    const FakeProducer::Sent& s = producer_.sent[n];
    EXPECT_EQ(s.topic, n % 5);
    EXPECT_EQ(s.header.sequence, next_sequence[s.topic]++);
  }
}

TEST_F(PublisherReloadTest, ABurstThatStraddlesTheSwitchSendsOnlyItsMessagesBeforeIt) {
  config::Profile profile{{config::Stage{"c", 1'000, std::nullopt, std::nullopt}}};
  profile.burst_interval = std::chrono::milliseconds(5);
  const Schedule bursts(profile);
  Publisher p = Make(bursts);  // bursts of 5 at 0, 5, 10 ... ms
  p.Offer(Settings(workload_, run_, bursts, kStart + 12 * kMs));
  p.Step(kStart + 10 * kMs);  // the burst at 10 ms: its 10 and 11 ms messages, not 12..14 ms
  EXPECT_EQ(p.NextDueNs(), kStart + 12 * kMs);
  p.Step(kStart + 12 * kMs);  // the new schedule's first burst, from its start
  p.Step(kStart + 30 * kMs);
  std::vector<std::int64_t> expected;
  for (std::int64_t at : {0, 5}) expected.insert(expected.end(), 5, at * 1'000);
  expected.insert(expected.end(), 2, 10'000);
  for (std::int64_t at : {12, 17, 22, 27}) expected.insert(expected.end(), 5, at * 1'000);
  EXPECT_EQ(IntendedUs(producer_.sent), expected);  // 32: as many as 0..31 ms steady, no extra
}

TEST_F(PublisherReloadTest, ABurstSentWholeBeforeTheOfferIsNotSentAgainByTheNewSchedule) {
  config::Profile profile{{config::Stage{"c", 1'000, std::nullopt, std::nullopt}}};
  profile.burst_interval = std::chrono::milliseconds(5);
  const Schedule bursts(profile);
  Publisher p = Make(bursts);  // bursts of 5 at 0, 5, 10 ... ms
  p.Step(kStart + 10 * kMs);   // the burst at 10 ms whole: its 10..14 ms messages
  p.Offer(Settings(workload_, run_, bursts, kStart + 12 * kMs));
  p.Step(kStart + 12 * kMs);  // the new schedule's burst at 12 ms, less its 12..14 ms
  p.Step(kStart + 30 * kMs);
  std::vector<std::int64_t> expected;
  for (std::int64_t at : {0, 5, 10}) expected.insert(expected.end(), 5, at * 1'000);
  expected.insert(expected.end(), 2, 12'000);  // 15 and 16 ms
  for (std::int64_t at : {17, 22, 27}) expected.insert(expected.end(), 5, at * 1'000);
  EXPECT_EQ(IntendedUs(producer_.sent), expected);  // 32: as many as 0..31 ms steady, no extra
}

TEST_F(PublisherReloadTest, SettingsTakenAfterTheirStartSendNothingTwice) {
  Publisher p = Make(schedule_);
  p.Step(kStart + 20 * kMs);  // 0..20 ms sent before the offer was seen
  const Schedule faster = ConstantRate(2'000);
  p.Offer(Settings(workload_, run_, faster, kStart + 15 * kMs));
  EXPECT_EQ(p.Step(kStart + 30 * kMs), 20u);  // the new schedule's 20.5, 21 .. 30 ms
  ASSERT_EQ(producer_.sent.size(), 21u + 20u);
  EXPECT_EQ(producer_.sent[20].header.intended_ns, kStart + 20 * kMs);
  EXPECT_EQ(producer_.sent[21].header.intended_ns, kStart + 20 * kMs + 500'000);
  EXPECT_EQ(producer_.sent.back().header.intended_ns, kStart + 30 * kMs);
  EXPECT_EQ(p.NextDueNs(), kStart + 30 * kMs + 500'000);
}

TEST_F(PublisherReloadTest, WhatTheOldScheduleCouldNotSendBeforeTheSwitchGoesFirst) {
  Publisher p = Make(schedule_);
  const Schedule slower = ConstantRate(500);  // due at 5, 7, 9 ... ms from its start
  p.Offer(Settings(workload_, run_, slower, kStart + 5 * kMs));
  producer_.refusals = {driver::Status::kOk, driver::Status::kOk, driver::Status::kOk,
                        driver::Status::kQueueFull};
  EXPECT_EQ(p.Step(kStart), 1u);
  EXPECT_EQ(p.Step(kStart + 5 * kMs), 2u);  // 1, 2 ms; 3 ms refused: no switch yet
  EXPECT_EQ(p.CurrentStagePlan().rate, 1'000);
  EXPECT_EQ(p.Step(kStart + 6 * kMs), 3u);  // 3, 4 ms, then the new schedule's 5 ms
  EXPECT_EQ(IntendedUs(producer_.sent),
            (std::vector<std::int64_t>{0, 1'000, 2'000, 3'000, 4'000, 5'000}));
  EXPECT_EQ(p.CurrentStagePlan().rate, 500);
}

TEST_F(PublisherReloadTest, AStallOverASwitchDropsWhatIsTooLateOnBothSidesOfIt) {
  Publisher p = Make(schedule_);  // max_send_lag 100 ms
  const Schedule same = ConstantRate(1'000);
  p.Offer(Settings(workload_, run_, same, kStart + 50 * kMs));
  p.Step(kStart + 1'000 * kMs);  // a one-second stall
  std::uint64_t dropped = 0;
  for (std::size_t t = 0; t < 5; ++t) dropped += accounting_.TopicTotals(t).dropped_sends;
  EXPECT_EQ(dropped, 900u);  // as without the reload: what was due before 900 ms
  EXPECT_EQ(producer_.sent.size(), 101u);
  EXPECT_EQ(producer_.sent.front().header.intended_ns, kStart + 900 * kMs);
}

TEST_F(PublisherReloadTest, AReloadRestartsAFinishedProfile) {
  const Schedule three(
      config::Profile{{config::Stage{"s", 1'000, std::nullopt, std::uint64_t{3}}}});
  Publisher p = Make(three);
  p.Step(kStart + 5 * kMs);
  EXPECT_TRUE(p.Finished());
  const Schedule again(
      config::Profile{{config::Stage{"again", 100, std::nullopt, std::uint64_t{2}}}});
  p.Offer(Settings(workload_, run_, again, kStart + 10 * kMs));
  EXPECT_TRUE(p.Finished());  // not taken yet
  EXPECT_EQ(p.Step(kStart + 6 * kMs), 0u);
  EXPECT_FALSE(p.Finished());
  EXPECT_EQ(p.NextDueNs(), kStart + 10 * kMs);
  EXPECT_EQ(p.Step(kStart + 10 * kMs), 1u);
  EXPECT_EQ(p.CurrentStagePlan().name, "again");
  EXPECT_EQ(p.Step(kStart + 30 * kMs), 1u);
  EXPECT_TRUE(p.Finished());
  EXPECT_EQ(p.NextDueNs(), std::nullopt);
}

TEST_F(PublisherReloadTest, TheNewMessageSizeAndPayloadApplyFromTheSwitch) {
  Publisher p = Make(schedule_);  // 100 bytes of random payload
  config::Workload bigger = workload_;
  bigger.min_size = bigger.max_size = 200;
  bigger.payload = config::PayloadKind::kCompressible;
  p.Offer(Settings(bigger, run_, schedule_, kStart + 3 * kMs));
  p.Step(kStart + 5 * kMs);
  ASSERT_EQ(producer_.sent.size(), 6u);
  const char pattern[] = "brokerload compressible payload 0123456789 ";
  for (std::size_t n = 0; n < 6; ++n) {
    EXPECT_EQ(producer_.sent[n].size, n < 3 ? 100u : 200u) << n;
  }
  EXPECT_EQ(producer_.sent[5].last, static_cast<std::byte>(pattern[199 % (sizeof pattern - 1)]));
}

TEST_F(PublisherReloadTest, SamplesThenSizesThenSamplesAgainSwitchAtEachStart) {
  // One sample of 300 bytes, larger than the sizes' 100: each switch brings its own buffer.
  const std::string path = ::testing::TempDir() + "reload_samples.txt";
  std::ofstream(path) << std::string(300, 's') << "\n";
  std::string error;
  config::Workload samples = workload_;
  samples.payload = config::PayloadKind::kSamples;
  samples.samples = {path, false, message::Samples::Load(path, error)};
  ASSERT_TRUE(samples.samples.data) << error;
  Publisher p = Make(schedule_);  // 100 bytes
  p.Offer(Settings(samples, run_, schedule_, kStart + 2 * kMs));
  p.Step(kStart + 3 * kMs);
  p.Offer(Settings(workload_, run_, schedule_, kStart + 5 * kMs));
  p.Step(kStart + 5 * kMs);
  p.Offer(Settings(samples, run_, schedule_, kStart + 7 * kMs));
  p.Step(kStart + 8 * kMs);
  ASSERT_EQ(producer_.sent.size(), 9u);
  const std::size_t with_sample = message::kHeaderSize + 300;
  // Samples from 2 ms, sizes from 5 ms, samples again from 7 ms.
  const std::vector<std::size_t> expected = {100, 100, with_sample, with_sample, with_sample,
                                             100, 100, with_sample, with_sample};
  for (std::size_t n = 0; n < 9; ++n) {
    EXPECT_EQ(producer_.sent[n].size, expected[n]) << n;
    if (expected[n] == with_sample) {
      EXPECT_EQ(producer_.sent[n].body, std::vector<std::byte>(300, std::byte{'s'})) << n;
    }
  }
}

TEST_F(PublisherReloadTest, TheLatestOfferWinsOverOneNotYetInEffect) {
  Publisher p = Make(schedule_);
  const Schedule slow = ConstantRate(100);
  const Schedule slower = ConstantRate(50);
  p.Offer(Settings(workload_, run_, slow, kStart + 10 * kMs));
  p.Step(kStart);  // taken, waiting for 10 ms
  p.Offer(Settings(workload_, run_, slower, kStart + 20 * kMs));
  p.Step(kStart + 19 * kMs);  // the old schedule up to 19 ms: the first offer never applies
  EXPECT_EQ(producer_.sent.size(), 20u);
  p.Step(kStart + 60 * kMs);
  EXPECT_EQ(IntendedUs({producer_.sent.begin() + 20, producer_.sent.end()}),
            (std::vector<std::int64_t>{20'000, 40'000, 60'000}));
}

TEST_F(PublisherReloadTest, ANewScheduleWithAWarmupRemainderShowsItThenItsOwnStages) {
  Publisher p = Make(schedule_);
  const Schedule rest(config::Profile{{config::Stage{"steady", 500, std::nullopt, std::nullopt}}},
                      4 * kMs);
  p.Offer(Settings(workload_, run_, rest, kStart + 2 * kMs));
  p.Step(kStart + 2 * kMs);
  EXPECT_EQ(p.CurrentStagePlan().name, "warmup");
  EXPECT_EQ(p.CurrentStagePlan().rate, 500);
  p.Step(kStart + 6 * kMs);
  EXPECT_EQ(p.CurrentStagePlan().name, "steady");
}

// A reload from paced to rate: max: the old schedule sends what was due before the switch, then
// the unpaced settings send within their window only (never the nominal rate's backlog).
TEST_F(PublisherReloadTest, ASwitchToUnpacedSendsWithinItsWindowOnly) {
  Publisher p = Make(schedule_);  // 1,000 msg/s
  p.Step(kStart + 9 * kMs);       // 0..9 ms: 10 sent
  config::Profile max{{config::Stage{"max", 1e7, std::nullopt, std::nullopt}}, false};
  max.max_in_flight = 25;
  const Schedule unpaced(max);
  p.Offer(Settings(workload_, run_, unpaced, kStart + 10 * kMs));
  EXPECT_EQ(p.Step(kStart + 12 * kMs), 0u);  // nothing of the old one left (9 ms its last): switch
  EXPECT_TRUE(p.Unpaced());
  EXPECT_EQ(p.CurrentStagePlan().name, "max");
  // 10 in flight (none acknowledged): 15 more fit the window of 25, however late the step.
  EXPECT_EQ(p.Step(kStart + 50 * kMs), 15u);
  EXPECT_EQ(p.Step(kStart + 51 * kMs), 0u);
  EXPECT_EQ(producer_.sent.size(), 25u);
  EXPECT_EQ(accounting_.Sum().dropped_sends, 0u);
}

}  // namespace
}  // namespace brokerload::pacing::testing
