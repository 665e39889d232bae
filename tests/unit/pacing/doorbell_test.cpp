#include "pacing/doorbell.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "message/header.hpp"
#include "pacing/publisher.hpp"
#include "publisher_fixture.hpp"

namespace brokerload::pacing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

milliseconds Since(steady_clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
}

TEST(DoorbellTest, AWaitForSettlesAlreadyCountedReturnsAtOnce) {
  Doorbell bell;
  for (int i = 0; i < 3; ++i) bell.Settled();
  EXPECT_EQ(bell.Count(), 3u);
  const auto start = steady_clock::now();
  EXPECT_TRUE(bell.WaitFor(3, start + std::chrono::seconds(10)));
  EXPECT_LT(Since(start), milliseconds(1'000));
}

TEST(DoorbellTest, AWaitEndsAtTheDeadlineWhenNothingSettles) {
  Doorbell bell;
  const auto start = steady_clock::now();
  EXPECT_FALSE(bell.WaitFor(1, start + milliseconds(30)));
  EXPECT_GE(Since(start), milliseconds(30));
}

TEST(DoorbellTest, SettlesOnOtherThreadsWakeTheWaiterWhenTheTargetIsReached) {
  Doorbell bell;
  constexpr std::uint64_t kEach = 100'000;
  std::atomic<bool> go{false};
  std::vector<std::thread> ackers;
  for (int t = 0; t < 2; ++t) {
    ackers.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      for (std::uint64_t i = 0; i < kEach; ++i) bell.Settled();
    });
  }
  const auto start = steady_clock::now();
  go = true;
  // Woken by the settle that reaches the target, long before the deadline.
  EXPECT_TRUE(bell.WaitFor(2 * kEach, start + std::chrono::seconds(30)));
  EXPECT_GE(bell.Count(), 2 * kEach);
  EXPECT_LT(Since(start), std::chrono::seconds(10));
  for (std::thread& t : ackers) t.join();
  EXPECT_EQ(bell.Count(), 2 * kEach);
}

