#include "metrics/target_health.hpp"

#include <gtest/gtest.h>

namespace brokerload::metrics {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

// Per-second increments of the counts, and the connection state.
struct Second {
  std::uint64_t published = 0;
  std::uint64_t acked = 0;
  std::uint64_t received = 0;
  std::uint64_t errors = 0;
  bool connected = true;
};

// One sample a second for `seconds`, the counts growing by `each`.
void Feed(TargetHealth& health, std::int64_t& now, HealthSample& counts, int seconds,
          const Second& each) {
  for (int i = 0; i < seconds; ++i) {
    now += kSecond;
    counts.now_ns = now;
    counts.connected = each.connected;
    counts.published += each.published;
    counts.errors += each.errors;
    counts.acked += each.acked;
    counts.received += each.received;
    health.Observe(counts);
  }
}

TEST(TargetHealth, AWorkingTargetIsHealthy) {
  TargetHealth health(10 * kSecond);
  std::int64_t now = 0;
  HealthSample counts;
  Feed(health, now, counts, 30, {1000, 1000, 1000});
  EXPECT_TRUE(health.Connected());
  EXPECT_TRUE(health.Publishing());
  EXPECT_TRUE(health.Consuming());
  EXPECT_TRUE(health.Healthy());
}

TEST(TargetHealth, NoVerdictOnPublishingOrConsumingBeforeAWholeWindow) {
  TargetHealth health(10 * kSecond);
  std::int64_t now = 0;
  HealthSample counts;
  Feed(health, now, counts, 9, {1000, 0, 0});  // sends, nothing back, but 9 s < the window
  EXPECT_TRUE(health.Publishing());
  EXPECT_TRUE(health.Consuming());
  Feed(health, now, counts, 2, {1000, 0, 0});
  EXPECT_FALSE(health.Publishing());
  EXPECT_FALSE(health.Healthy());
}

TEST(TargetHealth, SendsWithoutAcknowledgementsForAWindowAreNotPublishing) {
  TargetHealth health(10 * kSecond);
  std::int64_t now = 0;
  HealthSample counts;
  Feed(health, now, counts, 20, {1000, 1000, 1000});
  Feed(health, now, counts, 9, {1000, 0, 0});  // the outage: one acknowledgement still in window
  EXPECT_TRUE(health.Publishing());
  Feed(health, now, counts, 1, {1000, 0, 0});  // a whole window without one
  EXPECT_FALSE(health.Publishing());
  EXPECT_TRUE(health.Consuming()) << "nothing acknowledged: nothing owed to the consumers";
  Feed(health, now, counts, 1, {1000, 5000, 5000});  // back
  EXPECT_TRUE(health.Publishing());
  EXPECT_TRUE(health.Healthy());
}

TEST(TargetHealth, AcknowledgedButNothingReceivedForAWindowIsNotConsuming) {
  TargetHealth health(10 * kSecond);
  std::int64_t now = 0;
  HealthSample counts;
  Feed(health, now, counts, 20, {1000, 1000, 1000});
  Feed(health, now, counts, 10, {1000, 1000, 0});
  EXPECT_TRUE(health.Publishing());
  EXPECT_FALSE(health.Consuming());
  EXPECT_FALSE(health.Healthy());
}

TEST(TargetHealth, NoSendsIsNoFault) {
  TargetHealth health(10 * kSecond);
  std::int64_t now = 0;
  HealthSample counts;
  Feed(health, now, counts, 20, {1000, 1000, 1000});
  Feed(health, now, counts, 30, {0, 0, 0});  // a stage of 0 msg/s, or the profile ended
  EXPECT_TRUE(health.Healthy());
}

// A client that refuses sends while disconnected publishes nothing, but the sends were due.
TEST(TargetHealth, RefusedSendsWithoutAcknowledgementsAreNotPublishing) {
  TargetHealth health(10 * kSecond);
  std::int64_t now = 0;
  HealthSample counts;
  Feed(health, now, counts, 20, {1000, 1000, 1000});
  Feed(health, now, counts, 10, {0, 0, 0, 100, false});
  EXPECT_FALSE(health.Publishing());
  EXPECT_FALSE(health.Connected());
}

TEST(TargetHealth, ConnectedFollowsTheClientAtOnce) {
  TargetHealth health(10 * kSecond);
  std::int64_t now = 0;
  HealthSample counts;
  Feed(health, now, counts, 20, {1000, 1000, 1000});
  Feed(health, now, counts, 1, {1000, 1000, 1000, 0, false});
  EXPECT_FALSE(health.Connected());
  EXPECT_FALSE(health.Healthy());
  EXPECT_TRUE(health.Publishing());
}

// produce-only: acknowledged, never received (nothing consumes), and healthy.
TEST(TargetHealth, WithoutAConsumerOnlyConnectedAndPublishingCount) {
  TargetHealth health(10 * kSecond, {.publishing = true, .consuming = false});
  std::int64_t now = 0;
  HealthSample counts;
  Feed(health, now, counts, 20, {1000, 1000, 0});
  EXPECT_FALSE(health.Consuming());
  EXPECT_TRUE(health.Healthy());
  Feed(health, now, counts, 10, {1000, 0, 0});  // acknowledgements stop: still judged
  EXPECT_FALSE(health.Healthy());
}

// consume-only: nothing published; whether anything should arrive is the producers' to know.
TEST(TargetHealth, ConsumeOnlyIsHealthyWhileConnected) {
  TargetHealth health(10 * kSecond, {.publishing = false, .consuming = false});
  std::int64_t now = 0;
  HealthSample counts;
  Feed(health, now, counts, 20, {0, 0, 1000});
  Feed(health, now, counts, 20, {0, 0, 0});
  EXPECT_TRUE(health.Healthy());
  Feed(health, now, counts, 1, {0, 0, 0, 0, false});
  EXPECT_FALSE(health.Healthy());
}

}  // namespace
}  // namespace brokerload::metrics
