// TargetAccounting in consume-only (kAnySource: every sender's messages, by their own sequences)
// and produce-only (kNone: nothing consumed, nothing counted lost) instances.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "accounting/target_accounting.hpp"
#include "message/header.hpp"
#include "payloads.hpp"

namespace brokerload::accounting {
namespace {

constexpr RunIdentity kA{0xA, 0};
constexpr RunIdentity kB{0xB, 1};
constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kGrace = 5 * kSecond;

// A message of sender `from`, sent 100 ns after its scheduled time.
std::vector<std::byte> Payload(RunIdentity from, std::uint16_t topic, std::uint64_t sequence,
                               std::int64_t intended_ns = 1'000,
                               std::uint32_t key = message::kNoKey) {
  return testing::Payload(topic, sequence, key, from, intended_ns, intended_ns + 100);
}

TargetAccounting::Options AnySource(std::size_t topics, std::uint32_t keys = 0,
                                    std::int64_t warmup_ns = 0) {
  TargetAccounting::Options o;
  o.topics = topics;
  o.keys = keys;
  o.identity = {0x1234, 7};  // the consumer's own: never matched against
  o.receive = ReceiveMode::kAnySource;
  o.source_warmup_ns = warmup_ns;
  return o;
}

class AnySourceTest : public ::testing::Test {
 protected:
  AnySourceTest() { accounting_.AcceptFrom(0); }

  bool Receive(RunIdentity from, std::uint16_t topic, std::uint64_t sequence,
               std::int64_t now_ns = 10'000, bool replayed = false) {
    return accounting_.OnReceived(topic, Payload(from, topic, sequence), now_ns, item_, replayed);
  }
  Totals Topic(std::size_t topic) const { return accounting_.TopicTotals(topic); }
  std::uint64_t Foreign(std::size_t topic, ForeignReason reason) const {
    return accounting_.ForeignCount(topic, reason);
  }

