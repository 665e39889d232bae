#include "accounting/target_accounting.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "message/header.hpp"

namespace brokerload::accounting {
namespace {

constexpr RunIdentity kRun{0xABCDEF, 3};
constexpr std::int64_t kSecond = 1'000'000'000;

std::vector<std::byte> Payload(std::uint16_t topic, std::uint64_t sequence,
                               std::uint32_t key = message::kNoKey, RunIdentity run = kRun,
                               std::int64_t intended_ns = 1'000, std::int64_t actual_ns = 2'000) {
  std::vector<std::byte> payload(64);
  message::Header h;
  h.run_id = run.run_id;
  h.producer_id = run.producer_id;
  h.topic = topic;
  h.key = key;
  h.sequence = sequence;
  h.intended_ns = intended_ns;
  h.actual_ns = actual_ns;
  message::Encode(h, payload);
  return payload;
}

class TargetAccountingTest : public ::testing::Test {
 protected:
  TargetAccounting accounting_{0, 2, 4, kRun, 2'000'000};
  WorkItem item_;

  bool Receive(std::uint16_t topic, std::uint64_t sequence, std::int64_t now_ns = 10'000,
               std::uint32_t key = message::kNoKey) {
    return accounting_.OnReceived(topic, Payload(topic, sequence, key), now_ns, item_);
  }
};

TEST_F(TargetAccountingTest, CountsConsumedAndRecordsBothEndToEndLatencies) {
  ASSERT_TRUE(Receive(1, 0, 10'000));
  EXPECT_EQ(item_.topic, 1);
  EXPECT_EQ(item_.sequence, 0u);
  EXPECT_EQ(accounting_.Counters(1).consumed.load(), 1u);
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
  EXPECT_EQ(accounting_.Counters(0).foreign[0].load(), 1u);
  EXPECT_EQ(accounting_.Counters(0).foreign[1].load(), 1u);
  EXPECT_EQ(accounting_.Counters(0).consumed.load(), 0u);
}

TEST_F(TargetAccountingTest, DuplicatesAreCountedAndNotProcessedAgain) {
  ASSERT_TRUE(Receive(0, 0));
  EXPECT_FALSE(Receive(0, 0));
  EXPECT_EQ(accounting_.Counters(0).duplicated.load(), 1u);
  EXPECT_EQ(accounting_.Counters(0).consumed.load(), 2u);
}

TEST_F(TargetAccountingTest, AGapIsLostOnlyAfterTheGracePeriod) {
  const std::int64_t grace = 5 * kSecond;
  Receive(0, 0);
  Receive(0, 2);  // 1 is missing
  accounting_.Sweep(1 * kSecond, grace);
  accounting_.Sweep(5 * kSecond, grace);
  EXPECT_EQ(accounting_.Counters(0).lost.load(), 0u);
  accounting_.Sweep(6 * kSecond, grace);  // the checkpoint from 1 s is now 5 s old
  EXPECT_EQ(accounting_.Counters(0).lost.load(), 1u);
  accounting_.Sweep(20 * kSecond, grace);
  EXPECT_EQ(accounting_.Counters(0).lost.load(), 1u);  // counted once
}

TEST_F(TargetAccountingTest, ALateFillWithinGraceIsNoLoss) {
  const std::int64_t grace = 5 * kSecond;
  Receive(0, 0);
  Receive(0, 2);
  accounting_.Sweep(1 * kSecond, grace);
  Receive(0, 1);
  accounting_.Sweep(10 * kSecond, grace);
  EXPECT_EQ(accounting_.Counters(0).lost.load(), 0u);
}

TEST_F(TargetAccountingTest, FinalSweepCountsPublishedMessagesNeverReceived) {
  for (int i = 0; i < 5; ++i) accounting_.OnSent(0, 0);
  Receive(0, 0);
  Receive(0, 1);
  accounting_.FinalSweep();
  EXPECT_EQ(accounting_.Counters(0).lost.load(), 3u);
}

TEST_F(TargetAccountingTest, AFailedAckIsAnErrorAndNotALoss) {
  for (int i = 0; i < 3; ++i) accounting_.OnSent(0, 0);
  accounting_.OnAck(Payload(0, 0), 5'000);
  accounting_.OnAckFailed(Payload(0, 1), driver::Status::kTimeout);
  accounting_.OnAck(Payload(0, 2), 5'000);
  Receive(0, 0);
  Receive(0, 2);
  accounting_.FinalSweep();
  const TopicCounters& c = accounting_.Counters(0);
  EXPECT_EQ(c.acked.load(), 2u);
  EXPECT_EQ(c.ack_errors[static_cast<std::size_t>(driver::Status::kTimeout)].load(), 1u);
  EXPECT_EQ(c.lost.load(), 0u);
  EXPECT_EQ(accounting_.InFlight(), 0u);
  EXPECT_EQ(accounting_.Latencies(0).publish.Snapshot().MaxNs(), 3'000);
}

TEST_F(TargetAccountingTest, OutOfOrderIsCountedPerKey) {
  accounting_.OnProcessed({0, 0, 1, 5});
  accounting_.OnProcessed({0, 0, 2, 3});  // another key: no constraint
  accounting_.OnProcessed({0, 0, 1, 4});  // key 1 went backwards
  accounting_.OnProcessed({0, 0, 1, 9});
  EXPECT_EQ(accounting_.Counters(0).out_of_order.load(), 1u);
  EXPECT_EQ(accounting_.Counters(0).processed.load(), 4u);
}

TEST_F(TargetAccountingTest, SendsCountLateBeyondTheThreshold) {
  accounting_.OnSent(0, 1'000'000);
  accounting_.OnSent(0, 3'000'000);
  accounting_.OnDropped(1, 7);
  EXPECT_EQ(accounting_.Counters(0).published.load(), 2u);
  EXPECT_EQ(accounting_.Counters(0).late_sends.load(), 1u);
  EXPECT_EQ(accounting_.Counters(1).dropped_sends.load(), 7u);
  EXPECT_EQ(accounting_.SendLag().Snapshot().Count(), 2u);
}

}  // namespace
}  // namespace brokerload::accounting

namespace brokerload::accounting {
namespace {

TEST(TargetAccountingWarmup, WarmupMessagesAreCountedApartAndKeptOutOfTheHistograms) {
  TargetAccounting accounting(0, 1, 0, kRun, 2'000'000);
  accounting.SetMeasureFrom(5'000);
  accounting.OnSent(0, 100, 1'000);  // warm-up
  accounting.OnSent(0, 100, 6'000);  // measured
  accounting.OnAck(Payload(0, 0, message::kNoKey, kRun, 1'000, 1'100), 2'000);
  accounting.OnAck(Payload(0, 1, message::kNoKey, kRun, 6'000, 6'100), 7'000);
  WorkItem item;
  EXPECT_TRUE(
      accounting.OnReceived(0, Payload(0, 0, message::kNoKey, kRun, 1'000, 1'100), 3'000, item));
  EXPECT_TRUE(
      accounting.OnReceived(0, Payload(0, 1, message::kNoKey, kRun, 6'000, 6'100), 9'000, item));
  const TopicCounters& c = accounting.Counters(0);
  EXPECT_EQ(c.published.load(), 2u);
  EXPECT_EQ(c.warmup_published.load(), 1u);
  EXPECT_EQ(c.warmup_acked.load(), 1u);
  EXPECT_EQ(c.warmup_consumed.load(), 1u);
  EXPECT_EQ(accounting.Latencies(0).end_to_end.Snapshot().Count(), 1u);
  EXPECT_EQ(accounting.Latencies(0).end_to_end.Snapshot().MaxNs(), 3'000);
  EXPECT_EQ(accounting.Latencies(0).publish.Snapshot().Count(), 1u);
  EXPECT_EQ(accounting.SendLag().Snapshot().Count(), 1u);
  EXPECT_EQ(accounting.LastReceiveNs(), 9'000);
}

}  // namespace
}  // namespace brokerload::accounting

namespace brokerload::accounting {
namespace {

TEST(TargetAccountingTotals, SumAddsEveryTopic) {
  TargetAccounting accounting(0, 3, 0, kRun, 2'000'000);
  accounting.OnSent(0, 0);
  accounting.OnSent(2, 0);
  accounting.OnSendFailed(1, driver::Status::kDisconnected);
  accounting.OnAckFailed(Payload(2, 0), driver::Status::kTimeout);
  accounting.OnDropped(1, 4);
  const Totals t = accounting.Sum();
  EXPECT_EQ(t.published, 2u);
  EXPECT_EQ(t.dropped_sends, 4u);
  EXPECT_EQ(t.errors[static_cast<std::size_t>(driver::Status::kDisconnected)], 1u);
  EXPECT_EQ(t.Errors(), 2u);
}

}  // namespace
}  // namespace brokerload::accounting
