// The bound Consumer::Start keeps on JetStream API requests (driver/nats/setup_budget.hpp), on a
// clock the tests step by hand: the exact deadline, a cancel between two requests, and the wait
// each request is given (never cnats' 0, which means 5 s).
#include "driver/nats/setup_budget.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>

namespace brokerload::driver::nats {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

struct ManualClock {
  SetupBudget::Clock::time_point now{std::chrono::hours(1)};
  SetupBudget::Now Reader() {
    return [this] { return now; };
  }
};

constexpr milliseconds kCap{5'000};

TEST(SetupBudget, RunsUntilTheDeadlineExactly) {
  ManualClock clock;
  const std::atomic<bool> cancel{false};
  const SetupBudget budget(milliseconds(100), cancel, clock.Reader());
  EXPECT_EQ(budget.Check(), Cutoff::kNone);
  clock.now += milliseconds(100) - microseconds(1);
  EXPECT_EQ(budget.Check(), Cutoff::kNone);
  clock.now += microseconds(1);
  EXPECT_EQ(budget.Check(), Cutoff::kTimedOut);
  EXPECT_EQ(budget.Describe(Cutoff::kTimedOut), "timed out after 100 ms");
}

TEST(SetupBudget, CancelWinsOverADeadlineReached) {
  ManualClock clock;
  std::atomic<bool> cancel{false};
  const SetupBudget budget(milliseconds(100), cancel, clock.Reader());
  cancel.store(true);
  EXPECT_EQ(budget.Check(), Cutoff::kCancelled);
  clock.now += milliseconds(200);
  EXPECT_EQ(budget.Check(), Cutoff::kCancelled);
  EXPECT_EQ(budget.Describe(Cutoff::kCancelled), "cancelled");
}

TEST(SetupBudget, GivesARequestWhatIsLeftRoundedUpAndCapped) {
  ManualClock clock;
  std::atomic<bool> cancel{false};
  const SetupBudget budget(milliseconds(8'000), cancel, clock.Reader());
  EXPECT_EQ(budget.RequestWaitMs(kCap), 5'000);  // cnats' own default, as before the bound
  clock.now += milliseconds(6'500);
  EXPECT_EQ(budget.RequestWaitMs(kCap), 1'500);
  clock.now += milliseconds(1'498) + microseconds(500);
  EXPECT_EQ(budget.RequestWaitMs(kCap), 2);  // 1.5 ms left
  clock.now += milliseconds(1) + microseconds(499);
  EXPECT_EQ(budget.RequestWaitMs(kCap), 1);  // 1 us left: 1 ms, never 0 (cnats' 5 s)
  clock.now += microseconds(1);
  EXPECT_EQ(budget.RequestWaitMs(kCap), 0);  // none left: no request
  cancel.store(true);
  clock.now -= milliseconds(10);
  EXPECT_EQ(budget.RequestWaitMs(kCap), 0);
}

TEST(SetupBudget, AZeroTimeoutAllowsNoRequest) {
  ManualClock clock;
  const std::atomic<bool> cancel{false};
  const SetupBudget budget(milliseconds(0), cancel, clock.Reader());
  int steps = 0;
  const Steps done = RunWithin(3, budget, kCap, [&](std::size_t, std::int64_t) {
    ++steps;
    return Step::kDone;
  });
  EXPECT_EQ(steps, 0);
  EXPECT_EQ(done.done, 0u);
  EXPECT_EQ(done.cutoff, Cutoff::kTimedOut);
}

TEST(RunWithin, RunsEveryStepWithinTheBudget) {
  ManualClock clock;
  const std::atomic<bool> cancel{false};
  const SetupBudget budget(milliseconds(100), cancel, clock.Reader());
  std::vector<std::int64_t> waits;
  const Steps done = RunWithin(4, budget, kCap, [&](std::size_t i, std::int64_t wait_ms) {
    EXPECT_EQ(i, waits.size());
    waits.push_back(wait_ms);
    clock.now += milliseconds(10);
    return Step::kDone;
  });
  EXPECT_TRUE(done.Complete(4));
  EXPECT_EQ(done.cutoff, Cutoff::kNone);
  EXPECT_EQ(waits, (std::vector<std::int64_t>{100, 90, 80, 70}));
}

TEST(RunWithin, StartsNoStepOnceTheDeadlineIsReached) {
  ManualClock clock;
  const std::atomic<bool> cancel{false};
  const SetupBudget budget(milliseconds(100), cancel, clock.Reader());
  std::vector<std::int64_t> waits;
  // 1,000 steps of 30 ms each: the fourth starts at 90 ms with 10 ms left; none at 120 ms.
  const Steps done = RunWithin(1'000, budget, kCap, [&](std::size_t, std::int64_t wait_ms) {
    waits.push_back(wait_ms);
    clock.now += milliseconds(30);
    return Step::kDone;
  });
  EXPECT_EQ(done.done, 4u);
  EXPECT_EQ(done.cutoff, Cutoff::kTimedOut);
  EXPECT_EQ(waits, (std::vector<std::int64_t>{100, 70, 40, 10}));
}

TEST(RunWithin, StopsBeforeTheNextStepOnceCancelled) {
  ManualClock clock;
  std::atomic<bool> cancel{false};
  const SetupBudget budget(milliseconds(100), cancel, clock.Reader());
  const Steps done = RunWithin(1'000, budget, kCap, [&](std::size_t i, std::int64_t) {
    if (i == 2) cancel.store(true);  // set by another thread while step 2 waits
    return Step::kDone;
  });
  EXPECT_EQ(done.done, 3u);
  EXPECT_EQ(done.cutoff, Cutoff::kCancelled);
}

TEST(RunWithin, AStepOutOfTheTimeLeftIsTheCutoffEvenWhenItsTimerFiredEarly) {
  ManualClock clock;
  const std::atomic<bool> cancel{false};
  const SetupBudget budget(milliseconds(100), cancel, clock.Reader());
  const Steps done = RunWithin(5, budget, kCap, [&](std::size_t i, std::int64_t wait_ms) {
    if (i < 1) return Step::kDone;
    // cnats' timer (whole ms of its own clock) ended the request a little before the deadline.
    clock.now += milliseconds(wait_ms) - microseconds(700);
    return Step::kOutOfTime;
  });
  EXPECT_EQ(done.done, 1u);
  EXPECT_EQ(done.cutoff, Cutoff::kTimedOut);
}

TEST(RunWithin, AStepOutOfItsFullWaitIsAFailureNotTheCutoff) {
  ManualClock clock;
  const std::atomic<bool> cancel{false};
  const SetupBudget budget(milliseconds(60'000), cancel, clock.Reader());
  const Steps done = RunWithin(5, budget, kCap, [&](std::size_t, std::int64_t wait_ms) {
    EXPECT_EQ(wait_ms, kCap.count());
    clock.now += kCap;  // a server that did not answer in 5 s: the caller's time is not up
    return Step::kOutOfTime;
  });
  EXPECT_EQ(done.done, 0u);
  EXPECT_EQ(done.cutoff, Cutoff::kNone);
}

TEST(RunWithin, AStepThatFailsWithTimeLeftIsNoCutoff) {
  ManualClock clock;
  const std::atomic<bool> cancel{false};
  const SetupBudget budget(milliseconds(100), cancel, clock.Reader());
  const Steps done = RunWithin(5, budget, kCap, [&](std::size_t i, std::int64_t) {
    return i < 2 ? Step::kDone : Step::kFailed;
  });
  EXPECT_EQ(done.done, 2u);
  EXPECT_EQ(done.cutoff, Cutoff::kNone);
  EXPECT_FALSE(done.Complete(5));
}

TEST(RunWithin, ACancelDuringAFailedStepIsTheCutoff) {
  ManualClock clock;
  std::atomic<bool> cancel{false};
  const SetupBudget budget(milliseconds(100), cancel, clock.Reader());
  const Steps done = RunWithin(5, budget, kCap, [&](std::size_t, std::int64_t) {
    cancel.store(true);
    return Step::kFailed;
  });
  EXPECT_EQ(done.done, 0u);
  EXPECT_EQ(done.cutoff, Cutoff::kCancelled);
}

TEST(StepsError, IsTheStepsOwnWithoutACutoffAndSaysHowFarItGotWithOne) {
  ManualClock clock;
  std::atomic<bool> cancel{false};
  const SetupBudget budget(milliseconds(250), cancel, clock.Reader());
  EXPECT_EQ(StepsError({2, Cutoff::kNone}, 5, budget, "consumers", "added", "refused"), "refused");
  EXPECT_EQ(StepsError({2, Cutoff::kTimedOut}, 5, budget, "consumers", "added", ""),
            "consumers: timed out after 250 ms with 2 of 5 added");
  EXPECT_EQ(StepsError({0, Cutoff::kCancelled}, 5, budget, "streams", "ready", "stream s: Timeout"),
            "streams: cancelled with 0 of 5 ready (stream s: Timeout)");
}

}  // namespace
}  // namespace brokerload::driver::nats
