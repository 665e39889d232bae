#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "driver/status.hpp"
#include "message/header.hpp"

// The JetStream producer's own bookkeeping of publishes awaiting the server's PubAck, in place of
// cnats' js_PublishAsync (which allocates a message, a reply inbox and a hash entry per publish,
// parses each PubAck into allocated strings and hands every ack to another thread). Each publish
// takes a slot named by a number that goes into its reply subject; the PubAck names the slot back.
namespace brokerload::driver::nats {

// A fixed ring of slots, one per publish awaiting its PubAck, each holding the message's header
// (all the accounting needs) and when it was sent. Lock-free, no call blocks. Threads (as
// NatsProducer uses it):
// - Reserve and Cancel: the publisher thread only (the one in Producer::Send).
// - Complete: the one thread that receives the producer connection's PubAcks. With the reader
//   hook (built with BROKERLOAD_NATS_READER_HOOK and running on a cnats 3.4.x or 3.10.x:
//   HandleOnReader returned true) that is the connection's reader thread (ReaderHandler);
//   otherwise it is cnats' delivery thread of the PubAck subscription (its callback).
// - Expire: the housekeeping thread (Producer::Maintain) and, while stopping, the thread in
//   Producer::Flush; at the same time as Complete and as each other.
// A slot is settled exactly once, by whichever of Complete, Expire and Cancel claims it first.
class PendingWindow {
 public:
  // `capacity`: a power of two; at most that many publishes await their ack at once.
  explicit PendingWindow(std::size_t capacity);

  // Takes the next free slot for a message with `header` (its first kHeaderSize bytes) sent at
  // `sent_ns`, passing over slots still awaited; returns its number, or nullopt when every slot is
  // awaited (the window is full: backpressure). Numbers only grow: one never repeats within a
  // producer.
  std::optional<std::uint64_t> Reserve(std::span<const std::byte> header, std::int64_t sent_ns);
  // Gives back the slot `number` that was reserved but whose publish the client refused.
  void Cancel(std::uint64_t number);

  // Settles the publish `number` if it is still awaited: calls `settle(header)` and returns true;
  // false for a number already settled (expired, or an ack the server sent twice) or unknown.
  template <typename Settle>
  bool Complete(std::uint64_t number, Settle&& settle);

  // Settles every publish sent before `sent_before_ns` and still awaited, calling
  // `settle(header)` for each; returns how many.
  template <typename Settle>
  std::size_t Expire(std::int64_t sent_before_ns, Settle&& settle);

  // Publishes reserved and not yet settled (any thread; exact when no call is in progress).
  std::uint64_t Outstanding() const;

 private:
  // A slot's `awaited`: 0 free, kSettling while the thread that claimed it reads it, otherwise
  // the number of the publish in it plus 1. The header is written only while the slot is free
  // (by the publisher, before it publishes `awaited`) and read only by the claimer.
  static constexpr std::uint64_t kSettling = ~std::uint64_t{0};
  struct Slot {
    std::atomic<std::uint64_t> awaited{0};
    std::atomic<std::int64_t> sent_ns{0};
    std::array<std::byte, message::kHeaderSize> header{};
  };
  // Moves `slot` from `expected` to kSettling; false if another thread settled it first.
  static bool Claim(Slot& slot, std::uint64_t expected) {
    return slot.awaited.compare_exchange_strong(expected, kSettling, std::memory_order_acquire);
  }
  void Release(Slot& slot) {
    slot.awaited.store(0, std::memory_order_release);
    settled_.fetch_add(1, std::memory_order_relaxed);
  }

  std::size_t mask_;
  std::unique_ptr<Slot[]> slots_;
  std::uint64_t next_ = 0;  // publisher thread only
  std::atomic<std::uint64_t> reserved_{0};
  std::atomic<std::uint64_t> settled_{0};
};

// What a PubAck (the server's reply to a JetStream publish) says: kOk for `{"stream":…,"seq":…}`,
// otherwise the error its `"err_code"` maps to (stream not found: kUnknownTopic; any other:
// kRejected); an empty reply is "no responders" (no stream takes the subject, or a replicated
// stream's leader is being elected): kUnknownTopic. Pure, no allocation.
Status ParsePubAck(std::string_view data);

template <typename Settle>
bool PendingWindow::Complete(std::uint64_t number, Settle&& settle) {
  Slot& slot = slots_[number & mask_];
  if (!Claim(slot, number + 1)) return false;
  settle(std::span<const std::byte>(slot.header));
  Release(slot);
  return true;
}

template <typename Settle>
std::size_t PendingWindow::Expire(std::int64_t sent_before_ns, Settle&& settle) {
  std::size_t expired = 0;
  for (std::size_t i = 0; i <= mask_; ++i) {
    Slot& slot = slots_[i];
    const std::uint64_t awaited = slot.awaited.load(std::memory_order_acquire);
    if (awaited == 0 || awaited == kSettling) continue;
    if (slot.sent_ns.load(std::memory_order_relaxed) >= sent_before_ns) continue;
    if (!Claim(slot, awaited)) continue;  // its ack came meanwhile
    settle(std::span<const std::byte>(slot.header));
    Release(slot);
    ++expired;
  }
  return expired;
}

}  // namespace brokerload::driver::nats
