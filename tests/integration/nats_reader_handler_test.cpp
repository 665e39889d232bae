// brokerload's JetStream data path relies on cnats' private message filter
// (driver/nats/reader_handler.hpp), built for cnats 3.4.x and 3.10.x. These tests hold that hook
// to what the code assumes of it, on the real local nats-server, with whichever of the two the
// build has (Debian 12's, and Debian 13's in tests/trixie): a taken message is handled on the
// connection's reader thread and never reaches its subscription; a message left reaches the
// subscription's callback on another thread; requests on the same connection still get their
// replies; after a stop (the handler's state cleared, WaitForReader, unsubscribe) nothing is
// taken, nor delivered once unsubscribed, also of what the server sent before it heard of the
// stop and arrives late, and also right after a reconnect; 3.10 offers the hook those late
// messages, 3.4 does not.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "broker_env.hpp"
#include "delay_proxy.hpp"
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

// Takes `<prefix>take.N` while live, and counts what it is offered once unsubscribed.
class TakeWhileLive final : public ReaderHandler {
 public:
  explicit TakeWhileLive(const std::string& prefix) : prefix_(prefix + "take.") {}
  bool TakeOnReader(natsMsg* msg) override {
    if (!NumberAfter(prefix_, natsMsg_GetSubject(msg))) return false;
    if (!live.load()) {
      if (unsubscribed.load()) offered_after_unsubscribe.fetch_add(1);
      return false;
    }
    taken.fetch_add(1);
    return true;
  }
  // As brokerload's consumer stops: its state cleared, the reader waited out, then unsubscribed.
  // Returns what was taken by then.
  int Stop(natsSubscription* sub) {
    live.store(false);
    WaitForReader();
    const int taken_now = taken.load();
    EXPECT_EQ(natsSubscription_Unsubscribe(sub), NATS_OK);
    unsubscribed.store(true);
    return taken_now;
  }
  std::atomic<bool> live{true};
  std::atomic<bool> unsubscribed{false};
  std::atomic<int> taken{0};
  std::atomic<int> offered_after_unsubscribe{0};

 private:
  std::string prefix_;
};