TEST(DoorbellTest, WakeEndsTheWaitInProgressOrTheNextOne) {
  Doorbell bell;
  bell.Wake();  // before any wait: the next one ends at once
  auto start = steady_clock::now();
  EXPECT_TRUE(bell.WaitFor(100, start + std::chrono::seconds(10)));
  EXPECT_LT(Since(start), milliseconds(1'000));

  std::thread waker([&] {
    std::this_thread::sleep_for(milliseconds(20));
    bell.Wake();
  });
  start = steady_clock::now();
  EXPECT_TRUE(bell.WaitFor(100, start + std::chrono::seconds(10)));
  EXPECT_LT(Since(start), std::chrono::seconds(5));
  waker.join();
  // Consumed: a further wait runs to its deadline.
  EXPECT_FALSE(bell.WaitFor(100, steady_clock::now() + milliseconds(10)));
}

// A settle that comes after a wait ended, or while nobody waits, never ends a later wait early.
TEST(DoorbellTest, SettlesWhileNobodyWaitsDoNotEndALaterWait) {
  Doorbell bell;
  EXPECT_FALSE(bell.WaitFor(5, steady_clock::now() + milliseconds(5)));
  for (int i = 0; i < 10; ++i) bell.Settled();
  const auto start = steady_clock::now();
  EXPECT_FALSE(bell.WaitFor(100, start + milliseconds(20)));
  EXPECT_GE(Since(start), milliseconds(20));
}

// Thousands of short waits against a settling thread: none misses its wake-up (a lost one would
// run to the 5 s deadline and return false).
TEST(DoorbellTest, NoWaitMissesTheSettleThatReachesIt) {
  Doorbell bell;
  constexpr std::uint64_t kTotal = 1'000'000;
  std::thread acker([&] {
    for (std::uint64_t i = 0; i < kTotal; ++i) bell.Settled();
  });
  int waits = 0;
  int missed = 0;
  for (std::uint64_t count = bell.Count(); count < kTotal; count = bell.Count()) {
    const std::uint64_t target = std::min(count + 50, kTotal);
    if (!bell.WaitFor(target, steady_clock::now() + std::chrono::seconds(5))) ++missed;
    ++waits;
  }
  acker.join();
  EXPECT_EQ(missed, 0);
  EXPECT_GT(waits, 0);
}

// Sends from the publisher thread, read by the test thread.
class SharedProducer final : public driver::Producer {
 public:
  driver::Status Send(std::size_t, std::span<const std::byte>,
                      std::span<const std::byte> payload) override {
    const std::lock_guard lock(mutex_);
    sent_.emplace_back(payload.begin(), payload.end());
    return driver::Status::kOk;
  }
  bool Flush(milliseconds) override { return true; }
  driver::Description Describe() const override { return {}; }
  std::vector<std::vector<std::byte>> Sent() const {
    const std::lock_guard lock(mutex_);
    return sent_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::vector<std::byte>> sent_;
};

// Counts the publisher thread's steps: it reads the clock a fixed few times per loop.
class CountingClock final : public Clock {
 public:
  std::int64_t NowNs() const override {
    reads.fetch_add(1);
    return clock_.NowNs();
  }
  mutable std::atomic<std::uint64_t> reads{0};

 private:
  RunClock clock_;
};

using testing::PublisherTest;

// Unpaced with a full window, the thread sleeps until an eighth of the window has settled rather
// than looking every min_wake (250 us: 400 looks in 100 ms), then fills it again; Stop() and a
// reload end the wait. The longest wait is 10 s here, so nothing below passes by its expiry.
TEST_F(PublisherTest, AnUnpacedThreadWithAFullWindowSleepsUntilAnEighthOfItHasSettled) {
  config::Profile profile{{config::Stage{"max", 1e7, std::nullopt, std::nullopt}}, false};
  profile.max_in_flight = 100;
  const Schedule schedule(profile);
  SharedProducer producer;
  CountingClock clock;
  Doorbell bell;
  Publisher p(workload_, run_, schedule, producer, accounting_, kRun, clock, clock.NowNs());
  PublisherThread thread(
      p, clock, milliseconds(1),
      {.name = "pub-test", .doorbell = &bell, .room_wait = std::chrono::seconds(10)});
  const auto until = [](auto done) {
    const auto deadline = steady_clock::now() + std::chrono::seconds(5);
    while (!done() && steady_clock::now() < deadline) std::this_thread::sleep_for(milliseconds(1));
    return done();
  };
  ASSERT_TRUE(until([&] { return producer.Sent().size() == 100; }));
  const std::uint64_t reads = clock.reads.load();
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_LE(clock.reads.load() - reads, 10u);  // asleep, not 400 looks
  EXPECT_EQ(producer.Sent().size(), 100u);

  const std::vector<std::vector<std::byte>> sent = producer.Sent();
  for (std::size_t i = 0; i < 12; ++i) {  // 100 / 8: room for 12
    accounting_.OnAck(sent[i], 0);
    bell.Settled();
  }
  ASSERT_TRUE(until([&] { return producer.Sent().size() == 112; }));

  // A reload with a larger window, taken at once by the waiting thread.
  profile.max_in_flight = 200;
  const Schedule larger(profile);
  p.Offer(std::make_unique<PublisherSettings>(
      MakeSettings(workload_, run_, larger, clock.NowNs(), kRun.run_id)));
  thread.Wake();
  ASSERT_TRUE(until([&] { return producer.Sent().size() == 212; }));

  const auto stop = steady_clock::now();
  thread.Stop();
  EXPECT_LT(Since(stop), milliseconds(1'000));
}

TEST_F(PublisherTest, SettlesForRoomIsHowManyFreeAnEighthOfAFullWindow) {
  config::Profile profile{{config::Stage{"max", 1e7, std::nullopt, std::nullopt}}, false};
  profile.max_in_flight = 100;
  const Schedule unpaced(profile);
  Publisher p = Make(unpaced);
  clock_.now = testing::kStart + 1;
  EXPECT_EQ(p.SettlesForRoom(), 0u);  // nothing in flight
  EXPECT_EQ(p.Step(clock_.now, 80), 80u);
  EXPECT_EQ(p.SettlesForRoom(), 0u);  // room left
  EXPECT_EQ(p.Step(clock_.now), 20u);
  EXPECT_EQ(p.SettlesForRoom(), 12u);
  for (std::size_t i = 0; i < 5; ++i) {
    std::vector<std::byte> payload(100);
    message::Encode(producer_.sent[i].header, payload);
    accounting_.OnAck(payload, 0);
  }
  EXPECT_EQ(p.SettlesForRoom(), 0u);  // 95 in flight: room for 5

  Publisher paced = Make(schedule_);
  clock_.now = testing::kStart + 10 * testing::kMs;
  paced.Step(clock_.now);
  EXPECT_EQ(paced.SettlesForRoom(), 0u);
}

TEST_F(PublisherTest, AWaitForRoomEndsByTheWarmupsEndAndTakenSettingsStart) {
  config::Profile profile{{config::Stage{"max", 1e7, std::nullopt, std::nullopt}}, false};
  profile.max_in_flight = 10;
  const Schedule unpaced(profile, 50 * testing::kMs);  // 50 ms of warm-up
  Publisher p = Make(unpaced);
  clock_.now = testing::kStart + 10 * testing::kMs;
  p.Step(clock_.now);
  EXPECT_EQ(p.RoomWaitUntilNs(clock_.now, 100 * testing::kMs), testing::kStart + 50 * testing::kMs);
  EXPECT_EQ(p.RoomWaitUntilNs(clock_.now, 5 * testing::kMs), clock_.now + 5 * testing::kMs);
  clock_.now = testing::kStart + 60 * testing::kMs;  // warm-up over: only the longest wait
  p.Step(clock_.now);
  EXPECT_EQ(p.RoomWaitUntilNs(clock_.now, 100 * testing::kMs), clock_.now + 100 * testing::kMs);
  // Settings offered for 30 ms from now: taken at the next step, the wait ends at their start.
  p.Offer(std::make_unique<PublisherSettings>(
      MakeSettings(workload_, run_, unpaced, clock_.now + 30 * testing::kMs, kRun.run_id)));
  p.Step(clock_.now);
  EXPECT_EQ(p.RoomWaitUntilNs(clock_.now, 100 * testing::kMs), clock_.now + 30 * testing::kMs);
}

}  // namespace
}  // namespace brokerload::pacing
