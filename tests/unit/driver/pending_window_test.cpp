// The JetStream producer's window of publishes awaiting their PubAck, and the PubAck and reply
// subject parsers, against the replies nats-server sends (server/jetstream.go: JSPubAckResponse;
// errors from server/jetstream_errors_generated.go).
#include "driver/nats/pending_window.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace brokerload::driver::nats {
namespace {

std::array<std::byte, message::kHeaderSize> HeaderOf(std::uint64_t sequence) {
  std::array<std::byte, message::kHeaderSize> bytes{};
  message::Header header;
  header.sequence = sequence;
  message::Encode(header, bytes);
  return bytes;
}

std::uint64_t SequenceOf(std::span<const std::byte> header) {
  return message::Decode(header)->sequence;
}

TEST(PendingWindow, AnAckSettlesItsOwnPublishOnceWithItsHeader) {
  PendingWindow window(4);
  const auto a = window.Reserve(HeaderOf(10), 100);
  const auto b = window.Reserve(HeaderOf(11), 101);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(window.Outstanding(), 2u);
  std::vector<std::uint64_t> settled;
  auto record = [&](std::span<const std::byte> h) { settled.push_back(SequenceOf(h)); };
  EXPECT_TRUE(window.Complete(*b, record));
  EXPECT_FALSE(window.Complete(*b, record));  // the same PubAck twice
  EXPECT_TRUE(window.Complete(*a, record));
  EXPECT_EQ(settled, (std::vector<std::uint64_t>{11, 10}));
  EXPECT_EQ(window.Outstanding(), 0u);
}

// One publish whose PubAck never comes (lost in a reconnect) must not hold up the others until it
// expires: its slot is passed over.
TEST(PendingWindow, AStuckSlotIsPassedOverAndTheWindowGoesOn) {
  PendingWindow window(4);
  std::vector<std::uint64_t> numbers;
  for (std::uint64_t n = 0; n < 4; ++n) numbers.push_back(*window.Reserve(HeaderOf(n), 0));
  for (std::size_t i = 1; i < 4; ++i) EXPECT_TRUE(window.Complete(numbers[i], [](auto) {}));
  for (std::uint64_t n = 4; n < 40; ++n) {  // 36 more through the three free slots
    const auto number = window.Reserve(HeaderOf(n), 0);
    ASSERT_TRUE(number) << n;
    EXPECT_NE(*number % 4, numbers[0] % 4);  // never the stuck one's slot
    EXPECT_TRUE(window.Complete(*number, [](auto) {}));
  }
  EXPECT_EQ(window.Outstanding(), 1u);
  EXPECT_TRUE(window.Complete(numbers[0], [](auto) {}));  // its ack after all
}

TEST(PendingWindow, IsFullWhenEverySlotIsAwaited) {
  PendingWindow window(2);
  const auto a = window.Reserve(HeaderOf(0), 0);
  ASSERT_TRUE(window.Reserve(HeaderOf(1), 0));
  EXPECT_FALSE(window.Reserve(HeaderOf(2), 0));  // a's slot: a is unsettled
  EXPECT_TRUE(window.Complete(*a, [](auto) {}));
  const auto c = window.Reserve(HeaderOf(2), 0);
  ASSERT_TRUE(c);
  // A late ack for the slot's earlier publish does not settle the new one.
  EXPECT_FALSE(window.Complete(*a, [](auto) {}));
  std::uint64_t sequence = 0;
  EXPECT_TRUE(window.Complete(*c, [&](auto h) { sequence = SequenceOf(h); }));
  EXPECT_EQ(sequence, 2u);
}

TEST(PendingWindow, ExpireSettlesOnlyWhatWasSentBeforeTheCutAndAnAckAfterItIsIgnored) {
  PendingWindow window(8);
  const auto old = window.Reserve(HeaderOf(1), 1'000);
  const auto fresh = window.Reserve(HeaderOf(2), 5'000);
  std::vector<std::uint64_t> expired;
  EXPECT_EQ(window.Expire(2'000, [&](auto h) { expired.push_back(SequenceOf(h)); }), 1u);
  EXPECT_EQ(expired, std::vector<std::uint64_t>{1});
  EXPECT_FALSE(window.Complete(*old, [](auto) {}));  // timed out first: not acked as well
  EXPECT_TRUE(window.Complete(*fresh, [](auto) {}));
  EXPECT_EQ(window.Expire(10'000, [](auto) {}), 0u);
}

TEST(PendingWindow, ACancelledReservationFreesItsSlotWithoutSettling) {
  PendingWindow window(1);
  const auto a = window.Reserve(HeaderOf(1), 0);
  window.Cancel(*a);
  EXPECT_EQ(window.Outstanding(), 0u);
  EXPECT_FALSE(window.Complete(*a, [](auto) {}));
  EXPECT_TRUE(window.Reserve(HeaderOf(2), 0));
}

// Acks and expiry race on every slot: each publish is settled exactly once. (Reserve passes over
// a slot still awaited, so the numbers it hands out may have gaps: the acks follow its numbers.)
TEST(PendingWindow, AckAndExpiryRacingSettleEachPublishExactlyOnce) {
  constexpr std::uint64_t kPublishes = 200'000;
  PendingWindow window(1024);
  std::vector<std::uint64_t> numbers(kPublishes);
  std::atomic<std::uint64_t> published{0};
  std::atomic<std::uint64_t> settled{0};
  std::atomic<bool> done{false};
  std::thread acks([&] {
    std::uint64_t next = 0;
    while (next < kPublishes) {
      if (next < published.load(std::memory_order_acquire)) {
        window.Complete(numbers[next++], [&](auto) { settled.fetch_add(1); });
      }
    }
  });
  std::thread expiry([&] {
    while (!done.load()) window.Expire(1 << 30, [&](auto) { settled.fetch_add(1); });
  });
  for (std::uint64_t n = 0; n < kPublishes;) {
    if (const auto number = window.Reserve(HeaderOf(n), 0)) {
      numbers[n] = *number;
      published.store(++n, std::memory_order_release);
    }
  }
  acks.join();
  done.store(true);
  expiry.join();
  EXPECT_EQ(settled.load(), kPublishes);
  EXPECT_EQ(window.Outstanding(), 0u);
}

TEST(ParsePubAck, ASuccessIsOkAndErrorsMapByTheirCode) {
  EXPECT_EQ(ParsePubAck(R"({"stream":"bl-0","seq":42})"), Status::kOk);
  EXPECT_EQ(ParsePubAck(R"({"stream":"bl-0","seq":42,"duplicate":true})"), Status::kOk);
  EXPECT_EQ(ParsePubAck(R"({"stream":"bl-0","domain":"hub","seq":7})"), Status::kOk);
  EXPECT_EQ(
      ParsePubAck(R"({"error":{"code":404,"err_code":10059,"description":"stream not found"}})"),
      Status::kUnknownTopic);
  EXPECT_EQ(
      ParsePubAck(
          R"({"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"}})"),
      Status::kRejected);
  EXPECT_EQ(ParsePubAck(R"({"error":{"code":400,"description":"no err_code"}})"),
            Status::kRejected);
  EXPECT_EQ(ParsePubAck(""), Status::kUnknownTopic);  // no responders: an empty 503 status
}

}  // namespace
}  // namespace brokerload::driver::nats
