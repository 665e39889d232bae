// Publisher lanes (workload.publishers): N publishers on one schedule, stepped on a manual clock
// side by side with a single publisher; the N together must send exactly what the one sends.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <tuple>
#include <vector>

#include "publisher_fixture.hpp"

namespace brokerload::pacing::testing {
namespace {

constexpr std::size_t kTopics = 6;
constexpr accounting::RunIdentity kLaneRun{42, 1};

// One publisher, or N lanes, each with its own fake producer, on one accounting of its own.
struct Fleet {
  // `phases`: accounting phase windows (none: one open phase).
  Fleet(const config::Workload& workload, const config::Run& run, const Schedule& schedule,
        const Clock& clock, std::uint32_t lanes,
        const std::vector<accounting::PhaseWindow>& phases = {})
      : accounting({0, kTopics, static_cast<std::uint32_t>(workload.keys), kLaneRun, 2 * kMs,
                    std::max<std::size_t>(phases.size(), 1), false}),
        producers(lanes) {
    if (!phases.empty()) accounting.SetPhases(phases);
    for (std::uint32_t k = 0; k < lanes; ++k) {
      publishers.push_back(std::make_unique<Publisher>(workload, run, schedule, producers[k],
                                                       accounting, kLaneRun, clock, kStart,
                                                       Lane{k, lanes}));
    }
  }
  std::size_t Step(std::int64_t now_ns, std::size_t max_batch = 1 << 16) {
    std::size_t sent = 0;
    for (auto& p : publishers) sent += p->Step(now_ns, max_batch);
    return sent;
  }
  // Every send's scheduled time, in order.
  std::vector<std::int64_t> Intended() const {
    std::vector<std::int64_t> all;
    for (const auto& send : Sends()) all.push_back(std::get<0>(send));
    return all;
  }
  // Each lane on its own topics (t % N == k), each topic's sequence from 0 without a gap.
  void ExpectLanesOwnTheirTopics() const {
    const std::size_t lanes = producers.size();
    for (std::size_t k = 0; k < lanes; ++k) {
      std::vector<std::uint64_t> next(kTopics, 0);
      for (const FakeProducer::Sent& s : producers[k].sent) {
        EXPECT_EQ(s.topic % lanes, k);
        EXPECT_EQ(s.header.sequence, next[s.topic]++) << "lane " << k << " topic " << s.topic;
      }
    }
  }
  // (intended time, topic, sequence, key) of every send, in the order of intended time.
  std::vector<std::tuple<std::int64_t, std::size_t, std::uint64_t, std::uint32_t>> Sends() const {
    std::vector<std::tuple<std::int64_t, std::size_t, std::uint64_t, std::uint32_t>> all;
    for (const FakeProducer& producer : producers) {
      for (const FakeProducer::Sent& s : producer.sent) {
        all.emplace_back(s.header.intended_ns, s.topic, s.header.sequence, s.header.key);
      }
    }
    std::sort(all.begin(), all.end());
    return all;
  }

