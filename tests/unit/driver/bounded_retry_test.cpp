// RetryUntil, the Kafka driver's bounded waits, on a manual clock: no sleeps.
#include "driver/kafka/bounded_retry.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace brokerload::driver::kafka {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;

// A clock that moves only when an attempt or a pause says so.
class ManualClock {
 public:
  WaitClock Clock() {
    return {[this] { return now_; },
            [this](milliseconds pause) {
              pauses_.push_back(pause);
              now_ += pause;
            }};
  }
  void Advance(std::chrono::nanoseconds by) { now_ += by; }
  std::chrono::steady_clock::time_point Now() const { return now_; }
  const std::vector<milliseconds>& Pauses() const { return pauses_; }

 private:
  std::chrono::steady_clock::time_point now_{std::chrono::hours(1)};
  std::vector<milliseconds> pauses_;
};

constexpr RetryPolicy kPolicy = {milliseconds(1'000), milliseconds(250)};

TEST(RetryUntil, SucceedsAtTheFirstAttemptThatDoes) {
  ManualClock clock;
  int attempts = 0;
  EXPECT_TRUE(RetryUntil(
      clock.Now() + milliseconds(10'000), kPolicy, [] { return false; },
      [&](milliseconds) { return ++attempts == 3; }, clock.Clock()));
  EXPECT_EQ(attempts, 3);
  EXPECT_THAT(clock.Pauses(), ElementsAre(milliseconds(250), milliseconds(250)));
}

// Every attempt waits its whole wait (a frozen broker): the last wait and pause are cut to the
// deadline, and the whole ends exactly at it.
TEST(RetryUntil, EndsAtTheDeadlineWhenEveryAttemptWaitsItsWholeWait) {
  ManualClock clock;
  const auto deadline = clock.Now() + milliseconds(3'000);
  std::vector<milliseconds> waits;
  EXPECT_FALSE(RetryUntil(
      deadline, kPolicy, [] { return false; },
      [&](milliseconds wait) {
        waits.push_back(wait);
        clock.Advance(wait);
        return false;
      },
      clock.Clock()));
  // 1000 + 250 + 1000 + 250 = 2500; 500 left for the third attempt, then no pause.
  EXPECT_THAT(waits, ElementsAre(milliseconds(1'000), milliseconds(1'000), milliseconds(500)));
  EXPECT_THAT(clock.Pauses(), ElementsAre(milliseconds(250), milliseconds(250)));
  EXPECT_EQ(clock.Now(), deadline);
}

TEST(RetryUntil, APauseIsCutShortAtTheDeadline) {
  ManualClock clock;
  const auto deadline = clock.Now() + milliseconds(1'100);
  EXPECT_FALSE(RetryUntil(
      deadline, kPolicy, [] { return false; },
      [&](milliseconds wait) {
        clock.Advance(wait);
        return false;
      },
      clock.Clock()));
  EXPECT_THAT(clock.Pauses(), ElementsAre(milliseconds(100)));
  EXPECT_EQ(clock.Now(), deadline);
}

TEST(RetryUntil, LessThanAMillisecondLeftIsAOneMillisecondWaitNeverZero) {
  ManualClock clock;
  const auto deadline = clock.Now() + std::chrono::microseconds(300);
  std::vector<milliseconds> waits;
  RetryUntil(
      deadline, kPolicy, [] { return false; },
      [&](milliseconds wait) {
        waits.push_back(wait);
        clock.Advance(wait);
        return false;
      },
      clock.Clock());
  EXPECT_THAT(waits, ElementsAre(milliseconds(1)));
}

TEST(RetryUntil, NoTimeLeftMeansNoAttempt) {
  ManualClock clock;
  int attempts = 0;
  EXPECT_FALSE(RetryUntil(
      clock.Now(), kPolicy, [] { return false; }, [&](milliseconds) { return ++attempts > 0; },
      clock.Clock()));
  EXPECT_EQ(attempts, 0);
}

// Stop is seen before an attempt and right after one that failed, not after a pause first.
TEST(RetryUntil, StopEndsItBetweenAttempts) {
  ManualClock clock;
  bool stop = false;
  int attempts = 0;
  EXPECT_FALSE(RetryUntil(
      clock.Now() + milliseconds(60'000), kPolicy, [&] { return stop; },
      [&](milliseconds wait) {
        clock.Advance(wait);
        stop = ++attempts == 2;  // e.g. Stop() called during the second request
        return false;
      },
      clock.Clock()));
  EXPECT_EQ(attempts, 2);
  EXPECT_THAT(clock.Pauses(), ElementsAre(milliseconds(250)));
  stop = true;
  attempts = 0;
  EXPECT_FALSE(RetryUntil(
      clock.Now() + milliseconds(60'000), kPolicy, [&] { return stop; },
      [&](milliseconds) { return ++attempts > 0; }, clock.Clock()));
  EXPECT_EQ(attempts, 0);
}

TEST(RetryUntil, NoPauseWhenThePolicyHasNone) {
  ManualClock clock;
  int attempts = 0;
  EXPECT_TRUE(RetryUntil(
      clock.Now() + milliseconds(10'000), {milliseconds(500), milliseconds(0)},
      [] { return false; }, [&](milliseconds) { return ++attempts == 4; }, clock.Clock()));
  EXPECT_TRUE(clock.Pauses().empty());
}

}  // namespace
}  // namespace brokerload::driver::kafka
