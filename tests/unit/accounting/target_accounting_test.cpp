#include "accounting/target_accounting.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "message/header.hpp"
#include "payloads.hpp"

namespace brokerload::accounting {
namespace {

using testing::kRun;
using testing::kSecond;
using testing::Payload;

TargetAccounting::Options Options(std::size_t topics, std::uint32_t keys = 0,
                                  std::size_t phases = 1) {
  TargetAccounting::Options o;
  o.topics = topics;
  o.keys = keys;
  o.identity = kRun;
  o.late_threshold_ns = 2'000'000;
  o.phases = phases;
  return o;
}

std::uint64_t Status(const std::array<std::uint64_t, driver::kStatusCount>& counts,
                     driver::Status status) {
  return counts[static_cast<std::size_t>(status)];
}

class TargetAccountingTest : public ::testing::Test {
 protected:
  TargetAccounting accounting_{Options(2, 4)};
  WorkItem item_;

  bool Receive(std::uint16_t topic, std::uint64_t sequence, std::int64_t now_ns = 10'000,
               std::uint32_t key = message::kNoKey) {
    return accounting_.OnReceived(topic, Payload(topic, sequence, key), now_ns, item_);
  }
  Totals Topic(std::size_t topic) const { return accounting_.TopicTotals(topic); }
};

TEST_F(TargetAccountingTest, CountsConsumedAndRecordsBothEndToEndLatencies) {
  ASSERT_TRUE(Receive(1, 0, 10'000));
  EXPECT_EQ(item_.topic, 1);
  EXPECT_EQ(item_.sequence, 0u);
  EXPECT_EQ(Topic(1).consumed, 1u);
  const HistogramSnapshot e2e = accounting_.Latencies(1).end_to_end.Snapshot();
  const HistogramSnapshot service = accounting_.Latencies(1).end_to_end_service.Snapshot();
  EXPECT_EQ(e2e.Count(), 1u);
  EXPECT_EQ(e2e.MaxNs(), 9'000);      // from intended (1,000)
  EXPECT_EQ(service.MaxNs(), 8'000);  // from actual (2,000)
}

TEST_F(TargetAccountingTest, InvalidHeadersAndOtherRunsAreForeignAndSkipped) {
  std::vector<std::byte> junk(64, std::byte{1});
  EXPECT_FALSE(accounting_.OnReceived(0, junk, 0, item_));
  EXPECT_FALSE(accounting_.OnReceived(0, Payload(0, 0, message::kNoKey, {1, 3}), 0, item_));
  EXPECT_EQ(accounting_.ForeignCount(0, ForeignReason::kInvalidHeader), 1u);
  EXPECT_EQ(accounting_.ForeignCount(0, ForeignReason::kOtherRun), 1u);
  EXPECT_EQ(Topic(0).consumed, 0u);
}

TEST_F(TargetAccountingTest, ProbesAreRecordedByPartitionAndNeverCounted) {
  EXPECT_FALSE(accounting_.OnReceived(1, Payload(1, message::kProbeSequence, 2), 0, item_));
  EXPECT_FALSE(accounting_.OnReceived(1, Payload(1, message::kProbeSequence, 0), 0, item_));
  accounting_.OnAck(Payload(1, message::kProbeSequence, 0), 5'000);
  EXPECT_EQ(accounting_.ProbesReceived(1), 0b101u);
  EXPECT_EQ(accounting_.ProbesReceived(0), 0u);
  const Totals t = accounting_.Sum();
  EXPECT_EQ(t.consumed + t.acked + t.lost, 0u);
  EXPECT_EQ(accounting_.Latencies(1).publish.Snapshot().Count(), 0u);
}

TEST_F(TargetAccountingTest, DuplicatesAreCountedAndNotProcessedAgain) {
  ASSERT_TRUE(Receive(0, 0));
  EXPECT_FALSE(Receive(0, 0));
  EXPECT_EQ(Topic(0).duplicated, 1u);
  EXPECT_EQ(Topic(0).consumed, 2u);
  EXPECT_EQ(Topic(0).Received(), 1u);
}

TEST_F(TargetAccountingTest, ASecondArrivalFromAPlaceAlreadyReadIsARedeliveryNotADuplicate) {
  ASSERT_TRUE(accounting_.OnReceived(0, Payload(0, 0, message::kNoKey), 10'000, item_, false));
  ASSERT_TRUE(accounting_.OnReceived(0, Payload(0, 1, message::kNoKey), 10'000, item_, false));
  // The consumer went back (a restart from committed offsets): both come again, replayed.
  EXPECT_FALSE(accounting_.OnReceived(0, Payload(0, 0, message::kNoKey), 10'000, item_, true));
  EXPECT_FALSE(accounting_.OnReceived(0, Payload(0, 1, message::kNoKey), 10'000, item_, true));
  // A second copy of 1 in a new place of the log: the broker's duplicate.
  EXPECT_FALSE(accounting_.OnReceived(0, Payload(0, 1, message::kNoKey), 10'000, item_, false));
  // Replayed or not, a first arrival is new.
  EXPECT_TRUE(accounting_.OnReceived(0, Payload(0, 2, message::kNoKey), 10'000, item_, true));
  const Totals t = Topic(0);
  EXPECT_EQ(t.redelivered, 2u);
  EXPECT_EQ(t.duplicated, 1u);
  EXPECT_EQ(t.consumed, 6u);
  EXPECT_EQ(t.Received(), 3u);
}

TEST_F(TargetAccountingTest, AGapIsLostOnlyAfterTheGracePeriod) {
  const std::int64_t grace = 5 * kSecond;
  Receive(0, 0);
  Receive(0, 2);  // 1 is missing
  accounting_.Sweep(1 * kSecond, grace);
  accounting_.Sweep(5 * kSecond, grace);
  EXPECT_EQ(Topic(0).lost, 0u);
  accounting_.Sweep(6 * kSecond, grace);  // the checkpoint from 1 s is now 5 s old
  EXPECT_EQ(Topic(0).lost, 1u);
  accounting_.Sweep(20 * kSecond, grace);
  EXPECT_EQ(Topic(0).lost, 1u);  // counted once
  EXPECT_TRUE(Receive(0, 1));    // late: processed, counted apart
  EXPECT_EQ(Topic(0).arrived_after_lost, 1u);
}

TEST_F(TargetAccountingTest, AnAckedMessageNotYetConsumedIsBacklogNotLoss) {
  // A stalled or slow consumer: nothing arrives, the broker acknowledged 0..2, and the broker's
  // end was never reached (or not known): backlog, however long it lasts.
  const std::int64_t grace = 5 * kSecond;
  for (std::uint64_t s = 0; s < 3; ++s) {
    accounting_.OnSent(0, s, 0, 1'000);
    accounting_.OnAck(Payload(0, s), 2'000);
  }
  for (std::int64_t t = 1; t < 60; ++t) {
    accounting_.OnBrokerBacklog(0, 3, std::nullopt);
    accounting_.OnBrokerBacklog(1, std::nullopt, std::nullopt);
    accounting_.Sweep(t * kSecond, grace);
  }
  EXPECT_EQ(Topic(0).lost, 0u);
  EXPECT_EQ(accounting_.ConsumerBacklog(), 3u);
  EXPECT_EQ(accounting_.BrokerBacklog(), std::nullopt);  // topic 1's is unknown
  accounting_.OnBrokerBacklog(1, 4, std::nullopt);
  EXPECT_EQ(accounting_.BrokerBacklog(), 7u);
  Receive(0, 0);
  EXPECT_EQ(accounting_.ConsumerBacklog(), 2u);
}

TEST_F(TargetAccountingTest, AnAckedMessageIsLostOnceTheConsumerReachedTheBrokersEnd) {
  const std::int64_t grace = 5 * kSecond;
  for (std::uint64_t s = 0; s < 3; ++s) {
    accounting_.OnSent(0, s, 0, 1'000);
    accounting_.OnAck(Payload(0, s), 2'000);
  }
  accounting_.Sweep(1 * kSecond, grace);  // 0..2 acknowledged as of 1 s
  accounting_.OnSent(0, 3, 0, 1'000);
  accounting_.OnAck(Payload(0, 3), 2'000);  // 3 after that
  accounting_.Sweep(2 * kSecond, grace);
  // The consumer has everything the broker had stored at 1.5 s: 0..2 (acked by 1 s), not 3.
  accounting_.OnBrokerBacklog(0, 0, 1'500'000'000);
  Receive(0, 1);
  accounting_.Sweep(3 * kSecond, grace);
  accounting_.Sweep(7 * kSecond, grace);
  EXPECT_EQ(Topic(0).lost, 0u);  // within the grace
  accounting_.Sweep(8 * kSecond, grace);
  EXPECT_EQ(Topic(0).lost, 2u);  // 0 and 2
  EXPECT_EQ(accounting_.ConsumerBacklog(), 1u);
  EXPECT_EQ(Topic(1).lost, 0u);
}

TEST_F(TargetAccountingTest, AnEndReachedBeforeAnyAckIsKnownProvesNothing) {
  const std::int64_t grace = 5 * kSecond;
  accounting_.Sweep(1 * kSecond, grace);  // nothing acknowledged yet
  accounting_.OnSent(0, 0, 0, 1'000);
  accounting_.OnAck(Payload(0, 0), 2'000);
  accounting_.OnBrokerBacklog(0, 0, 500'000'000);             // before the first Sweep's view: none
  accounting_.OnBrokerBacklog(0, 0, 1'200'000'000);           // at 1 s nothing was acked
  accounting_.OnBrokerBacklog(0, std::nullopt, 9 * kSecond);  // unknown: proves nothing
  accounting_.Sweep(2 * kSecond, grace);
  accounting_.Sweep(10 * kSecond, grace);
  EXPECT_EQ(Topic(0).lost, 0u);
}

TEST_F(TargetAccountingTest, AGapCountsOnlyBehindALaterMessageOfItsOwnPartition) {
  // Partition 0 carries 0, 2, 4, 6; partition 1 carries 1, 3, 5, 7 and is read slowly.
  // 2 is missing behind 4 and 6 of its partition: lost. 5 and 7 are behind only partition 0's
  // later arrivals: not yet read, not lost.
  const std::int64_t grace = 5 * kSecond;
  auto receive = [&](std::uint64_t sequence, std::uint32_t partition) {
    accounting_.OnReceived(0, Payload(0, sequence), 10'000, item_, false, partition);
  };
  receive(0, 0);
  receive(1, 1);
  receive(3, 1);
  receive(4, 0);
  receive(6, 0);
  accounting_.Sweep(1 * kSecond, grace);
  accounting_.Sweep(7 * kSecond, grace);
  EXPECT_EQ(Topic(0).lost, 1u);
  receive(5, 1);
  receive(7, 1);
  accounting_.Sweep(8 * kSecond, grace);
  accounting_.Sweep(14 * kSecond, grace);
  EXPECT_EQ(Topic(0).lost, 1u);
  EXPECT_EQ(Topic(0).arrived_after_lost, 0u);
}

TEST_F(TargetAccountingTest, ALateFillWithinGraceIsNoLoss) {
  const std::int64_t grace = 5 * kSecond;
  Receive(0, 0);
  Receive(0, 2);
  accounting_.Sweep(1 * kSecond, grace);
  Receive(0, 1);
  accounting_.Sweep(10 * kSecond, grace);
  EXPECT_EQ(Topic(0).lost, 0u);
}

TEST_F(TargetAccountingTest, NoGapIsToldBeforeEveryPartitionWasHeardFrom) {
  // Three partitions; partition 2 has not delivered yet (its leader is slow): 2 and 5, sent to
  // it, wait there, whatever partitions 0 and 1 deliver meanwhile.
  const std::int64_t grace = 5 * kSecond;
  accounting_.SetPartitions(0, 3);
  auto receive = [&](std::uint64_t sequence, std::uint32_t partition) {
    accounting_.OnReceived(0, Payload(0, sequence), 10'000, item_, false, partition);
  };
  for (const std::uint64_t s : {0u, 3u, 6u}) receive(s, 0);
  for (const std::uint64_t s : {1u, 4u, 7u}) receive(s, 1);
  accounting_.Sweep(1 * kSecond, grace);
  accounting_.Sweep(7 * kSecond, grace);
  EXPECT_EQ(Topic(0).lost, 0u);
  receive(5, 2);  // now heard from; 2 is missing behind 5 of its own partition
  accounting_.Sweep(8 * kSecond, grace);
  accounting_.Sweep(14 * kSecond, grace);
  EXPECT_EQ(Topic(0).lost, 1u);
}

TEST_F(TargetAccountingTest, AtTheEndWhatNothingProvesLostIsUnconfirmed) {
  // 0..4 sent, 0..2 acked, 0 and 1 received: 2 was acked but nothing later of its partition
  // arrived and the broker's end was never reached: a backlog at shutdown as far as anyone can
  // tell. 3 and 4 were never acked.
  for (std::uint64_t s = 0; s < 5; ++s) accounting_.OnSent(0, s, 0, 1'000);
  for (std::uint64_t s = 0; s < 3; ++s) accounting_.OnAck(Payload(0, s), 5'000);
  Receive(0, 0);
  Receive(0, 1);
  accounting_.FinalSweep();
  EXPECT_EQ(Topic(0).lost, 0u);
  EXPECT_EQ(Topic(0).unconfirmed, 3u);
}

TEST_F(TargetAccountingTest, AtTheEndWhatTheConsumerPassedOrTheBrokersEndCoversIsLost) {
  for (std::uint64_t s = 0; s < 6; ++s) accounting_.OnSent(0, s, 0, 1'000);
  for (std::uint64_t s = 0; s < 4; ++s) accounting_.OnAck(Payload(0, s), 5'000);
  accounting_.Sweep(1 * kSecond, 5 * kSecond);     // 0..3 acked as of 1 s
  accounting_.OnBrokerBacklog(0, 0, 2 * kSecond);  // the consumer has what was stored at 2 s
  Receive(0, 0);
  Receive(0, 2);  // 1: behind a later arrival; 3: below the reached end; 4, 5: never acked
  accounting_.FinalSweep();
  EXPECT_EQ(Topic(0).lost, 2u);
  EXPECT_EQ(Topic(0).unconfirmed, 2u);
}

TEST_F(TargetAccountingTest, AFailedAckIsAnErrorAndNotALoss) {
  for (std::uint64_t s = 0; s < 3; ++s) accounting_.OnSent(0, s, 0, 1'000);
  accounting_.OnAck(Payload(0, 0), 5'000);
  accounting_.OnAckFailed(Payload(0, 1), driver::Status::kTimeout);
  accounting_.OnAck(Payload(0, 2), 5'000);
  Receive(0, 0);
  Receive(0, 2);
  accounting_.FinalSweep();
  const Totals c = Topic(0);
  EXPECT_EQ(c.acked, 2u);
  EXPECT_EQ(Status(c.ack_errors, driver::Status::kTimeout), 1u);
  EXPECT_EQ(c.lost + c.unconfirmed, 0u);
  EXPECT_EQ(accounting_.InFlight(), 0u);
  EXPECT_EQ(accounting_.Latencies(0).publish.Snapshot().MaxNs(), 3'000);
}

TEST_F(TargetAccountingTest, AFailedPublishThatArrivesIsDeliveredAfterErrorNotADuplicate) {
  accounting_.OnSent(0, 0, 0, 1'000);
  accounting_.OnAckFailed(Payload(0, 0), driver::Status::kTimeout);  // possibly stored
  EXPECT_TRUE(Receive(0, 0));
  EXPECT_EQ(Topic(0).delivered_after_error, 1u);
  EXPECT_EQ(Topic(0).duplicated, 0u);
  EXPECT_FALSE(Receive(0, 0));  // now a true duplicate
  EXPECT_EQ(Topic(0).duplicated, 1u);
}

// The other order: it arrived first, then its publish timed out (a PubAck lost in an election):
// delivered after error as well, so that received - delivered after error = acknowledged.
TEST_F(TargetAccountingTest, APublishFailedAfterItsMessageArrivedIsDeliveredAfterErrorToo) {
  accounting_.OnSent(0, 0, 0, 1'000);
  accounting_.OnSent(0, 1, 0, 1'000);
  accounting_.OnAck(Payload(0, 1), 2'000);
  EXPECT_TRUE(Receive(0, 0));
  EXPECT_TRUE(Receive(0, 1));
  accounting_.OnAckFailed(Payload(0, 0), driver::Status::kTimeout);
  const Totals t = Topic(0);
  EXPECT_EQ(t.delivered_after_error, 1u);
  EXPECT_EQ(t.Received() - t.delivered_after_error, t.acked);
  EXPECT_EQ(t.AckErrors(), 1u);
}

TEST_F(TargetAccountingTest, GapsExplainedByClientDropsAreBrokerloadsNotTheBrokers) {
  const std::int64_t grace = 5 * kSecond;
  Receive(0, 0);
  Receive(0, 5);  // 1..4 missing, 3 of them dropped inside the client
  accounting_.OnClientDropped(0, 3);
  accounting_.Sweep(1 * kSecond, grace);
  accounting_.Sweep(7 * kSecond, grace);
  EXPECT_EQ(Topic(0).dropped_by_client, 3u);
  EXPECT_EQ(Topic(0).lost, 1u);
}

TEST_F(TargetAccountingTest, OutOfOrderIsCountedPerKey) {
  accounting_.OnProcessed({0, 0, 0, 1, 5});
  accounting_.OnProcessed({0, 0, 0, 2, 3});  // another key: no constraint
  accounting_.OnProcessed({0, 0, 0, 1, 4});  // key 1 went backwards
  accounting_.OnProcessed({0, 0, 0, 1, 9});
  EXPECT_EQ(Topic(0).out_of_order, 1u);
  EXPECT_EQ(Topic(0).processed, 4u);
}

TEST_F(TargetAccountingTest, SendsCountLateBeyondTheThreshold) {
  accounting_.OnSent(0, 0, 1'000'000, 0);
  accounting_.OnSent(0, 1, 3'000'000, 0);
  accounting_.OnDropped(1, 7, 0);
  EXPECT_EQ(Topic(0).published, 2u);
  EXPECT_EQ(Topic(0).late_sends, 1u);
  EXPECT_EQ(Topic(1).dropped_sends, 7u);
  EXPECT_EQ(accounting_.SendLag().Snapshot().Count(), 2u);
}

// Phase 0 is a warm-up up to intended time 5,000; phase 1 is measured, its send window ending at
// 8,000.
class TargetAccountingPhasesTest : public ::testing::Test {
 protected:
  TargetAccountingPhasesTest() {
    TargetAccounting::Options o = Options(1, 0, 2);
    o.phase_histograms = true;
    accounting_ = std::make_unique<TargetAccounting>(o);
    accounting_->SetPhases({{0, 5'000, false}, {5'000, 8'000, true}});
  }
  std::vector<std::byte> At(std::uint64_t sequence, std::int64_t intended) const {
    return Payload(0, sequence, message::kNoKey, kRun, intended, intended + 100);
  }
  std::unique_ptr<TargetAccounting> accounting_;
  WorkItem item_;
};

TEST_F(TargetAccountingPhasesTest, EveryColumnOfTheWarmupIsKeptApart) {
  TargetAccounting& a = *accounting_;
  // Warm-up: 0 acked and received twice; 1 failed; 2 lost; two sends dropped.
  a.OnSent(0, 0, 100, 1'000);
  a.OnSent(0, 1, 100, 2'000);
  a.OnSent(0, 2, 100, 3'000);
  a.OnDropped(0, 2, a.PhaseOf(4'000));
  a.OnSendFailed(0, driver::Status::kDisconnected, 4'500);
  a.OnAck(At(0, 1'000), 2'000);
  a.OnAckFailed(At(1, 2'000), driver::Status::kTimeout);
  a.OnAck(At(2, 3'000), 3'500);
  EXPECT_TRUE(a.OnReceived(0, At(0, 1'000), 3'000, item_));
  EXPECT_EQ(item_.phase, 0);
  EXPECT_FALSE(a.OnReceived(0, At(0, 1'000), 3'000, item_));
  // Measured: 3 and 4 received, 4 after the window's end.
  a.OnSent(0, 3, 200, 6'000);
  a.OnSent(0, 4, 200, 7'000);
  a.OnAck(At(3, 6'000), 6'500);
  a.OnAck(At(4, 7'000), 7'500);
  EXPECT_TRUE(a.OnReceived(0, At(3, 6'000), 7'000, item_));
  EXPECT_EQ(item_.phase, 1);
  EXPECT_TRUE(a.OnReceived(0, At(4, 7'000), 9'000, item_));
  a.FinalSweep();

  const Totals warm = a.PhaseTotals(0);
  EXPECT_EQ(warm.published, 3u);
  EXPECT_EQ(warm.dropped_sends, 2u);
  EXPECT_EQ(warm.Errors(), 2u);
  EXPECT_EQ(warm.duplicated, 1u);
  EXPECT_EQ(warm.lost, 1u);  // sequence 2: a warm-up loss, not a measured one
  const Totals measured = a.PhaseTotals(1);
  EXPECT_EQ(measured.published, 2u);
  EXPECT_EQ(measured.acked, 2u);
  EXPECT_EQ(measured.Received(), 2u);
  EXPECT_EQ(measured.consumed_in_window, 1u);
  EXPECT_EQ(measured.Errors() + measured.lost + measured.duplicated + measured.dropped_sends, 0u);
  EXPECT_EQ(a.LastReceiveNs(1), 9'000);
  // Histograms: only the measured phase.
  EXPECT_EQ(a.Latencies(0).end_to_end.Snapshot().Count(), 2u);
  EXPECT_EQ(a.Latencies(0).publish.Snapshot().Count(), 2u);
  EXPECT_EQ(a.SendLag().Snapshot().Count(), 2u);
  EXPECT_EQ(a.PhaseLatency(1).end_to_end.Snapshot().MaxNs(), 2'000);
  EXPECT_EQ(a.PhaseLatency(0).end_to_end.Snapshot().Count(), 0u);
}

TEST_F(TargetAccountingPhasesTest, EndToEndIsSlicedByTenthOfTheSendWindow) {
  TargetAccounting& a = *accounting_;
  a.OnSent(0, 0, 0, 5'000);
  a.OnSent(0, 1, 0, 7'999);
  a.OnReceived(0, At(0, 5'000), 5'400, item_);
  a.OnReceived(0, At(1, 7'999), 8'099, item_);
  const PhaseLatencies& l = a.PhaseLatency(1);
  EXPECT_EQ(l.end_to_end_slices.front().Snapshot().MaxNs(), 400);
  EXPECT_EQ(l.end_to_end_slices.back().Snapshot().MaxNs(), 100);
}

TEST(TargetAccountingPhases, TheFirstPhaseKeepsItsOwnWindowForSlices) {
  TargetAccounting::Options o = Options(1, 0, 2);
  o.phase_histograms = true;
  TargetAccounting a(o);
  a.SetPhases({{1'000, 2'000, true}, {2'000, 3'000, true}});
  WorkItem item;
  a.OnReceived(0, Payload(0, 0, message::kNoKey, kRun, 1'000, 1'000), 1'700, item);
  a.OnReceived(0, Payload(0, 1, message::kNoKey, kRun, 1'999, 1'999), 2'299, item);
  a.OnReceived(0, Payload(0, 2, message::kNoKey, kRun, 500, 500), 900, item);  // earlier: phase 0
  EXPECT_EQ(a.PhaseOf(500), 0u);
  EXPECT_EQ(a.PhaseLatency(0).end_to_end_slices.front().Snapshot().MaxNs(), 700);  // 400 too
  EXPECT_EQ(a.PhaseLatency(0).end_to_end_slices.back().Snapshot().MaxNs(), 300);
  EXPECT_EQ(a.PhaseTotals(0).consumed_in_window, 2u);  // 1,999 arrived after the window's end
}

TEST(TargetAccountingTotals, SumAddsEveryTopic) {
  TargetAccounting accounting(Options(3));
  accounting.OnSent(0, 0, 0, 0);
  accounting.OnSent(2, 0, 0, 0);
  accounting.OnSendFailed(1, driver::Status::kDisconnected, 0);
  accounting.OnAckFailed(Payload(2, 0), driver::Status::kTimeout);
  accounting.OnDropped(1, 4, 0);
  const Totals t = accounting.Sum();
  EXPECT_EQ(t.published, 2u);
  EXPECT_EQ(t.dropped_sends, 4u);
  EXPECT_EQ(Status(t.send_errors, driver::Status::kDisconnected), 1u);
  EXPECT_EQ(t.Errors(), 2u);
  EXPECT_EQ(t.InFlight(), 1u);  // published = acked + ack errors + in flight
}

}  // namespace
}  // namespace brokerload::accounting