// Publishes <prefix>take.N to `url`, one every 500 us, until destroyed.
class Sender {
 public:
  Sender(const std::string& url, const std::string& prefix)
      : nc_(ConnectTo(url)), thread_([this, prefix] {
          for (int n = 0; !stop_.load(); ++n) {
            const std::string number = std::to_string(n);
            natsConnection_PublishString(nc_.get(), (prefix + "take." + number).c_str(),
                                         number.c_str());
            if (n % 20 == 0) natsConnection_FlushTimeout(nc_.get(), 1'000);
            std::this_thread::sleep_for(std::chrono::microseconds(500));
          }
          natsConnection_FlushTimeout(nc_.get(), 5'000);
        }) {}
  ~Sender() {
    stop_.store(true);
    thread_.join();
  }

 private:
  ConnectionPtr nc_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::uint64_t MessagesIn(natsConnection* nc) {
  natsStatistics* stats = nullptr;
  natsStatistics_Create(&stats);
  natsConnection_GetStats(nc, stats);
  std::uint64_t in = 0;
  natsStatistics_GetCounts(stats, &in, nullptr, nullptr, nullptr, nullptr);
  natsStatistics_Destroy(stats);
  return in;
}

bool WaitFor(const std::function<bool()>& done, std::chrono::seconds within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// The receiver through a proxy that delays each direction by 100 ms: when it stops, the server
// goes on sending for 100 ms (until the UNSUB reaches it), and all of that arrives after the stop.
// Members in teardown order reversed: the connection goes first, its handler after it.
struct LateArrivals {
  std::string url;
  std::string prefix;
  TakeWhileLive handler;
  // The subscription's callback, as brokerload's: what it gets while live (the handler took
  // everything, so nothing), and anything at all once unsubscribed (cnats must drop it).
  std::atomic<int> delivered_live{0};
  std::atomic<int> delivered_after_unsubscribe{0};
  natsSubscription* sub = nullptr;
  std::unique_ptr<brokerload::testing::DelayProxy> proxy;
  ConnectionPtr receiver;

  explicit LateArrivals(const std::string& name)
      : prefix(brokerload::testing::UniqueName(name) + "."), handler(prefix) {}

  static void OnDelivered(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    auto* self = static_cast<LateArrivals*>(closure);
    if (self->handler.unsubscribed.load()) {
      self->delivered_after_unsubscribe.fetch_add(1);
    } else if (self->handler.live.load()) {
      self->delivered_live.fetch_add(1);
    }
    natsMsg_Destroy(msg);
  }

  void Start() {
    ASSERT_TRUE(brokerload::testing::LoadBrokerAddress("NATS_URL", url));
    const std::string port = url.substr(url.rfind(':') + 1);
    proxy = std::make_unique<brokerload::testing::DelayProxy>(
        "127.0.0.1", static_cast<unsigned short>(std::stoi(port)), std::chrono::milliseconds(100));
    natsOptions* opts = nullptr;
    ASSERT_EQ(natsOptions_Create(&opts), NATS_OK);
    natsOptions_SetURL(opts, ("nats://127.0.0.1:" + std::to_string(proxy->Port())).c_str());
    natsOptions_SetMaxReconnect(opts, -1);
    natsOptions_SetReconnectWait(opts, 50);
    natsConnection* nc = nullptr;
    ASSERT_EQ(natsConnection_Connect(&nc, opts), NATS_OK) << nats_GetLastError(nullptr);
    natsOptions_Destroy(opts);
    receiver.reset(nc);
    ASSERT_TRUE(HandleOnReader(receiver.get(), handler)) << "no reader hook: " << DataPath();
    ASSERT_EQ(natsConnection_Subscribe(&sub, receiver.get(), (prefix + "take.>").c_str(),
                                       OnDelivered, this),
              NATS_OK);
    ASSERT_EQ(natsConnection_FlushTimeout(receiver.get(), 5'000), NATS_OK);
  }

  // Stops while the sender goes on, then checks that nothing was taken after it, nor delivered
  // once unsubscribed, although messages kept arriving; and which cnats offered the hook what.
  void StopAndCheck(Sender& sender_alive) {
    (void)sender_alive;
    const std::uint64_t in_before = MessagesIn(receiver.get());
    const int taken_at_stop = handler.Stop(sub);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    ASSERT_EQ(natsConnection_FlushTimeout(receiver.get(), 5'000), NATS_OK);
    const std::uint64_t late = MessagesIn(receiver.get()) - in_before;
    EXPECT_GT(late, 20u) << "too few messages arrived after the stop: the case was not exercised";
    EXPECT_EQ(handler.taken.load(), taken_at_stop) << "taken after the stop";
    EXPECT_EQ(delivered_after_unsubscribe.load(), 0)
        << "delivered to the unsubscribed subscription";
    const int offered = handler.offered_after_unsubscribe.load();
    const std::string_view version(nats_GetVersion());
    if (version.starts_with("3.10.")) {
      EXPECT_GT(offered, 0) << "cnats " << version
                            << " no longer offers the hook an unsubscribed subscription's messages";
    } else {
      // At most the one message looked up just before the unsubscribe.
      EXPECT_LE(offered, 1) << "cnats " << version
                            << " offered the hook an unsubscribed subscription's messages";
    }
    natsSubscription_Destroy(sub);
    sub = nullptr;
    std::cerr << "cnats " << version << ": " << late << " messages arrived after the stop, "
              << offered << " offered to the hook once unsubscribed, none taken\n";
  }
};

TEST(NatsReaderHandler, TakesNothingAfterAStopOfWhatArrivesLate) {
  LateArrivals test("late");
  ASSERT_NO_FATAL_FAILURE(test.Start());
  Sender sender(test.url, test.prefix);
  ASSERT_TRUE(WaitFor([&] { return test.handler.taken.load() >= 200; }, std::chrono::seconds(10)))
      << "taken " << test.handler.taken.load();
  EXPECT_EQ(test.delivered_live.load(), 0) << "a taken message reached the subscription";
  test.StopAndCheck(sender);
}

TEST(NatsReaderHandler, KeepsTakingAcrossAReconnectAndNothingAfterAStopRightAfterIt) {
  LateArrivals test("reconnect");
  ASSERT_NO_FATAL_FAILURE(test.Start());
  Sender sender(test.url, test.prefix);
  ASSERT_TRUE(WaitFor([&] { return test.handler.taken.load() >= 100; }, std::chrono::seconds(10)));
  test.proxy->Cut();  // the connection breaks; cnats reconnects through the proxy
  ASSERT_TRUE(WaitFor([&] { return test.proxy->Accepted() >= 2; }, std::chrono::seconds(10)));
  const int before = test.handler.taken.load();
  ASSERT_TRUE(
      WaitFor([&] { return test.handler.taken.load() >= before + 100; }, std::chrono::seconds(10)))
      << "nothing taken after the reconnect: the subscription was not resent or not taken";
  EXPECT_EQ(test.delivered_live.load(), 0);
  test.StopAndCheck(sender);
}

}  // namespace
}  // namespace brokerload::driver::nats
