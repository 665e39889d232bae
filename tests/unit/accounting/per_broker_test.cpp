// TargetAccounting's figures by broker (Options::latency_by_broker): latencies, publish errors,
// duplicates and losses under the broker the client named, the one that acknowledged, or the
// topic's.
#include <gtest/gtest.h>

#include <vector>

#include "accounting/target_accounting.hpp"
#include "message/header.hpp"
#include "payloads.hpp"

namespace brokerload::accounting {
namespace {

using testing::kRun;
using testing::kSecond;
using testing::Payload;

TargetAccounting::Options Options(std::size_t topics, std::size_t phases = 1) {
  TargetAccounting::Options o;
  o.topics = topics;
  o.identity = kRun;
  o.phases = phases;
  o.latency_by_broker = true;
  return o;
}

// The slot's count of `broker`, 0 when it has none.
std::uint64_t LostAt(const BrokerFigures& brokers, std::int32_t broker) {
  for (std::size_t i = 0; i < brokers.Size(); ++i) {
    if (brokers.Broker(i) == broker) return brokers.Lost(i);
  }
  return 0;
}

// With latency_by_broker, publish and end-to-end latency are also recorded under the broker the
// client named, measured phases only, as the target's.
TEST(PerBroker, LatenciesAreRecordedUnderTheBrokerTheClientNamed) {
  TargetAccounting accounting(Options(1, 2));
  accounting.SetPhases({{0, 10 * kSecond, false}, {10 * kSecond}});
  const auto measured = [](std::uint64_t sequence) {
    return Payload(0, sequence, message::kNoKey, kRun, 11 * kSecond, 11 * kSecond + 1'000);
  };
  accounting.OnAck(Payload(0, 0), 3'000, 2);  // warm-up: counted, not recorded
  accounting.OnAck(measured(1), 11 * kSecond + 5'000, 2);
  accounting.OnAck(measured(2), 11 * kSecond + 9'000, 4);
  accounting.OnAck(measured(3), 11 * kSecond + 9'000, driver::kUnknownBroker);
  WorkItem item;
  ASSERT_TRUE(accounting.OnReceived(0, measured(1), 12 * kSecond, item, false, 0, 4));
  const BrokerFigures* brokers = accounting.Brokers();
  ASSERT_NE(brokers, nullptr);
  ASSERT_EQ(brokers->Size(), 2u);
  EXPECT_EQ(brokers->Broker(0), 2);
  EXPECT_EQ(brokers->Broker(1), 4);
  EXPECT_EQ(brokers->Publish(0).Snapshot().Count(), 1u);
  EXPECT_EQ(brokers->Publish(0).Snapshot().MaxNs(), 4'000);
  EXPECT_EQ(brokers->Publish(1).Snapshot().Count(), 1u);
  EXPECT_EQ(brokers->EndToEnd(0).Snapshot().Count(), 0u);
  EXPECT_EQ(brokers->EndToEnd(1).Snapshot().Count(), 1u);
  EXPECT_EQ(brokers->EndToEnd(1).Snapshot().MaxNs(), kSecond);
  EXPECT_EQ(accounting.Latencies(0).publish.Snapshot().Count(), 3u);  // unknown broker included
}

// A client that names no broker (JetStream): each topic's messages under its topic's broker as
// last set, none before.
TEST(PerBroker, WithoutABrokerFromTheClientTheTopicsBrokerIsTaken) {
  TargetAccounting accounting(Options(2));
  accounting.OnAck(Payload(0, 0), 3'000, driver::kUnknownBroker);  // no broker known yet
  accounting.SetTopicBroker(0, 5);
  accounting.SetTopicBroker(1, 6);
  accounting.OnAck(Payload(0, 1), 4'000, driver::kUnknownBroker);
  accounting.OnAck(Payload(1, 0), 4'000, driver::kUnknownBroker);
  accounting.OnAck(Payload(1, 1), 4'000, 7);  // the client's word wins
  WorkItem item;
  ASSERT_TRUE(accounting.OnReceived(1, Payload(1, 0), 9'000, item));
  accounting.SetTopicBroker(0, 6);  // a new leader of topic 0's stream
  accounting.OnAck(Payload(0, 2), 4'000, driver::kUnknownBroker);
  const BrokerFigures& brokers = *accounting.Brokers();
  ASSERT_EQ(brokers.Size(), 3u);
  EXPECT_EQ(brokers.Broker(0), 5);
  EXPECT_EQ(brokers.Publish(0).Snapshot().Count(), 1u);
  EXPECT_EQ(brokers.Broker(1), 6);
  EXPECT_EQ(brokers.Publish(1).Snapshot().Count(), 2u);
  EXPECT_EQ(brokers.EndToEnd(1).Snapshot().Count(), 1u);
  EXPECT_EQ(brokers.Broker(2), 7);
  EXPECT_EQ(brokers.Publish(2).Snapshot().Count(), 1u);
}

TEST(PerBroker, IsOffUnlessAsked) {
  TargetAccounting::Options options = Options(1);
  options.latency_by_broker = false;
  TargetAccounting accounting(options);
  accounting.OnAck(Payload(0, 0), 3'000, 2);
  EXPECT_EQ(accounting.Brokers(), nullptr);
}

// A loss goes under the broker that acknowledged the message; one never acknowledged under the
// topic's broker, and under none where the topic has none (Kafka).
TEST(PerBroker, ALossIsCountedUnderTheBrokerThatAcknowledgedIt) {
  TargetAccounting accounting(Options(1));
  const std::int32_t acked_by[] = {1, 1, 1, 2, 2, 1, -1, 1};  // -1: never acknowledged
  for (std::uint64_t s = 0; s < 8; ++s) {
    accounting.OnSent(0, s, 0, 1'000);
    if (acked_by[s] >= 0) accounting.OnAck(Payload(0, s), 2'000, acked_by[s]);
  }
  WorkItem item;
  for (const std::uint64_t s : {0u, 2u, 5u, 7u}) {
    ASSERT_TRUE(accounting.OnReceived(0, Payload(0, s), 3'000, item, false, 0, acked_by[s]));
  }
  accounting.Sweep(1 * kSecond, 5 * kSecond);
  accounting.Sweep(6 * kSecond, 5 * kSecond);
  EXPECT_EQ(accounting.TopicTotals(0).lost, 4u);  // 1, 3, 4 and 6
  const BrokerFigures& brokers = *accounting.Brokers();
  EXPECT_EQ(LostAt(brokers, 1), 1u);
  EXPECT_EQ(LostAt(brokers, 2), 2u);
}

TEST(PerBroker, ALossNeverAcknowledgedIsCountedUnderTheTopicsBroker) {
  TargetAccounting accounting(Options(1));
  accounting.SetTopicBroker(0, 7);
  for (std::uint64_t s = 0; s < 3; ++s) accounting.OnSent(0, s, 0, 1'000);
  accounting.OnAck(Payload(0, 0), 2'000, driver::kUnknownBroker);
  accounting.OnAck(Payload(0, 2), 2'000, driver::kUnknownBroker);
  WorkItem item;
  ASSERT_TRUE(accounting.OnReceived(0, Payload(0, 0), 3'000, item));
  ASSERT_TRUE(accounting.OnReceived(0, Payload(0, 2), 3'000, item));
  accounting.Sweep(1 * kSecond, 5 * kSecond);
  accounting.Sweep(6 * kSecond, 5 * kSecond);
  EXPECT_EQ(accounting.TopicTotals(0).lost, 1u);
  EXPECT_EQ(LostAt(*accounting.Brokers(), 7), 1u);
}

// A second copy from a new place counts under the broker it was read from; a redelivery does not;
// a failed publish under the broker that failed it, or the topic's, or none.
TEST(PerBroker, DuplicatesAndPublishErrorsAreCountedUnderTheirBroker) {
  TargetAccounting accounting(Options(2));
  WorkItem item;
  ASSERT_TRUE(accounting.OnReceived(0, Payload(0, 0), 3'000, item, false, 0, 3));
  EXPECT_FALSE(accounting.OnReceived(0, Payload(0, 0), 3'000, item, false, 0, 3));
  EXPECT_FALSE(accounting.OnReceived(0, Payload(0, 0), 3'000, item, true, 0, 3));  // redelivered
  accounting.OnAckFailed(Payload(0, 1), driver::Status::kTimeout, 2);
  accounting.OnAckFailed(Payload(0, 2), driver::Status::kTimeout, 2);
  accounting.OnAckFailed(Payload(0, 3), driver::Status::kRejected, driver::kUnknownBroker);
  accounting.SetTopicBroker(1, 5);
  accounting.OnAckFailed(Payload(1, 0), driver::Status::kRejected, driver::kUnknownBroker);
  const BrokerFigures& brokers = *accounting.Brokers();
  ASSERT_EQ(brokers.Size(), 3u);
  EXPECT_EQ(brokers.Broker(0), 3);
  EXPECT_EQ(brokers.Duplicated(0), 1u);
  EXPECT_EQ(brokers.Broker(1), 2);
  EXPECT_EQ(brokers.PublishErrors(1, driver::Status::kTimeout), 2u);
  EXPECT_EQ(brokers.PublishErrors(1, driver::Status::kRejected), 0u);
  EXPECT_EQ(brokers.Broker(2), 5);
  EXPECT_EQ(brokers.PublishErrors(2, driver::Status::kRejected), 1u);
  EXPECT_EQ(accounting.TopicTotals(0).duplicated, 1u);
  EXPECT_EQ(accounting.TopicTotals(0).redelivered, 1u);
}

// The acknowledgement can come before the publisher counts the send (the client answers before
// Send returns): the loss is still under the broker that acknowledged it.
TEST(PerBroker, AnAcknowledgementBeforeItsSendStillNamesTheBroker) {
  TargetAccounting accounting(Options(1));
  accounting.OnAck(Payload(0, 1), 2'000, 4);  // before its OnSent
  for (std::uint64_t s = 0; s < 3; ++s) accounting.OnSent(0, s, 0, 1'000);
  accounting.OnAck(Payload(0, 0), 2'000, 4);
  accounting.OnAck(Payload(0, 2), 2'000, 4);
  WorkItem item;
  ASSERT_TRUE(accounting.OnReceived(0, Payload(0, 0), 3'000, item, false, 0, 4));
  ASSERT_TRUE(accounting.OnReceived(0, Payload(0, 2), 3'000, item, false, 0, 4));
  accounting.Sweep(1 * kSecond, 5 * kSecond);
  accounting.Sweep(6 * kSecond, 5 * kSecond);
  EXPECT_EQ(accounting.TopicTotals(0).lost, 1u);
  EXPECT_EQ(LostAt(*accounting.Brokers(), 4), 1u);
}

// A sequence whose entry a later round took (acknowledged AckedBy::kWindow later by another
// broker) and that was itself never acknowledged is counted under no broker (Kafka), never under
// the later one's.
TEST(PerBroker, ALaterRoundsAcknowledgementIsNotTakenForALostOnes) {
  TargetAccounting accounting(Options(1));
  constexpr std::uint64_t kLater = AckedBy::kWindow + 1;
  accounting.OnAck(Payload(0, 0), 2'000, 1);
  accounting.OnAck(Payload(0, kLater), 2'000, 2);  // takes sequence 1's entry
  WorkItem item;
  ASSERT_TRUE(accounting.OnReceived(0, Payload(0, 0), 3'000, item, false, 0, 1));
  ASSERT_TRUE(accounting.OnReceived(0, Payload(0, 2), 3'000, item, false, 0, 1));
  accounting.Sweep(1 * kSecond, 5 * kSecond);
  accounting.Sweep(6 * kSecond, 5 * kSecond);
  EXPECT_EQ(accounting.TopicTotals(0).lost, 1u);  // sequence 1
  EXPECT_EQ(LostAt(*accounting.Brokers(), 2), 0u);
  EXPECT_EQ(LostAt(*accounting.Brokers(), 1), 0u);
}

// Where the client discarded some of a gap (brokerload's loss), the rest of it is the broker's,
// shared by the brokers that acknowledged the gap in proportion: never more than the target's.
TEST(PerBroker, AGapPartlyDroppedByTheClientIsSharedInProportion) {
  TargetAccounting accounting(Options(1));
  for (std::uint64_t s = 0; s < 10; ++s) {
    accounting.OnSent(0, s, 0, 1'000);
    accounting.OnAck(Payload(0, s), 2'000, s < 5 ? 1 : 2);  // 1..4 by broker 1, 5..8 by 2
  }
  accounting.OnClientDropped(0, 4);
  WorkItem item;
  ASSERT_TRUE(accounting.OnReceived(0, Payload(0, 0), 3'000, item, false, 0, 1));
  ASSERT_TRUE(accounting.OnReceived(0, Payload(0, 9), 3'000, item, false, 0, 2));
  accounting.Sweep(1 * kSecond, 5 * kSecond);
  accounting.Sweep(6 * kSecond, 5 * kSecond);
  const Totals t = accounting.TopicTotals(0);
  EXPECT_EQ(t.dropped_by_client, 4u);
  EXPECT_EQ(t.lost, 4u);
  EXPECT_EQ(LostAt(*accounting.Brokers(), 1), 2u);
  EXPECT_EQ(LostAt(*accounting.Brokers(), 2), 2u);
}

// Consume-only knows no acknowledgements: a gap goes under the topic's broker where one is named
// (JetStream), and Kafka's losses are not told by broker at all.
TEST(PerBroker, ConsumeOnlyCountsLossesUnderTheTopicsBrokerOrNone) {
  TargetAccounting::Options options = Options(1);
  options.receive = ReceiveMode::kAnySource;
  TargetAccounting kafka(options);
  kafka.AcceptFrom(0);
  WorkItem item;
  ASSERT_TRUE(kafka.OnReceived(0, Payload(0, 0), 3'000, item, false, 0, 1));
  ASSERT_TRUE(kafka.OnReceived(0, Payload(0, 1'000'000), 3'000, item, false, 0, 1));
  kafka.Sweep(1 * kSecond, 5 * kSecond);
  kafka.Sweep(6 * kSecond, 5 * kSecond);
  EXPECT_EQ(kafka.TopicTotals(0).lost, 999'999u);
  EXPECT_FALSE(kafka.LossesByBroker());
  EXPECT_EQ(LostAt(*kafka.Brokers(), 1), 0u);

  TargetAccounting nats(options);
  nats.AcceptFrom(0);
  nats.SetTopicBroker(0, 3);
  ASSERT_TRUE(nats.OnReceived(0, Payload(0, 0), 3'000, item));
  ASSERT_TRUE(nats.OnReceived(0, Payload(0, 5), 3'000, item));
  nats.Sweep(1 * kSecond, 5 * kSecond);
  nats.Sweep(6 * kSecond, 5 * kSecond);
  EXPECT_TRUE(nats.LossesByBroker());
  EXPECT_EQ(LostAt(*nats.Brokers(), 3), 4u);
}

}  // namespace
}  // namespace brokerload::accounting