  TargetAccounting accounting_{AnySource(2)};
  WorkItem item_;
};

// A sender whose clock is ahead: what arrives before its scheduled send time by this instance's
// clock is counted, with the most negative value, and recorded in no latency histogram (where it
// would read as 0); a latency of exactly 0 is no skew.
TEST_F(AnySourceTest, ArrivalsBeforeTheirScheduledTimeAreCountedNotRecordedAsZero) {
  constexpr std::int64_t kMs = 1'000'000;
  constexpr std::int64_t kNow = 100 * kSecond;
  accounting_.Sweep(kNow, kGrace);  // the negative window's first interval: [100 s, 110 s)
  auto receive = [&](std::uint16_t topic, std::uint64_t sequence, std::int64_t latency_ns) {
    return accounting_.OnReceived(topic, Payload(kA, topic, sequence, kNow - latency_ns), kNow,
                                  item_);
  };
  EXPECT_TRUE(receive(0, 0, -3 * kMs));  // accounted (and processed) as any arrival
  EXPECT_TRUE(receive(0, 1, -7 * kMs));
  EXPECT_TRUE(receive(1, 0, -1));  // 1 ns early
  EXPECT_TRUE(receive(1, 1, 0));   // on time: not negative
  EXPECT_TRUE(receive(1, 2, 2 * kMs));
  EXPECT_FALSE(receive(0, 1, -9 * kMs));  // a second arrival: a redelivery, not counted again
  EXPECT_EQ(Topic(0).negative_latency, 2u);
  EXPECT_EQ(Topic(1).negative_latency, 1u);
  EXPECT_EQ(accounting_.Sum().negative_latency, 3u);
  EXPECT_EQ(accounting_.Sum().consumed, 6u);
  EXPECT_EQ(accounting_.MostNegativeEndToEndNs(), -7 * kMs);
  std::uint64_t recorded = 0;
  for (std::size_t t = 0; t < 2; ++t) {
    recorded += accounting_.Latencies(t).end_to_end.Snapshot().Count();
    EXPECT_EQ(accounting_.Latencies(t).end_to_end_service.Snapshot().Count(), t == 1 ? 2u : 0u);
  }
  EXPECT_EQ(recorded, 2u);  // the on-time one and the one 2 ms late
  EXPECT_DOUBLE_EQ(accounting_.Latencies(1).end_to_end.Snapshot().SumSeconds(), 0.002);
  // The window: the interval it was seen in closed, and 5 more, with the one in progress; then
  // forgotten when the 7th after it closes.
  for (std::int64_t s = 110; s <= 160; s += 10) accounting_.Sweep(s * kSecond, kGrace);
  accounting_.Sweep(kNow + 69 * kSecond, kGrace);
  EXPECT_EQ(accounting_.MostNegativeEndToEndNs(), -7 * kMs);
  accounting_.Sweep(kNow + 70 * kSecond, kGrace);
  EXPECT_EQ(accounting_.MostNegativeEndToEndNs(), 0);
  EXPECT_EQ(accounting_.Sum().negative_latency, 3u);  // the counter stays
}

TEST_F(AnySourceTest, EachSenderIsAccountedByItsOwnSequences) {
  for (std::uint64_t s = 0; s < 3; ++s) {
    EXPECT_TRUE(Receive(kA, 0, s));
    EXPECT_TRUE(Receive(kB, 0, s));  // the same numbers from another sender: new, not duplicates
  }
  EXPECT_TRUE(Receive(kB, 1, 0));
  EXPECT_EQ(accounting_.Sources(), 2u);
  EXPECT_EQ(Topic(0).consumed, 6u);
  EXPECT_EQ(Topic(0).Received(), 6u);
  EXPECT_EQ(Topic(0).duplicated, 0u);
  EXPECT_EQ(Topic(1).Received(), 1u);
  EXPECT_EQ(Foreign(0, ForeignReason::kOtherRun), 0u);
  accounting_.Sweep(1 * kSecond, kGrace);
  accounting_.Sweep(10 * kSecond, kGrace);
  EXPECT_EQ(accounting_.Sum().lost, 0u);
}

TEST_F(AnySourceTest, AGapOfOneSenderIsLostAfterTheGraceAndItsTailIsInvisible) {
  Receive(kA, 0, 0);
  Receive(kA, 0, 2);  // 1 is missing; whatever A sent after 2 is never known
  Receive(kB, 0, 0);
  accounting_.Sweep(1 * kSecond, kGrace);
  accounting_.Sweep(5 * kSecond, kGrace);
  EXPECT_EQ(Topic(0).lost, 0u);
  accounting_.Sweep(6 * kSecond, kGrace);  // the checkpoint from 1 s is now 5 s old
  EXPECT_EQ(Topic(0).lost, 1u);
  accounting_.Sweep(9 * kSecond, kGrace);
  EXPECT_EQ(Topic(0).lost, 1u);  // counted once, and no tail loss for A or B
  EXPECT_TRUE(Receive(kA, 0, 1, 9 * kSecond));
  EXPECT_EQ(Topic(0).arrived_after_lost, 1u);
}

TEST_F(AnySourceTest, ASecondCopyIsADuplicateOfItsOwnSenderOnly) {
  EXPECT_TRUE(Receive(kA, 0, 0));
  EXPECT_FALSE(Receive(kA, 0, 0));           // a second copy in the broker
  EXPECT_FALSE(Receive(kA, 0, 0, 0, true));  // read again from a place already read
  EXPECT_TRUE(Receive(kB, 0, 0));
  EXPECT_EQ(Topic(0).duplicated, 1u);
  EXPECT_EQ(Topic(0).redelivered, 1u);
  EXPECT_EQ(Topic(0).Received(), 2u);
}

TEST_F(AnySourceTest, EndToEndLatencyComesFromTheSendersTimestamps) {
  accounting_.OnReceived(1, Payload(kA, 1, 0, 1'000), 4'000, item_);
  const HistogramSnapshot e2e = accounting_.Latencies(1).end_to_end.Snapshot();
  EXPECT_EQ(e2e.Count(), 1u);
  EXPECT_EQ(e2e.MaxNs(), 3'000);  // from intended
  EXPECT_EQ(accounting_.Latencies(1).end_to_end_service.Snapshot().MaxNs(), 2'900);  // actual
}

TEST(AnySource, MessagesScheduledBeforeItAcceptsAreSkipped) {
  TargetAccounting accounting(AnySource(1));
  WorkItem item;
  // Until AcceptFrom, nothing: the consumers may not cover every partition yet.
  EXPECT_FALSE(accounting.OnReceived(0, Payload(kA, 0, 0, 5'000), 6'000, item));
  accounting.AcceptFrom(5'000);
  EXPECT_FALSE(accounting.OnReceived(0, Payload(kA, 0, 1, 4'999), 6'000, item));
  EXPECT_TRUE(accounting.OnReceived(0, Payload(kA, 0, 2, 5'000), 6'000, item));
  EXPECT_EQ(accounting.ForeignCount(0, ForeignReason::kBeforeStart), 2u);
  EXPECT_EQ(accounting.TopicTotals(0).consumed, 1u);
  EXPECT_EQ(accounting.Latencies(0).end_to_end.Snapshot().Count(), 1u);
}

TEST_F(AnySourceTest, TrackingStartsAtTheFirstSequenceAndWhatLiesBelowIsNeverLost) {
  // Joined midway: 100 came first; 98 and 99 arrive after it (another partition), 97 never.
  EXPECT_TRUE(Receive(kA, 0, 100));
  EXPECT_TRUE(Receive(kA, 0, 98));
  EXPECT_TRUE(Receive(kA, 0, 99));
  EXPECT_TRUE(Receive(kA, 0, 102));  // 101 is missing
  accounting_.Sweep(1 * kSecond, kGrace);
  accounting_.Sweep(7 * kSecond, kGrace);
  EXPECT_EQ(Topic(0).Received(), 4u);
  EXPECT_EQ(Topic(0).lost, 1u);
  EXPECT_EQ(Topic(0).older_than_window + Topic(0).arrived_after_lost, 0u);
}

TEST_F(AnySourceTest, AtTheEndOpenGapsAreUnconfirmedNotLost) {
  Receive(kA, 0, 0);
  Receive(kA, 0, 3);  // 1 and 2 missing, younger than the grace
  accounting_.FinalSweep();
  EXPECT_EQ(Topic(0).unconfirmed, 2u);
  EXPECT_EQ(Topic(0).lost, 0u);
}

TEST(AnySource, SourcesBeyondTheCapacityAreCountedAndSkippedUntilOneRetires) {
  TargetAccounting accounting(AnySource(1));
  accounting.AcceptFrom(0);
  WorkItem item;
  const auto receive = [&](std::uint64_t run, std::uint64_t sequence, std::int64_t now_ns) {
    return accounting.OnReceived(0, Payload({run, 0}, 0, sequence), now_ns, item);
  };
  for (std::uint64_t run = 1; run <= SourceTable::kCapacity; ++run) {
    ASSERT_TRUE(receive(run, 0, 1 * kSecond));
  }
  EXPECT_EQ(accounting.Sources(), SourceTable::kCapacity);
  EXPECT_FALSE(receive(1000, 0, 1 * kSecond));
  EXPECT_EQ(accounting.ForeignCount(0, ForeignReason::kTooManySources), 1u);
  // Every source but run 1 falls silent; silent for twice the grace, they are retired.
  accounting.Sweep(2 * kSecond, kGrace);
  ASSERT_TRUE(receive(1, 1, 9 * kSecond));
  accounting.Sweep(11 * kSecond, kGrace);
  EXPECT_EQ(accounting.Sources(), SourceTable::kCapacity);
  accounting.Sweep(12 * kSecond, kGrace);  // 1 s silent for 10 s: all but run 1 retire
  EXPECT_EQ(accounting.Sources(), 1u);
  EXPECT_TRUE(receive(1000, 0, 12 * kSecond));
  EXPECT_EQ(accounting.Sources(), 2u);
  EXPECT_EQ(accounting.TopicTotals(0).Received(), SourceTable::kCapacity + 2);
  EXPECT_EQ(accounting.TopicTotals(0).lost, 0u);
}

TEST(AnySource, ARetiredSenderHeardAgainIsTrackedAsJoinedMidway) {
  TargetAccounting accounting(AnySource(1));
  accounting.AcceptFrom(0);
  WorkItem item;
  for (std::uint64_t s = 0; s < 5; ++s) {
    ASSERT_TRUE(accounting.OnReceived(0, Payload(kA, 0, s), 1 * kSecond, item));
  }
  accounting.Sweep(2 * kSecond, kGrace);
  accounting.Sweep(12 * kSecond, kGrace);
  EXPECT_EQ(accounting.Sources(), 0u);
  // A stage of 0 msg/s longer than the retirement: its sequences go on from where they were.
  EXPECT_TRUE(accounting.OnReceived(0, Payload(kA, 0, 5), 13 * kSecond, item));
  EXPECT_FALSE(accounting.OnReceived(0, Payload(kA, 0, 5), 13 * kSecond, item));
  accounting.Sweep(14 * kSecond, kGrace);
  accounting.Sweep(30 * kSecond, kGrace);
  const Totals t = accounting.TopicTotals(0);
  EXPECT_EQ(t.Received(), 6u);
  EXPECT_EQ(t.duplicated, 1u);  // still told within the new tracking
  EXPECT_EQ(t.lost, 0u);
}

TEST(AnySource, EachSendersWarmupIsKeptOutOfTheLatencies) {
  TargetAccounting accounting(AnySource(1, 0, 10 * kSecond));
  accounting.AcceptFrom(0);
  WorkItem item;
  // A starts at 1 s: its messages up to 11 s are its warm-up. B starts at 20 s.
  accounting.OnReceived(0, Payload(kA, 0, 0, 1 * kSecond), 1 * kSecond, item);
  accounting.OnReceived(0, Payload(kA, 0, 1, 10 * kSecond), 10 * kSecond, item);
  accounting.OnReceived(0, Payload(kA, 0, 2, 11 * kSecond), 11 * kSecond, item);
  accounting.OnReceived(0, Payload(kB, 0, 0, 20 * kSecond), 20 * kSecond, item);
  accounting.OnReceived(0, Payload(kA, 0, 3, 21 * kSecond), 21 * kSecond, item);
  accounting.OnReceived(0, Payload(kB, 0, 1, 30 * kSecond), 30 * kSecond, item);
  EXPECT_EQ(accounting.TopicTotals(0).Received(), 6u);                   // counted all the same
  EXPECT_EQ(accounting.Latencies(0).end_to_end.Snapshot().Count(), 3u);  // A 2, 3 and B 1
}

TEST_F(AnySourceTest, WithoutAWarmupEveryMessageIsMeasuredWhateverArrivedFirst) {
  // Topic 1's first message came before topic 0's, which was scheduled earlier.
  accounting_.OnReceived(1, Payload(kA, 1, 0, 2'000), 3'000, item_);
  accounting_.OnReceived(0, Payload(kA, 0, 0, 1'000), 3'000, item_);
  EXPECT_EQ(accounting_.Latencies(0).end_to_end.Snapshot().Count(), 1u);
  EXPECT_EQ(accounting_.Latencies(1).end_to_end.Snapshot().Count(), 1u);
}

TEST(AnySource, KeyOrderIsJudgedPerSender) {
  TargetAccounting accounting(AnySource(1, 2));
  accounting.AcceptFrom(0);
  WorkItem a;
  WorkItem b;
  ASSERT_TRUE(accounting.OnReceived(0, Payload(kA, 0, 5, 1'000, 0), 2'000, a));
  ASSERT_TRUE(accounting.OnReceived(0, Payload(kB, 0, 1, 1'000, 0), 2'000, b));
  EXPECT_NE(a.source, b.source);
  accounting.OnProcessed(a);
  accounting.OnProcessed(b);  // key 0 of another sender: no constraint
  EXPECT_EQ(accounting.TopicTotals(0).out_of_order, 0u);
  ASSERT_TRUE(accounting.OnReceived(0, Payload(kA, 0, 3, 1'000, 0), 2'000, a));
  accounting.OnProcessed(a);  // A's key 0 went backwards
  EXPECT_EQ(accounting.TopicTotals(0).out_of_order, 1u);
  EXPECT_EQ(accounting.TopicTotals(0).processed, 3u);
}

TEST_F(AnySourceTest, ProbesOfOtherInstancesAreIgnored) {
  EXPECT_FALSE(Receive(kA, 0, message::kProbeSequence));
  EXPECT_EQ(Topic(0).consumed, 0u);
  EXPECT_EQ(accounting_.Sources(), 0u);
  EXPECT_EQ(Foreign(0, ForeignReason::kOtherRun) + Foreign(0, ForeignReason::kInvalidHeader), 0u);
}

TEST(AnySource, TheMemoryEstimateCoversEverySourceSlot) {
  const std::uint64_t own = TargetAccounting::EstimateBytes(5, 0);
  const std::uint64_t any = TargetAccounting::EstimateBytes(5, 0, ReceiveMode::kAnySource);
  // A tracker per topic for each source slot beyond the one an own-run instance keeps.
  EXPECT_GE(any - own, (SourceTable::kCapacity - 1) * 5 *
                           SequenceTracker::BytesFor(SequenceTracker::kDefaultWindow));
}

// Consumer threads (one per topic, as NATS subscriptions) meet the same new senders at once while
// the housekeeping thread sweeps: each sender gets one slot, and every message is counted once.
TEST(AnySource, ConsumerThreadsAddingTheSameSendersAtOnceShareOneSlotEach) {
  constexpr std::size_t kTopics = 4;
  constexpr std::uint64_t kSenders = 8;
  constexpr std::uint64_t kSequences = 2'000;
  TargetAccounting accounting(AnySource(kTopics));
  accounting.AcceptFrom(0);
  // One clock for all, as brokerload's; a microsecond passes at each sweep, so that nothing falls
  // silent for the 10 s that retire a sender.
  std::atomic<std::int64_t> now_ns{0};
  std::atomic<bool> stop{false};
  std::thread housekeeping([&] {
    while (!stop.load()) accounting.Sweep(now_ns.fetch_add(1'000) + 1'000, kGrace);
  });
  std::vector<std::thread> consumers;
  for (std::size_t t = 0; t < kTopics; ++t) {
    consumers.emplace_back([&, t] {
      WorkItem item;
      for (std::uint64_t s = 0; s < kSequences; ++s) {
        for (std::uint64_t sender = 1; sender <= kSenders; ++sender) {
          accounting.OnReceived(t, Payload({sender, 0}, static_cast<std::uint16_t>(t), s),
                                now_ns.load(), item);
        }
      }
    });
  }
  for (std::thread& consumer : consumers) consumer.join();
  stop = true;
  housekeeping.join();
  EXPECT_EQ(accounting.Sources(), kSenders);
  const Totals t = accounting.Sum();
  EXPECT_EQ(t.Received(), kTopics * kSenders * kSequences);
  EXPECT_EQ(t.duplicated + t.lost + t.older_than_window, 0u);
}

TEST(ProduceOnly, NothingIsEverCountedLostWithoutAConsumer) {
  TargetAccounting::Options o;
  o.topics = 1;
  o.identity = kA;
  o.receive = ReceiveMode::kNone;
  TargetAccounting accounting(o);
  for (std::uint64_t s = 0; s < 3; ++s) {
    accounting.OnSent(0, s, 0, 1'000);
    accounting.OnAck(Payload(kA, 0, s), 2'000);
  }
  accounting.OnSent(0, 3, 0, 1'000);  // never acknowledged
  accounting.Sweep(1 * kSecond, kGrace);
  accounting.Sweep(60 * kSecond, kGrace);
  accounting.FinalSweep();
  const Totals t = accounting.Sum();
  EXPECT_EQ(t.published, 4u);
  EXPECT_EQ(t.acked, 3u);
  EXPECT_EQ(t.lost + t.unconfirmed + t.consumed, 0u);
  EXPECT_EQ(accounting.Latencies(0).publish.Snapshot().Count(), 3u);
}

}  // namespace
}  // namespace brokerload::accounting
