#include "pacing/publisher.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "publisher_fixture.hpp"

namespace brokerload::pacing::testing {
namespace {

TEST_F(PublisherTest, SendsExactlyWhatIsDueWithHeadersOnTheSchedule) {
  Publisher p = Make(schedule_);
  clock_.now = kStart + 10 * kMs;
  EXPECT_EQ(p.Step(clock_.now), 11u);
  ASSERT_EQ(producer_.sent.size(), 11u);
  for (std::size_t n = 0; n < producer_.sent.size(); ++n) {
    const FakeProducer::Sent& s = producer_.sent[n];
    EXPECT_EQ(s.topic, n % 5);
    EXPECT_EQ(s.header.topic, n % 5);
    EXPECT_EQ(s.header.sequence, n / 5);  // per topic, from 0, without gaps
    EXPECT_EQ(s.header.intended_ns, kStart + static_cast<std::int64_t>(n) * kMs);
    EXPECT_EQ(s.header.actual_ns, clock_.now);
    EXPECT_EQ(s.header.run_id, 42u);
    EXPECT_EQ(s.header.producer_id, 1u);
    EXPECT_EQ(s.header.key, message::kNoKey);
    EXPECT_TRUE(s.key.empty());
    EXPECT_EQ(s.size, 100u);
  }
  EXPECT_EQ(p.Step(clock_.now), 0u);  // nothing more is due yet
  clock_.now += kMs;
  EXPECT_EQ(p.Step(clock_.now), 1u);
  EXPECT_EQ(accounting_.TopicTotals(0).published, 3u);
}

TEST_F(PublisherTest, QueueFullIsRetriedAtTheNextStepAndCountsLate) {
  Publisher p = Make(schedule_);
  producer_.refusals = {driver::Status::kOk, driver::Status::kQueueFull};
  clock_.now = kStart + 2 * kMs;
  EXPECT_EQ(p.Step(clock_.now), 1u);  // the second send is refused: stop this step
  clock_.now = kStart + 5 * kMs;
  EXPECT_EQ(p.Step(clock_.now), 5u);  // messages 1..5
  EXPECT_EQ(producer_.sent[1].header.intended_ns, kStart + kMs);
  EXPECT_EQ(producer_.sent[1].header.sequence, 0u);  // topic 1's first
  std::uint64_t late = 0;
  for (std::size_t t = 0; t < 5; ++t) late += accounting_.TopicTotals(t).late_sends;
  EXPECT_EQ(late, 2u);  // messages 1 and 2 went out more than 2 ms late
}

TEST_F(PublisherTest, FallsBehindByMoreThanMaxSendLagDropsAndCountsInsteadOfQueueing) {
  Publisher p = Make(schedule_);
  clock_.now = kStart + 1'000 * kMs;  // a one-second stall
  p.Step(clock_.now);
  std::uint64_t dropped = 0;
  for (std::size_t t = 0; t < 5; ++t) dropped += accounting_.TopicTotals(t).dropped_sends;
  EXPECT_EQ(dropped, 900u);  // due before now - 100 ms
  EXPECT_EQ(producer_.sent.size(), 101u);
  EXPECT_EQ(producer_.sent.front().header.intended_ns, kStart + 900 * kMs);
  EXPECT_EQ(producer_.sent.front().header.sequence, 0u);  // drops never leave sequence gaps
}

TEST_F(PublisherTest, FailedSendsAreCountedAndLeaveNoSequenceGap) {
  Publisher p = Make(schedule_);
  producer_.refusals = {driver::Status::kDisconnected};
  clock_.now = kStart + 5 * kMs;  // messages 0..5; 0 and 5 go to topic 0
  p.Step(clock_.now);
  EXPECT_EQ(accounting_.TopicTotals(0)
                .send_errors[static_cast<std::size_t>(driver::Status::kDisconnected)],
            1u);
  ASSERT_EQ(producer_.sent.size(), 5u);
  EXPECT_EQ(producer_.sent.back().topic, 0u);
  EXPECT_EQ(producer_.sent.back().header.sequence, 0u);
}

TEST_F(PublisherTest, KeyModeCyclesKeysAndSendsThemAsMessageKeys) {
  workload_.keys = 3;
  Publisher p = Make(schedule_);
  clock_.now = kStart + 29 * kMs;
  p.Step(clock_.now);
  ASSERT_EQ(producer_.sent.size(), 30u);
  for (std::size_t n = 0; n < 30; ++n) {
    const std::uint32_t key = static_cast<std::uint32_t>((n / 5) % 3);
    EXPECT_EQ(producer_.sent[n].header.key, key);
    ASSERT_EQ(producer_.sent[n].key.size(), 4u);
    std::uint32_t sent_key = 0;
    std::memcpy(&sent_key, producer_.sent[n].key.data(), 4);
    EXPECT_EQ(sent_key, key);
  }
}

TEST_F(PublisherTest, SizesStayWithinMinAndMax) {
  workload_.min_size = 60;
  workload_.max_size = 90;
  Publisher p = Make(schedule_);
  for (clock_.now = kStart; clock_.now < kStart + 999 * kMs; clock_.now += 50 * kMs) {
    p.Step(clock_.now);
  }
  clock_.now = kStart + 999 * kMs;
  p.Step(clock_.now);
  ASSERT_EQ(producer_.sent.size(), 1'000u);
  std::size_t smallest = 1'000, largest = 0;
  for (const auto& s : producer_.sent) {
    smallest = std::min(smallest, s.size);
    largest = std::max(largest, s.size);
  }
  EXPECT_EQ(smallest, 60u);
  EXPECT_EQ(largest, 90u);
}

// Sample payloads from a file of three lines, for the tests below.
config::PayloadSamples ThreeSamples(bool random_order) {
  const std::string path = ::testing::TempDir() + "publisher_samples.jsonl";
  std::ofstream(path) << "{\"a\":1}\n{\"bb\":22}\n{\"ccc\":333}\n";
  std::string error;
  config::PayloadSamples samples{path, random_order, message::Samples::Load(path, error)};
  EXPECT_TRUE(samples.data) << error;
  return samples;
}

std::string Text(const std::vector<std::byte>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

TEST_F(PublisherTest, SamplesAreSentInTurnAfterTheHeader) {
  workload_.payload = config::PayloadKind::kSamples;
  workload_.samples = ThreeSamples(false);
  Publisher p = Make(schedule_);
  clock_.now = kStart + 5 * kMs;
  ASSERT_EQ(p.Step(clock_.now), 6u);
  const char* expected[] = {"{\"a\":1}", "{\"bb\":22}", "{\"ccc\":333}"};
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(Text(producer_.sent[i].body), expected[i % 3]) << i;
    EXPECT_EQ(producer_.sent[i].size, message::kHeaderSize + std::strlen(expected[i % 3])) << i;
    EXPECT_EQ(producer_.sent[i].header.intended_ns, kStart + static_cast<std::int64_t>(i) * kMs);
  }
}

TEST_F(PublisherTest, SamplesDrawnAtRandomTakeEachInItsShareAndARetryKeepsItsSample) {
  workload_.payload = config::PayloadKind::kSamples;
  workload_.samples = ThreeSamples(true);
  Publisher p = Make(schedule_);
  producer_.refusals = {driver::Status::kOk, driver::Status::kQueueFull};
  clock_.now = kStart + 2 * kMs;
  ASSERT_EQ(p.Step(clock_.now), 1u);  // message 1 refused
  for (; clock_.now <= kStart + 2'999 * kMs; clock_.now += 50 * kMs) p.Step(clock_.now);
  clock_.now = kStart + 2'999 * kMs;
  p.Step(clock_.now);
  ASSERT_EQ(producer_.sent.size(), 3'000u);
  std::map<std::string, int> counts;
  for (const auto& sent : producer_.sent) ++counts[Text(sent.body)];
  ASSERT_EQ(counts.size(), 3u);
  for (const auto& [text, count] : counts)
    EXPECT_NEAR(count, 1'000, 5 * std::sqrt(3'000 * 2 / 9.0)) << text;
  // The same run and message index draw the same sample: a second publisher agrees throughout,
  // the refused message included.
  FakeProducer again;
  Publisher q(workload_, run_, schedule_, again, accounting_, kRun, clock_, kStart);
  for (clock_.now = kStart; clock_.now <= kStart + 2'999 * kMs; clock_.now += 50 * kMs) {
    q.Step(clock_.now);
  }
  clock_.now = kStart + 2'999 * kMs;
  q.Step(clock_.now);
  ASSERT_EQ(again.sent.size(), 3'000u);
  for (std::size_t i = 0; i < 3'000; ++i)
    ASSERT_EQ(again.sent[i].body, producer_.sent[i].body) << i;
}

TEST_F(PublisherTest, FinishesWhenABoundedProfileIsDone) {
  const Schedule seed(config::SeedProfile(10'000));
  Publisher p = Make(seed);
  clock_.now = kStart + 2'099 * kMs;
  for (std::int64_t t = kStart; t <= clock_.now; t += 50 * kMs) p.Step(t);
  EXPECT_FALSE(p.Finished());
  EXPECT_EQ(p.CurrentStagePlan().name, "extreme");
  p.Step(kStart + 2'100 * kMs);
  EXPECT_TRUE(p.Finished());
  EXPECT_EQ(producer_.sent.size(), 21'000u);
}

TEST_F(PublisherTest, DropsAreCountedInThePhaseOfTheirScheduledTime) {
  accounting::TargetAccounting phased{{0, 5, 0, kRun, 2 * kMs, 2, false}};
  phased.SetPhases(
      {{0, kStart + 400 * kMs, false}, {kStart + 400 * kMs, kStart + 1'000 * kMs, true}});
  Publisher p(workload_, run_, schedule_, producer_, phased, kRun, clock_, kStart);
  clock_.now = kStart + 1'000 * kMs;  // a one-second stall: 0..899 dropped
  p.Step(clock_.now);
  EXPECT_EQ(phased.PhaseTotals(0).dropped_sends, 400u);  // due at 0..399 ms
  EXPECT_EQ(phased.PhaseTotals(1).dropped_sends, 500u);  // due at 400..899 ms
  EXPECT_EQ(phased.PhaseTotals(1).published, 101u);
}

TEST_F(PublisherTest, WakesAtTheNextDueTimeWhenThatComesBeforeTheNextTick) {
  Publisher p = Make(schedule_);  // 1,000 msg/s: message n due at n ms
  clock_.now = kStart + 10 * kMs + 300'000;
  EXPECT_EQ(p.Step(clock_.now), 11u);
  EXPECT_EQ(p.NextWakeNs(clock_.now, kMs), kStart + 11 * kMs);  // not 11.3 ms
}

TEST_F(PublisherTest, AtLowRatesItSleepsToTheNextDueTimeNotEachTick) {
  const Schedule slow = ConstantRate(10);  // one message every 100 ms
  Publisher p = Make(slow);
  clock_.now = kStart;
  EXPECT_EQ(p.Step(clock_.now), 1u);
  EXPECT_EQ(p.NextWakeNs(clock_.now, kMs), kStart + 100 * kMs);  // not kStart + 1 ms
  clock_.now = kStart + 99 * kMs + 500'000;  // woken early (a Wake()): the same due time
  EXPECT_EQ(p.Step(clock_.now), 0u);
  EXPECT_EQ(p.NextWakeNs(clock_.now, kMs), kStart + 100 * kMs);
}

TEST_F(PublisherTest, ASleepLastsAtMostTheLongestSleep) {
  const Schedule rare = ConstantRate(0.25);  // one message every 4 s
  Publisher p = Make(rare);
  clock_.now = kStart;
  EXPECT_EQ(p.Step(clock_.now), 1u);
  EXPECT_EQ(p.NextWakeNs(clock_.now, kMs), kStart + Publisher::kLongestSleepNs);
}

TEST_F(PublisherTest, AboveOneMessagePerMinWakeItSendsWhatIsDueInBatches) {
  const Schedule fast = ConstantRate(10'000);  // message n due at n * 100 us
  Publisher p = Make(fast);                    // run.min_wake: 250 us
  clock_.now = kStart + 350'000;
  EXPECT_EQ(p.Step(clock_.now), 4u);
  EXPECT_EQ(p.NextWakeNs(clock_.now, kMs), kStart + 600'000);  // not 400 us
  clock_.now = kStart + 600'000;
  EXPECT_EQ(p.Step(clock_.now), 3u);  // due at 400, 500 and 600 us; no more
}

TEST_F(PublisherTest, WithoutAMinWakeItWakesForEachMessage) {
  run_.min_wake = std::chrono::nanoseconds(0);
  const Schedule fast = ConstantRate(10'000);
  Publisher p = Make(fast);
  clock_.now = kStart + 350'000;
  EXPECT_EQ(p.Step(clock_.now), 4u);
  EXPECT_EQ(p.NextWakeNs(clock_.now, kMs), kStart + 400'000);
}

TEST_F(PublisherTest, InBurstsItWakesOncePerIntervalAndSendsEachBurstOnTime) {
  config::Profile profile{{config::Stage{"c", 1'000, std::nullopt, std::nullopt}}};
  profile.burst_interval = std::chrono::milliseconds(5);
  const Schedule bursts(profile);
  Publisher p = Make(bursts);
  clock_.now = kStart;
  EXPECT_EQ(p.Step(clock_.now), 5u);  // messages 0..4, all due at the interval's start
  EXPECT_EQ(p.NextWakeNs(clock_.now, kMs), kStart + 5 * kMs);  // not 1 ms: the next burst
  clock_.now = kStart + 5 * kMs;
  EXPECT_EQ(p.Step(clock_.now), 5u);
  for (const FakeProducer::Sent& s : producer_.sent) {
    EXPECT_EQ(s.header.actual_ns, s.header.intended_ns);  // no send lag: each on its burst's time
  }
  std::uint64_t late = 0;
  for (std::size_t t = 0; t < 5; ++t) late += accounting_.TopicTotals(t).late_sends;
  EXPECT_EQ(late, 0u);
}

TEST_F(PublisherTest, AMessageThatCameDueWhileSendingIsSentWithoutWaiting) {
  Publisher p = Make(schedule_);
  clock_.now = kStart + 4 * kMs;
  p.Step(kStart + 3 * kMs);  // the step began at 3 ms; sending took until 4 ms
  EXPECT_EQ(p.NextWakeNs(kStart + 3 * kMs, kMs), kStart + 4 * kMs);  // in the past: at once
}

TEST_F(PublisherTest, RefusedSendsAreRetriedATickLaterNotInABusyLoop) {
  Publisher p = Make(schedule_);
  producer_.refusals = {driver::Status::kOk, driver::Status::kQueueFull};
  clock_.now = kStart + 2 * kMs;
  EXPECT_EQ(p.Step(clock_.now), 1u);                           // message 1 (due at 1 ms) refused
  EXPECT_EQ(p.NextWakeNs(clock_.now, kMs), kStart + 3 * kMs);  // not 1 ms, which has passed
}

TEST_F(PublisherTest, NextDueIsTheNextUnsentMessagesScheduledTime) {
  Publisher p = Make(schedule_);
  EXPECT_EQ(p.NextDueNs(), kStart);
  p.Step(kStart + 2 * kMs + 1);
  EXPECT_EQ(p.NextDueNs(), kStart + 3 * kMs);
}

TEST_F(PublisherTest, AFinishedProfileSleepsTheLongestSleep) {
  const config::Profile once{{config::Stage{"s", 1'000, std::nullopt, std::uint64_t{3}}}};
  const Schedule three(once);
  Publisher p = Make(three);
  clock_.now = kStart + 5 * kMs;
  EXPECT_EQ(p.Step(clock_.now), 3u);
  EXPECT_TRUE(p.Finished());
  EXPECT_EQ(p.NextDueNs(), std::nullopt);
  EXPECT_EQ(p.NextWakeNs(clock_.now, kMs), clock_.now + Publisher::kLongestSleepNs);
}

// Driven by its own wake times on a clock that wakes exactly on time, every message leaves at
// its due time (send lag 0) and one at a time, at rates below, at and above one per tick, up to
// one per run.min_wake (4,000 msg/s by default); above, within min_wake of it.
TEST_F(PublisherTest, DrivenByItsWakeTimesEverySendLeavesExactlyOnTime) {
  for (const double rate : {10.0, 1'000.0, 3'000.0, 4'000.0}) {
    producer_.sent.clear();
    const Schedule schedule = ConstantRate(rate);
    Publisher p = Make(schedule);
    clock_.now = kStart;
    int steps_without_send = 0;
    while (producer_.sent.size() < 50) {
      if (p.Step(clock_.now) == 0) ++steps_without_send;
      clock_.now = p.NextWakeNs(clock_.now, kMs);
    }
    for (const FakeProducer::Sent& s : producer_.sent) {
      EXPECT_EQ(s.header.actual_ns, s.header.intended_ns) << rate << " msg/s";
    }
    // Every wake sends: none only to look.
    EXPECT_EQ(steps_without_send, 0) << rate << " msg/s";
  }
}

TEST_F(PublisherTest, DrivenByItsWakeTimesAt10000PerSecondEverySendLeavesWithinMinWake) {
  const Schedule schedule = ConstantRate(10'000);
  Publisher p = Make(schedule);
  clock_.now = kStart;
  while (producer_.sent.size() < 1'000) {
    p.Step(clock_.now);
    clock_.now = p.NextWakeNs(clock_.now, kMs);
  }
  std::int64_t worst = 0;
  for (const FakeProducer::Sent& s : producer_.sent) {
    worst = std::max(worst, s.header.actual_ns - s.header.intended_ns);
  }
  EXPECT_LT(worst, 250'000);
  EXPECT_GT(worst, 0);  // batches: not every message on its own wake
}

Schedule Unpaced(std::uint64_t window, std::int64_t warmup_ns = 0) {
  config::Profile profile{{config::Stage{"max", 1e7, std::nullopt, std::nullopt}}, false};
  profile.max_in_flight = window;
  return Schedule(profile, warmup_ns);
}

// Acknowledges the first `count` sent messages that are still unacknowledged.
void Ack(accounting::TargetAccounting& accounting, const FakeProducer& producer, std::size_t from,
         std::size_t count) {
  for (std::size_t i = from; i < from + count; ++i) {
    std::vector<std::byte> payload(100);
    message::Encode(producer.sent[i].header, payload);
    accounting.OnAck(payload, 0);
  }
}

// rate: max: as many as the window has room for, whatever the time, each leaving when sent.
TEST_F(PublisherTest, UnpacedItFillsTheWindowAndSendsMoreOnlyAsAcksFreeIt) {
  const Schedule schedule = Unpaced(100);
  Publisher p = Make(schedule);
  EXPECT_TRUE(p.Unpaced());
  clock_.now = kStart + 1;  // 1 ns after the start: a paced schedule would have 1 message due
  EXPECT_EQ(p.Step(clock_.now), 100u);
  EXPECT_EQ(p.Step(clock_.now), 0u);                               // full
  EXPECT_EQ(p.NextWakeNs(clock_.now, kMs), clock_.now + 250'000);  // min_wake: acks free it
  Ack(accounting_, producer_, 0, 30);
  EXPECT_EQ(p.Step(clock_.now), 30u);
  EXPECT_EQ(p.NextWakeNs(clock_.now, kMs), clock_.now);  // it sent: at once
  EXPECT_EQ(p.Step(clock_.now, 10), 0u);
  for (const FakeProducer::Sent& s : producer_.sent) {
    EXPECT_EQ(s.header.intended_ns, s.header.actual_ns);  // closed loop: no send lag
  }
  EXPECT_EQ(accounting_.InFlight(), 100u);
  EXPECT_FALSE(p.NextDueNs());
  EXPECT_FALSE(p.Finished());
}

TEST_F(PublisherTest, UnpacedABatchIsBoundedAndTheWarmupStageEndsByTime) {
  const Schedule schedule = Unpaced(1'000, 5 * kMs);
  Publisher p = Make(schedule);
  clock_.now = kStart + kMs;
  EXPECT_EQ(p.Step(clock_.now, 64), 64u);
  EXPECT_EQ(p.CurrentStagePlan().name, "warmup");
  clock_.now = kStart + 5 * kMs;
  EXPECT_EQ(p.Step(clock_.now, 64), 64u);
  EXPECT_EQ(p.CurrentStagePlan().name, "max");
}

// Records the scheduling policy of the thread that sends; each Send takes `cost`.
class PolicyRecordingProducer final : public driver::Producer {
 public:
  explicit PolicyRecordingProducer(std::chrono::nanoseconds cost) : cost_(cost) {}
  driver::Status Send(std::size_t, std::span<const std::byte>,
                      std::span<const std::byte>) override {
    const auto until = std::chrono::steady_clock::now() + cost_;
    while (std::chrono::steady_clock::now() < until) {
    }
    const std::lock_guard lock(mutex_);
    policies_.push_back(sched_getscheduler(0));
    return driver::Status::kOk;
  }
  bool Flush(std::chrono::milliseconds) override { return true; }
  driver::Description Describe() const override { return {}; }
  std::vector<int> Policies() const {
    const std::lock_guard lock(mutex_);
    return policies_;
  }

 private:
  std::chrono::nanoseconds cost_;
  mutable std::mutex mutex_;
  std::vector<int> policies_;
};

// Whether this process may use SCHED_FIFO (root, CAP_SYS_NICE or an RLIMIT_RTPRIO), tried on a
// thread of its own so that the test's thread keeps its policy.
bool RealtimePermitted() {
  bool permitted = false;
  std::thread([&] {
    sched_param param{};
    param.sched_priority = 1;
    permitted = pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) == 0;
  }).join();
  return permitted;
}

std::size_t LongestRun(const std::vector<int>& policies, int policy) {
  std::size_t longest = 0;
  std::size_t run = 0;
  for (const int p : policies) {
    run = p == policy ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}

// On schedule, sends leave under SCHED_FIFO where the process may use it, and the thread says
// so; where it may not, they leave at normal priority and the thread says that.
TEST_F(PublisherTest, ARealtimeThreadOnScheduleSendsUnderFifoWherePermitted) {
  const bool permitted = RealtimePermitted();
  PolicyRecordingProducer producer(std::chrono::nanoseconds(0));
  const RunClock clock;
  const Schedule schedule = ConstantRate(2'000);
  Publisher p(workload_, run_, schedule, producer, accounting_, kRun, clock, clock.NowNs());
  {
    PublisherThread thread(p, clock, std::chrono::milliseconds(1),
                           {.name = "pub-test", .realtime_priority = 10});
    while (producer.Policies().size() < 200)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_EQ(thread.Realtime(), permitted);
  }
  const std::vector<int> policies = producer.Policies();
  const int expected = permitted ? SCHED_FIFO : SCHED_OTHER;
  EXPECT_EQ(std::count(policies.begin(), policies.end(), expected),
            static_cast<std::ptrdiff_t>(policies.size()));
}

TEST_F(PublisherTest, ANormalThreadNeverAsksForRealtime) {
  PolicyRecordingProducer producer(std::chrono::nanoseconds(0));
  const RunClock clock;
  const Schedule schedule = ConstantRate(2'000);
  Publisher p(workload_, run_, schedule, producer, accounting_, kRun, clock, clock.NowNs());
  {
    PublisherThread thread(p, clock, std::chrono::milliseconds(1), {.name = "pub-test"});
    while (producer.Policies().size() < 50)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_FALSE(thread.Realtime());
  }
  const std::vector<int> policies = producer.Policies();
  EXPECT_EQ(std::count(policies.begin(), policies.end(), SCHED_OTHER),
            static_cast<std::ptrdiff_t>(policies.size()));
}

// A publisher that cannot keep up (each send takes 20 us, 1,000,000 msg/s asked) must not hold a
// core under SCHED_FIFO: at most kBusySteps batches of sends in a row, then normal priority until
// it catches up, which here it never does.
TEST_F(PublisherTest, ARealtimeThreadThatCannotKeepUpDropsToNormalPriority) {
  if (!RealtimePermitted()) {
    // Nothing to drop from; the thread must then never have been under FIFO at all.
    PolicyRecordingProducer producer(std::chrono::microseconds(20));
    const RunClock clock;
    const Schedule schedule = ConstantRate(1'000'000);
    Publisher p(workload_, run_, schedule, producer, accounting_, kRun, clock, clock.NowNs());
    {
      PublisherThread thread(p, clock, std::chrono::milliseconds(1),
                             {.name = "pub-test", .realtime_priority = 10});
    }
    EXPECT_EQ(LongestRun(producer.Policies(), SCHED_FIFO), 0u);
    return;
  }
  PolicyRecordingProducer producer(std::chrono::microseconds(20));
  const RunClock clock;
  const Schedule schedule = ConstantRate(1'000'000);
  // Started 10 ms ago: 10,000 sends due at the first step, more than one batch.
  Publisher p(workload_, run_, schedule, producer, accounting_, kRun, clock,
              clock.NowNs() - 10 * kMs);
  {
    PublisherThread thread(p, clock, std::chrono::milliseconds(1),
                           {.name = "pub-test", .realtime_priority = 10});
    while (producer.Policies().size() <
           (PublisherThread::kBusySteps + 3) * PublisherThread::kRealtimeBatch) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  const std::vector<int> policies = producer.Policies();
  // Its first kBusySteps full batches under FIFO, then normal priority for good.
  EXPECT_EQ(LongestRun(policies, SCHED_FIFO),
            PublisherThread::kBusySteps * PublisherThread::kRealtimeBatch);
  EXPECT_GE(LongestRun(policies, SCHED_OTHER), 2 * PublisherThread::kRealtimeBatch);
}

// A thread asleep until a send 10 s away ends its sleep for Stop() and for Wake() at once: a
// reload's settings are taken, and a stop returns, without waiting for the next due time.
TEST_F(PublisherTest, StopAndWakeEndTheSleepAtOnce) {
  PolicyRecordingProducer producer(std::chrono::nanoseconds(0));
  const RunClock clock;
  const Schedule slow = ConstantRate(0.1);
  Publisher p(workload_, run_, slow, producer, accounting_, kRun, clock, clock.NowNs());
  PublisherThread thread(p, clock, std::chrono::milliseconds(1), {.name = "pub-test"});
  const auto wait_for = [&](std::size_t sends) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (producer.Policies().size() < sends && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return producer.Policies().size();
  };
  ASSERT_EQ(wait_for(1), 1u);  // message 0; message 1 is due in 10 s
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const Schedule fast = ConstantRate(1'000);
  auto settings = std::make_unique<PublisherSettings>(
      MakeSettings(workload_, run_, fast, clock.NowNs(), kRun.run_id));
  p.Offer(std::move(settings));
  auto woken = std::chrono::steady_clock::now();
  thread.Wake();
  EXPECT_GE(wait_for(11), 11u);  // 1,000 msg/s from now, not from 10 s on
  EXPECT_LT(std::chrono::steady_clock::now() - woken, std::chrono::seconds(1));
  const auto stopping = std::chrono::steady_clock::now();
  thread.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, std::chrono::milliseconds(100));
}

// The voluntary context switches (sleeps) of this process's thread named `name`; -1 if none.
long SleepsOfThread(const std::string& name) {
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string line;
    if (!std::getline(comm, line) || line != name) continue;
    std::ifstream status(task.path() / "status");
    while (std::getline(status, line)) {
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0) return std::stol(line.substr(24));
    }
  }
  return -1;
}

// At 20 msg/s a paced thread sleeps once per send: about 10 sleeps in 0.5 s, not one per tick
// (500).
TEST_F(PublisherTest, AtLowRatesTheThreadWakesOnlyToSend) {
  PolicyRecordingProducer producer(std::chrono::nanoseconds(0));
  const RunClock clock;
  const Schedule schedule = ConstantRate(20);
  Publisher p(workload_, run_, schedule, producer, accounting_, kRun, clock, clock.NowNs());
  PublisherThread thread(p, clock, std::chrono::milliseconds(1), {.name = "pub-sleeps"});
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const long before = SleepsOfThread("bl-pub-sleeps");
  const std::size_t sent_before = producer.Policies().size();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const long sleeps = SleepsOfThread("bl-pub-sleeps") - before;
  const auto sends = static_cast<long>(producer.Policies().size() - sent_before);
  ASSERT_GE(before, 0) << "no thread named bl-pub-sleeps";
  EXPECT_GE(sends, 8);
  EXPECT_LE(sleeps, sends + 3);
}

TEST(BehindScheduleTest, AnyDropOrMoreThanOnePercentLateIsBehind) {
  EXPECT_FALSE(BehindSchedule(10'000, 0, 0));
  EXPECT_FALSE(BehindSchedule(10'000, 100, 0));  // exactly 1%: the odd late send
  EXPECT_TRUE(BehindSchedule(10'000, 101, 0));
  EXPECT_TRUE(BehindSchedule(10'000, 0, 1));
  EXPECT_TRUE(BehindSchedule(0, 0, 5));  // everything dropped, nothing sent
  EXPECT_TRUE(BehindSchedule(0, 1, 0));
  EXPECT_FALSE(BehindSchedule(0, 0, 0));  // an idle interval
}

}  // namespace
}  // namespace brokerload::pacing::testing
