// brokerload's JetStream data path relies on cnats 3.4.1's private message filter
// (driver/nats/reader_handler.hpp). These tests hold that hook to what the code assumes of it, on
// the real local nats-server: a taken message is handled on the connection's reader thread and
// never reaches its subscription; a message left reaches the subscription's callback on another
// thread; requests on the same connection still get their replies.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "broker_env.hpp"
#include "driver/nats/nats_client.hpp"
#include "driver/nats/reader_handler.hpp"

namespace brokerload::driver::nats {
namespace {

constexpr int kEach = 2'000;

struct Seen {
  std::mutex mutex;
  std::set<std::thread::id> threads;
  std::set<std::uint64_t> numbers;
  int count = 0;
  int foreign = 0;  // subjects that should not have come this way
  void Add(std::optional<std::uint64_t> number) {
    std::lock_guard lock(mutex);
    threads.insert(std::this_thread::get_id());
    ++count;
    if (number) numbers.insert(*number);
    if (!number) ++foreign;
  }
};

class TakeHalf final : public ReaderHandler {
 public:
  explicit TakeHalf(std::string prefix) : prefix_(std::move(prefix)) {}
  bool TakeOnReader(natsMsg* msg) override {
    const auto number = NumberAfter(prefix_ + "take.", natsMsg_GetSubject(msg));
    if (!number) return false;
    // The payload is readable as in a callback.
    if (std::string(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg))) !=
        std::to_string(*number)) {
      taken.Add(std::nullopt);
    } else {
      taken.Add(number);
    }
    return true;
  }
  Seen taken;

 private:
  std::string prefix_;
};

void OnLeft(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* prefix = static_cast<std::pair<std::string, Seen*>*>(closure);
  prefix->second->Add(NumberAfter(prefix->first + "leave.", natsMsg_GetSubject(msg)));
  natsMsg_Destroy(msg);
}

ConnectionPtr ConnectTo(const std::string& url) {
  natsConnection* nc = nullptr;
  EXPECT_EQ(natsConnection_ConnectTo(&nc, url.c_str()), NATS_OK) << nats_GetLastError(nullptr);
  return ConnectionPtr(nc);
}

TEST(NatsReaderHandler, TakesOnTheReaderThreadWhatItClaimsAndLeavesTheRestToTheSubscription) {
  std::string url;
  ASSERT_TRUE(brokerload::testing::LoadBrokerAddress("NATS_URL", url));
  const std::string prefix = brokerload::testing::UniqueName("reader") + ".";
  ConnectionPtr receiver = ConnectTo(url);
  ConnectionPtr sender = ConnectTo(url);
  ASSERT_TRUE(receiver && sender);

  TakeHalf handler(prefix);
  HandleOnReader(receiver.get(), handler);
  Seen left;
  std::pair<std::string, Seen*> closure{prefix, &left};
  natsSubscription* raw = nullptr;
  ASSERT_EQ(
      natsConnection_Subscribe(&raw, receiver.get(), (prefix + ">").c_str(), OnLeft, &closure),
      NATS_OK);
  SubscriptionPtr sub(raw);
  ASSERT_EQ(natsConnection_Flush(receiver.get()), NATS_OK);

  for (int i = 0; i < kEach; ++i) {
    const std::string n = std::to_string(i);
    ASSERT_EQ(natsConnection_PublishString(sender.get(), (prefix + "take." + n).c_str(), n.c_str()),
              NATS_OK);
    ASSERT_EQ(
        natsConnection_PublishString(sender.get(), (prefix + "leave." + n).c_str(), n.c_str()),
        NATS_OK);
  }
  ASSERT_EQ(natsConnection_Flush(sender.get()), NATS_OK);

  // A request on the handled connection: its reply (on cnats' own inbox) is left to cnats.
  natsMsg* reply = nullptr;
  EXPECT_EQ(natsConnection_RequestString(&reply, receiver.get(), "$JS.API.INFO", "", 5'000),
            NATS_OK)
      << "a request on a connection with a reader handler got no reply";
  natsMsg_Destroy(reply);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::scoped_lock lock(handler.taken.mutex, left.mutex);
      if (handler.taken.count + left.count >= 2 * kEach) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // anything more would show
  sub.reset();
  receiver.reset();  // joins the reader thread: the handler is no longer called

  EXPECT_EQ(handler.taken.count, kEach);
  EXPECT_EQ(handler.taken.numbers.size(), static_cast<std::size_t>(kEach));
  EXPECT_EQ(handler.taken.foreign, 0);
  EXPECT_EQ(left.count, kEach) << "taken messages reached the subscription, or left ones were lost";
  EXPECT_EQ(left.numbers.size(), static_cast<std::size_t>(kEach));
  EXPECT_EQ(left.foreign, 0) << "a taken message reached the subscription";
  ASSERT_EQ(handler.taken.threads.size(), 1u) << "taken on more than one thread";
  ASSERT_EQ(left.threads.size(), 1u);
  EXPECT_NE(*handler.taken.threads.begin(), *left.threads.begin())
      << "the handler ran on the subscription's delivery thread, not the reader";
}

}  // namespace
}  // namespace brokerload::driver::nats
