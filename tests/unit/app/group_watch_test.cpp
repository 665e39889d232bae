// A Kafka target's group coordinators and timed commits: how often the consumers are asked, the
// log line, and that each commit is recorded under the coordinator its group had when it started.
// Pure: a scripted consumer and the clock passed in (no sleeps).
#include "app/group_watch.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>

namespace brokerload::app {
namespace {

using namespace std::chrono_literals;
using Clock = GroupWatch::Clock;
using driver::CommitFailure;
using driver::Consumer;

// Answers Coordinator from a script (nullopt once it runs out) and TimedCommits with the results
// queued for it; counts the calls.
class ScriptedConsumer final : public Consumer {
 public:
  bool Start(driver::MessageListener&, std::chrono::milliseconds, const std::atomic<bool>&,
             std::string&) override {
    return true;
  }
  void Stop() override {}
  std::optional<std::int32_t> Coordinator(std::chrono::milliseconds) override {
    ++asked;
    if (coordinators.empty()) return std::nullopt;
    const auto next = coordinators.front();
    coordinators.pop_front();
    return next;
  }
  TimedCommitsAnswer TimedCommits(bool start) override {
    TimedCommitsAnswer answer;
    answer.answered.swap(answers);
    answer.started = start && !outstanding;
    starts += answer.started ? 1 : 0;
    return answer;
  }

  std::deque<std::optional<std::int32_t>> coordinators;
  std::vector<CommitResult> answers;
  bool outstanding = false;  // a commit still unanswered: a start is refused
  int asked = 0;
  int starts = 0;
};

const metrics::GroupCommits::Latency* LatencyOf(const metrics::GroupCommits& c,
                                                const std::string& broker) {
  for (const auto& l : c.latency) {
    if (l.broker == broker) return &l;
  }
  return nullptr;
}

TEST(CoordinatorLine, NamesEachGroupWithItsBroker) {
  EXPECT_EQ(CoordinatorLine("kafka", {"g-1"}, {2}),
            "kafka: consumer group coordinator: g-1 at broker 2");
  EXPECT_EQ(CoordinatorLine("kafka", {"g-c0", "g-c1"}, {2, std::nullopt}),
            "kafka: consumer group coordinators: g-c0 at broker 2, g-c1 at broker unknown");
}

TEST(GroupWatch, AsksAtTheFirstCallThenOncePerIntervalAndCountsGroupsPerCoordinator) {
  ScriptedConsumer a, b;
  a.coordinators = {2, 2};
  b.coordinators = {2, 3};
  GroupWatch watch("kafka");
  const Clock::time_point t0{};
  watch.Refresh({&a, nullptr, &b}, {"g-c0", "g-c1", "g-c2"}, t0);
  EXPECT_EQ(a.asked, 1);
  ASSERT_EQ(watch.Snapshot().coordinators.size(), 1u);
  EXPECT_EQ(watch.Snapshot().coordinators[0].broker, "2");
  EXPECT_EQ(watch.Snapshot().coordinators[0].groups, 2u);
  watch.Refresh({&a, nullptr, &b}, {"g-c0", "g-c1", "g-c2"}, t0 + GroupWatch::kInterval - 1ms);
  EXPECT_EQ(a.asked, 1);
  EXPECT_EQ(a.starts, 1);
  watch.Refresh({&a, nullptr, &b}, {"g-c0", "g-c1", "g-c2"}, t0 + GroupWatch::kInterval);
  EXPECT_EQ(a.asked, 2);
  EXPECT_EQ(a.starts, 2);
  const auto coordinators = watch.Snapshot().coordinators;
  ASSERT_EQ(coordinators.size(), 2u);
  EXPECT_EQ(coordinators[0].broker, "2");
  EXPECT_EQ(coordinators[0].groups, 1u);
  EXPECT_EQ(coordinators[1].broker, "3");
}

TEST(GroupWatch, WithoutAnAnswerTheLastCoordinatorStays) {
  ScriptedConsumer a;
  a.coordinators = {1};
  GroupWatch watch("kafka");
  const Clock::time_point t0{};
  watch.Refresh({&a}, {"g"}, t0);
  watch.Refresh({&a}, {"g"}, t0 + GroupWatch::kInterval);  // the script ran out: no answer
  ASSERT_EQ(watch.Snapshot().coordinators.size(), 1u);
  EXPECT_EQ(watch.Snapshot().coordinators[0].broker, "1");
}

TEST(GroupWatch, ACommitCountsUnderTheCoordinatorWhenItStartedNotWhenItAnswered) {
  ScriptedConsumer a;
  a.coordinators = {2, 3, 3};
  GroupWatch watch("kafka");
  const Clock::time_point t0{};
  watch.Refresh({&a}, {"g"}, t0);  // asks (2), starts a commit under 2
  a.answers = {{40ms, CommitFailure::kNone}};
  a.outstanding = false;
  watch.Refresh({&a}, {"g"}, t0 + GroupWatch::kInterval);  // answer of the commit under 2; asks (3)
  a.answers = {{3ms, CommitFailure::kNone}};
  watch.Refresh({&a}, {"g"}, t0 + GroupWatch::kInterval + 1s);  // the commit started under 3
  const metrics::GroupCommits c = watch.Snapshot();
  const auto* two = LatencyOf(c, "2");
  const auto* three = LatencyOf(c, "3");
  ASSERT_NE(two, nullptr);
  ASSERT_NE(three, nullptr);
  EXPECT_EQ(two->committed.Count(), 1u);
  EXPECT_NEAR(two->committed.SumSeconds(), 0.040, 0.001);
  EXPECT_EQ(three->committed.Count(), 1u);
  EXPECT_NEAR(three->committed.SumSeconds(), 0.003, 0.0001);
}

TEST(GroupWatch, ACommitStillOutstandingKeepsItsLabelWhenTheCoordinatorMoves) {
  ScriptedConsumer a;
  a.coordinators = {2, 3};
  GroupWatch watch("kafka");
  const Clock::time_point t0{};
  watch.Refresh({&a}, {"g"}, t0);  // starts under 2
  a.outstanding = true;
  watch.Refresh({&a}, {"g"},
                t0 + GroupWatch::kInterval);  // coordinator 3 now; no new commit started
  a.answers = {{7s, CommitFailure::kNone}};
  watch.Refresh({&a}, {"g"}, t0 + GroupWatch::kInterval + 1s);
  const metrics::GroupCommits c = watch.Snapshot();
  ASSERT_NE(LatencyOf(c, "2"), nullptr);
  EXPECT_EQ(LatencyOf(c, "2")->committed.Count(), 1u);
  EXPECT_EQ(LatencyOf(c, "3"), nullptr);
}

TEST(GroupWatch, FailuresCountByCoordinatorAndReasonAndStayOutOfTheLatency) {
  ScriptedConsumer a;
  GroupWatch watch("kafka");
  const Clock::time_point t0{};
  watch.Refresh({&a}, {"g"}, t0);  // no coordinator known: the commit starts under "unknown"
  a.answers = {{5s, CommitFailure::kTimeout}};
  watch.Refresh({&a}, {"g"}, t0 + 1s);
  const metrics::GroupCommits c = watch.Snapshot();
  EXPECT_TRUE(c.latency.empty());
  EXPECT_TRUE(c.coordinators.empty());
  ASSERT_EQ(c.failures.size(), 1u);
  EXPECT_EQ(c.failures[0].broker, "unknown");
  EXPECT_EQ(c.failures[0].reason, "timeout");
  EXPECT_EQ(c.failures[0].count, 1u);
}

}  // namespace
}  // namespace brokerload::app