  accounting::TargetAccounting accounting;
  std::vector<FakeProducer> producers;
  std::vector<std::unique_ptr<Publisher>> publishers;
};

class PublisherLanesTest : public PublisherTest {
 protected:
  PublisherLanesTest() { workload_.topics = kTopics; }
};

TEST_F(PublisherLanesTest, LanesTogetherSendWhatOnePublisherSendsEachOnItsOwnTopics) {
  workload_.keys = 4;
  Fleet one(workload_, run_, schedule_, clock_, 1);
  Fleet three(workload_, run_, schedule_, clock_, 3);
  for (clock_.now = kStart; clock_.now <= kStart + 98 * kMs; clock_.now += 7 * kMs) {
    one.Step(clock_.now);
    three.Step(clock_.now);
  }
  ASSERT_EQ(one.Sends().size(), 99u);
  EXPECT_EQ(three.Sends(), one.Sends());
  for (std::uint32_t k = 0; k < 3; ++k) {
    ASSERT_FALSE(three.producers[k].sent.empty());
    for (const FakeProducer::Sent& s : three.producers[k].sent) {
      EXPECT_EQ((s.header.intended_ns - kStart) / kMs % 3, k);  // message n % 3 == k
    }
  }
  three.ExpectLanesOwnTheirTopics();
}

TEST_F(PublisherLanesTest, AStallDropsTheSameMessagesOnTheSameTopicsAsOnePublisher) {
  Fleet one(workload_, run_, schedule_, clock_, 1);
  Fleet two(workload_, run_, schedule_, clock_, 2);
  one.Step(kStart + 3 * kMs);
  two.Step(kStart + 3 * kMs);
  one.Step(kStart + 1'003 * kMs);  // a one-second stall: 4..902 dropped
  two.Step(kStart + 1'003 * kMs);
  EXPECT_EQ(two.Sends(), one.Sends());
  for (std::size_t t = 0; t < kTopics; ++t) {
    EXPECT_EQ(two.accounting.TopicTotals(t).dropped_sends,
              one.accounting.TopicTotals(t).dropped_sends)
        << "topic " << t;
    EXPECT_EQ(two.accounting.TopicTotals(t).published, one.accounting.TopicTotals(t).published);
  }
  EXPECT_EQ(two.accounting.Sum().dropped_sends, 899u);
}

TEST_F(PublisherLanesTest, DropsAcrossAPhaseBoundaryLandInTheSamePhasesAsOnePublishers) {
  const std::vector<accounting::PhaseWindow> phases = {
      {0, kStart + 401 * kMs, false}, {kStart + 401 * kMs, kStart + 2'000 * kMs, true}};
  Fleet one(workload_, run_, schedule_, clock_, 1, phases);
  Fleet three(workload_, run_, schedule_, clock_, 3, phases);
  clock_.now = kStart + 1'000 * kMs;  // a one-second stall: 0..899 dropped
  one.Step(clock_.now);
  three.Step(clock_.now);
  EXPECT_EQ(one.accounting.PhaseTotals(0).dropped_sends, 401u);  // due at 0..400 ms
  EXPECT_EQ(one.accounting.PhaseTotals(1).dropped_sends, 499u);  // due at 401..899 ms
  for (std::size_t phase = 0; phase < 2; ++phase) {
    EXPECT_EQ(three.accounting.PhaseTotals(phase).dropped_sends,
              one.accounting.PhaseTotals(phase).dropped_sends);
    EXPECT_EQ(three.accounting.PhaseTotals(phase).published,
              one.accounting.PhaseTotals(phase).published);
  }
  for (std::size_t t = 0; t < kTopics; ++t) {
    EXPECT_EQ(three.accounting.TopicTotals(t).dropped_sends,
              one.accounting.TopicTotals(t).dropped_sends)
        << "topic " << t;
  }
  EXPECT_EQ(three.Sends(), one.Sends());
}

TEST_F(PublisherLanesTest, OneLaneBehindLeavesTheOthersOnTime) {
  Fleet two(workload_, run_, schedule_, clock_, 2);
  two.producers[1].refusals.assign(40, driver::Status::kQueueFull);
  for (clock_.now = kStart; clock_.now <= kStart + 40 * kMs; clock_.now += kMs) {
    two.Step(clock_.now);
  }
  EXPECT_EQ(two.producers[0].sent.size(), 21u);  // 0, 2, ... 40 ms, each at its time
  for (const FakeProducer::Sent& s : two.producers[0].sent) {
    EXPECT_EQ(s.header.actual_ns, s.header.intended_ns);
  }
  EXPECT_TRUE(two.producers[1].sent.empty());    // refused at each of its 40 steps
  two.Step(kStart + 60 * kMs);                   // the refusals are over: lane 1 catches up
  EXPECT_EQ(two.producers[1].sent.size(), 30u);  // 1, 3, ... 59 ms
  two.ExpectLanesOwnTheirTopics();
}

TEST_F(PublisherLanesTest, AReloadSwitchesEveryLaneAtItsStartWithoutGapOrRepeat) {
  Fleet one(workload_, run_, schedule_, clock_, 1);
  Fleet two(workload_, run_, schedule_, clock_, 2);
  const Schedule faster = ConstantRate(3'000);
  one.Step(kStart + 10 * kMs);
  two.Step(kStart + 10 * kMs);
  for (Fleet* fleet : {&one, &two}) {
    for (auto& p : fleet->publishers) {
      p->Offer(std::make_unique<PublisherSettings>(
          MakeSettings(workload_, run_, faster, kStart + 15 * kMs, 42)));
    }
  }
  for (std::int64_t t = kStart + 11 * kMs; t <= kStart + 30 * kMs; t += kMs) {
    one.Step(t);
    two.Step(t);
  }
  // The same times; after the switch a lane's topics may take other times than one publisher's
  // (each lane counts its own messages), but each lane keeps its topics and their sequences.
  EXPECT_EQ(two.Intended(), one.Intended());
  EXPECT_EQ(one.Sends().size(), 15u + 46u);  // 0..14 ms at 1/ms, then 15..30 ms at 3/ms
  two.ExpectLanesOwnTheirTopics();
}

TEST_F(PublisherLanesTest, UnpacedEachLaneKeepsItsShareOfTheWindowInFlight) {
  config::Profile profile{{config::Stage{"max", 1e7, std::nullopt, std::nullopt}}, false};
  profile.max_in_flight = 100;
  const Schedule unpaced(profile);
  Fleet three(workload_, run_, unpaced, clock_, 3);
  clock_.now = kStart + 1;
  EXPECT_EQ(three.publishers[0]->Step(clock_.now), 34u);  // ceil(100 / 3)
  EXPECT_EQ(three.publishers[0]->Step(clock_.now), 0u);   // its share is full
  EXPECT_EQ(three.publishers[1]->Step(clock_.now), 34u);  // the others' are not
  EXPECT_EQ(three.accounting.InFlight(0, 3), 34u);
  EXPECT_EQ(three.accounting.InFlight(1, 3), 34u);
  EXPECT_EQ(three.accounting.InFlight(2, 3), 0u);
  for (const FakeProducer::Sent& s : three.producers[1].sent) EXPECT_EQ(s.topic % 3, 1u);
}

}  // namespace
}  // namespace brokerload::pacing::testing
