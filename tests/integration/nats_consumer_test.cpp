// The JetStream consumer's Start against the real local nats-server: it adds a consumer per
// stream and receives; and it keeps the bound its interface promises (driver.hpp): a timeout
// shorter than adding every consumer, or a cancel set from another thread meanwhile, ends it
// promptly with false, and what it had added is undone (no consumer left on the streams); stream
// creation likewise ends at its budget.
#include "driver/nats/nats_consumer.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "broker_env.hpp"
#include "driver/nats/nats_connection.hpp"
#include "driver/nats/nats_streams.hpp"

namespace brokerload::driver::nats {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

class Counting final : public MessageListener {
 public:
  void OnMessage(std::size_t, std::uint32_t, std::int32_t, std::span<const std::byte>, std::size_t,
                 bool) override {
    received.fetch_add(1);
  }
  std::atomic<int> received{0};
};

// `count` memory streams of their own, an admin connection to ask about them, and a consumer.
class NatsConsumerStart : public ::testing::Test {
 protected:
  void MakeStreams(int count) {
    std::string url;
    ASSERT_TRUE(testing::LoadBrokerAddress("NATS_URL", url));
    target_.servers = {url};
    target_.stream.max_bytes = 64 << 10;  // 300 memory streams' reservations stay small
    const std::string prefix = testing::UniqueName("START");
    for (int i = 0; i < count; ++i) topics_.push_back(prefix + "-" + std::to_string(i));
    std::string error;
    ASSERT_TRUE(admin_.Open(target_, "brokerload-test-admin", false, error)) << error;
    const SetupBudget budget(std::chrono::seconds(60), kNeverCancelled);
    ASSERT_TRUE(
        EnsureStreams(admin_.connection(), admin_.js(), target_.stream, topics_, budget, error))
        << error;
    consumer_ = CreateConsumer(target_, topics_, health_, error);
    ASSERT_TRUE(consumer_) << error;
  }

  void TearDown() override {
    consumer_.reset();
    for (const std::string& topic : topics_) {
      js_DeleteStream(admin_.js(), topic.c_str(), nullptr, nullptr);
    }
  }

  // Consumers on all the streams, as the server counts them.
  int Consumers() {
    int total = 0;
    for (const std::string& topic : topics_) {
      jsStreamInfo* info = nullptr;
      if (js_GetStreamInfo(&info, admin_.js(), topic.c_str(), nullptr, nullptr) == NATS_OK) {
        total += static_cast<int>(info->State.Consumers);
      }
      jsStreamInfo_Destroy(info);
    }
    return total;
  }

  // Nothing left: consumers deleted, or (one whose creation outlived its request) removed by the
  // server once without interest, within its inactive threshold (5 s).
  ::testing::AssertionResult NoConsumerLeftWithin(std::chrono::seconds limit) {
    const auto end = Clock::now() + limit;
    int left = Consumers();
    while (left > 0 && Clock::now() < end) {
      std::this_thread::sleep_for(milliseconds(200));
      left = Consumers();
    }
    if (left == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << left << " consumers left";
  }

  config::NatsTarget target_;
  std::vector<std::string> topics_;
  Health health_;
  JetStreamConnection admin_{health_};
  std::unique_ptr<Consumer> consumer_;
  Counting listener_;
};

TEST_F(NatsConsumerStart, AddsAConsumerPerStreamAndReceivesWhatIsPublishedAfter) {
  ASSERT_NO_FATAL_FAILURE(MakeStreams(20));
  const std::atomic<bool> cancel{false};
  std::string error;
  ASSERT_TRUE(consumer_->Start(listener_, milliseconds(30'000), cancel, error)) << error;
  EXPECT_EQ(Consumers(), 20);
  for (const std::string& topic : topics_) {
    ASSERT_EQ(natsConnection_PublishString(admin_.connection(), topic.c_str(), "x"), NATS_OK);
  }
  const auto end = Clock::now() + std::chrono::seconds(10);
  while (listener_.received.load() < 20 && Clock::now() < end) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(listener_.received.load(), 20);
  consumer_->Stop();
  EXPECT_EQ(Consumers(), 0);
}

TEST_F(NatsConsumerStart, ATimeoutShorterThanAddingEveryConsumerEndsItAndUndoesIt) {
  ASSERT_NO_FATAL_FAILURE(MakeStreams(300));
  const std::atomic<bool> cancel{false};
  std::string error;
  const auto started = Clock::now();
  EXPECT_FALSE(consumer_->Start(listener_, milliseconds(10), cancel, error));
  const auto took = Clock::now() - started;
  EXPECT_NE(error.find("consumers: timed out after 10 ms with "), std::string::npos) << error;
  // The timeout, one request's wait cut to what was left, and at most 1 s deleting what it added.
  EXPECT_LT(took, milliseconds(10 + 1'000 + 500));
  EXPECT_TRUE(NoConsumerLeftWithin(std::chrono::seconds(15)));
}

TEST_F(NatsConsumerStart, ACancelFromAnotherThreadEndsItPromptlyAndUndoesIt) {
  ASSERT_NO_FATAL_FAILURE(MakeStreams(300));
  std::atomic<bool> cancel{false};
  Clock::time_point cancelled_at;
  std::thread canceller([&] {
    std::this_thread::sleep_for(milliseconds(10));
    cancelled_at = Clock::now();
    cancel.store(true);
  });
  std::string error;
  const bool started = consumer_->Start(listener_, milliseconds(60'000), cancel, error);
  const auto returned_at = Clock::now();
  canceller.join();
  EXPECT_FALSE(started);
  EXPECT_NE(error.find("consumers: cancelled with "), std::string::npos) << error;
  EXPECT_LT(returned_at - cancelled_at, milliseconds(1'000 + 500));
  EXPECT_TRUE(NoConsumerLeftWithin(std::chrono::seconds(15)));
}

// The producer's stream creation keeps its budget the same way (run.startup_timeout at start,
// 5 s a housekeeping pass after a reconnect).
TEST(NatsStreams, EnsureStreamsEndsAtItsBudget) {
  std::string url;
  ASSERT_TRUE(testing::LoadBrokerAddress("NATS_URL", url));
  config::NatsTarget target;
  target.servers = {url};
  target.stream.max_bytes = 64 << 10;
  std::vector<std::string> topics;
  const std::string prefix = testing::UniqueName("ENSURE");
  for (int i = 0; i < 300; ++i) topics.push_back(prefix + "-" + std::to_string(i));
  Health health;
  JetStreamConnection admin(health);
  std::string error;
  ASSERT_TRUE(admin.Open(target, "brokerload-test-admin", false, error)) << error;
  const auto started = Clock::now();
  EXPECT_FALSE(EnsureStreams(admin.connection(), admin.js(), target.stream, topics,
                             SetupBudget(milliseconds(10), kNeverCancelled), error));
  EXPECT_LT(Clock::now() - started, milliseconds(500));
  EXPECT_NE(error.find("streams: timed out after 10 ms with "), std::string::npos) << error;
  for (const std::string& topic : topics) {
    js_DeleteStream(admin.js(), topic.c_str(), nullptr, nullptr);
  }
}

}  // namespace
}  // namespace brokerload::driver::nats
