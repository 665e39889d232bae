// BrokerFigures: a slot per broker in the order first seen, unknown brokers and those beyond
// the capacity left out, and concurrent first values of the same brokers sharing one slot each;
// its counters by slot. AckedBy: which slot acknowledged a sequence, and when that is not known.
#include "accounting/broker_figures.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <thread>
#include <vector>

namespace brokerload::accounting {
namespace {

TEST(BrokerFigures, EachBrokerHasOneSlotInTheOrderFirstSeen) {
  BrokerFigures brokers;
  brokers.RecordPublish(3, 1'000);
  brokers.RecordPublish(1, 2'000);
  brokers.RecordEndToEnd(3, 5'000);
  brokers.RecordEndToEnd(2, 7'000);
  brokers.RecordPublish(3, 3'000);
  ASSERT_EQ(brokers.Size(), 3u);
  EXPECT_EQ(brokers.Broker(0), 3);
  EXPECT_EQ(brokers.Broker(1), 1);
  EXPECT_EQ(brokers.Broker(2), 2);
  EXPECT_EQ(brokers.Publish(0).Snapshot().Count(), 2u);
  EXPECT_EQ(brokers.EndToEnd(0).Snapshot().Count(), 1u);
  EXPECT_EQ(brokers.Publish(1).Snapshot().Count(), 1u);
  EXPECT_EQ(brokers.EndToEnd(1).Snapshot().Count(), 0u);
  EXPECT_EQ(brokers.Publish(2).Snapshot().Count(), 0u);
  EXPECT_EQ(brokers.EndToEnd(2).Snapshot().Count(), 1u);
  EXPECT_DOUBLE_EQ(brokers.Publish(0).Snapshot().SumSeconds(), 4e-6);
  EXPECT_EQ(brokers.Overflow(), 0u);
}

TEST(BrokerFigures, AnUnknownBrokerIsNotRecorded) {
  BrokerFigures brokers;
  brokers.RecordPublish(-1, 1'000);
  brokers.RecordEndToEnd(-1, 1'000);
  EXPECT_EQ(brokers.Size(), 0u);
  EXPECT_EQ(brokers.Overflow(), 0u);
}

TEST(BrokerFigures, BrokersBeyondTheCapacityAreCountedAsOverflowOnly) {
  BrokerFigures brokers;
  for (std::int32_t b = 0; b < static_cast<std::int32_t>(BrokerFigures::kCapacity); ++b) {
    brokers.RecordPublish(b + 100, 1'000);
  }
  brokers.RecordPublish(7, 1'000);
  brokers.RecordEndToEnd(7, 1'000);
  brokers.RecordPublish(100, 1'000);  // a known one still has its slot
  EXPECT_EQ(brokers.Size(), BrokerFigures::kCapacity);
  EXPECT_EQ(brokers.Overflow(), 2u);
  EXPECT_EQ(brokers.Publish(0).Snapshot().Count(), 2u);
  for (std::size_t i = 0; i < brokers.Size(); ++i) EXPECT_NE(brokers.Broker(i), 7);
}

TEST(BrokerFigures, ThreadsMeetingTheSameNewBrokersAtOnceShareOneSlotEach) {
  constexpr int kThreads = 4;
  constexpr int kBrokers = 8;
  constexpr int kRounds = 1'000;
  BrokerFigures brokers;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&brokers, t] {
      for (int r = 0; r < kRounds; ++r) {
        for (int b = 0; b < kBrokers; ++b) {
          // Each thread meets the brokers in another order.
          const int broker = (b * (t % 2 == 0 ? 1 : -1) + t + kBrokers * 2) % kBrokers;
          brokers.RecordPublish(broker, 1'000);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_EQ(brokers.Size(), static_cast<std::size_t>(kBrokers));
  std::set<std::int32_t> seen;
  for (std::size_t i = 0; i < brokers.Size(); ++i) {
    seen.insert(brokers.Broker(i));
    EXPECT_EQ(brokers.Publish(i).Snapshot().Count(), static_cast<std::uint64_t>(kThreads) * kRounds)
        << "broker " << brokers.Broker(i);
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kBrokers));
  EXPECT_EQ(brokers.Overflow(), 0u);
}

TEST(BrokerFigures, CountsErrorsDuplicatesAndLossesBySlot) {
  BrokerFigures brokers;
  brokers.CountPublishError(4, driver::Status::kTimeout);
  brokers.CountPublishError(4, driver::Status::kTimeout);
  brokers.CountPublishError(4, driver::Status::kRejected);
  brokers.CountDuplicated(9);
  brokers.CountPublishError(-1, driver::Status::kTimeout);  // unknown: nowhere
  brokers.CountDuplicated(-1);
  const std::optional<std::size_t> slot = brokers.SlotOf(9);
  ASSERT_EQ(slot, std::optional<std::size_t>(1));
  brokers.CountLostAt(*slot, 5);
  EXPECT_EQ(brokers.SlotOf(-1), std::nullopt);
  ASSERT_EQ(brokers.Size(), 2u);
  EXPECT_EQ(brokers.PublishErrors(0, driver::Status::kTimeout), 2u);
  EXPECT_EQ(brokers.PublishErrors(0, driver::Status::kRejected), 1u);
  EXPECT_EQ(brokers.Duplicated(0), 0u);
  EXPECT_EQ(brokers.Duplicated(1), 1u);
  EXPECT_EQ(brokers.Lost(1), 5u);
  EXPECT_EQ(brokers.Lost(0), 0u);
}

TEST(AckedBy, TellsTheSlotThatAcknowledgedASequenceWhileItsEntryIsItsOwn) {
  AckedBy acked;
  constexpr std::uint64_t kLater = 5 + AckedBy::kWindow;  // shares sequence 5's entry
  acked.Sent(5);
  EXPECT_EQ(acked.SlotOf(5, 5), std::nullopt);  // sent, not acknowledged
  acked.Acked(5, 3);
  EXPECT_EQ(acked.SlotOf(5, 6), std::optional<std::size_t>(3));
  acked.Sent(kLater);
  EXPECT_EQ(acked.SlotOf(kLater, kLater), std::nullopt);  // the older acknowledgement is gone
  acked.Acked(kLater, 15);
  EXPECT_EQ(acked.SlotOf(kLater, kLater + 1), std::optional<std::size_t>(15));
  // Once the later sequence is acknowledged, the entry is no longer sequence 5's.
  EXPECT_EQ(acked.SlotOf(5, kLater + 1), std::nullopt);
}

}  // namespace
}  // namespace brokerload::accounting
