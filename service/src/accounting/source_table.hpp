#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "accounting/sequence_tracker.hpp"

// The sequence streams that accounting keeps: one per topic for an instance's own messages, and,
// in a consume-only instance, one per topic for each sender (source) it hears from, found by the
// (run id, producer id) in the message header. Sources are bounded (kCapacity live at once): a
// source silent on every topic for a while is retired (Retire) and its slot reused; while all
// slots are live, a new source finds none and its messages are left unaccounted (the caller
// counts them). A retired source heard again is a new source, joined midway.
//
// Threads: any consumer thread calls Acquire (per message: a scan of the live slots' ids and the
// stream's own mutex, no lock shared by all topics); workers call KeySequence; the housekeeping
// thread calls ForEachLive and Retire. Adding and retiring take one mutex that no message takes
// unless it comes from a new source.
namespace brokerload::accounting {

struct RunIdentity {
  std::uint64_t run_id = 0;
  std::uint32_t producer_id = 0;

  friend bool operator==(const RunIdentity&, const RunIdentity&) = default;
};

// One sender's messages on one topic; every field is guarded by `mutex`.
struct Stream {
  std::mutex mutex;
  SequenceTracker tracker;
  std::deque<std::pair<std::int64_t, std::uint64_t>> checkpoints;  // (time, horizon)
  std::vector<SequenceRange> lost;                                 // scratch, reused
  // Per partition (Kafka; JetStream has one): one past the highest sequence that arrived from it,
  // 0 before any. Grows when a partition is first heard from, never per message.
  std::vector<std::uint64_t> partition_end;
  // Source streams only: whose stream it is while `live`, whether tracking has begun (at the
  // first message accounted: SequenceTracker::Restart), where the source's warm-up ends, and when
  // a message of it last arrived on this topic (Unix ns).
  RunIdentity owner;
  bool live = false;
  bool started = false;
  std::int64_t warmup_end_ns = 0;
  std::int64_t last_ns = 0;
};

class SourceTable {
 public:
  static constexpr std::size_t kCapacity = 64;
  static constexpr std::uint64_t kNoSequence = ~std::uint64_t{0};

  // `keys`: per topic, for the order of each source's keys (KeySequence).
  SourceTable(std::size_t topics, std::uint32_t keys);

  struct Locked {
    Stream* stream = nullptr;
    std::unique_lock<std::mutex> lock;  // holds stream->mutex
    std::uint8_t slot = 0;              // the source's slot, for KeySequence
  };
  // The stream of `topic` for source `id`, locked, with its last_ns set to `now_ns`. A new source
  // takes a free slot, its warm-up ending at `warmup_end_ns`. nullopt when every slot is live.
  std::optional<Locked> Acquire(const RunIdentity& id, std::size_t topic,
                                std::int64_t warmup_end_ns, std::int64_t now_ns);

  // The last sequence processed of `key` on `topic` from the source in `slot` (kNoSequence
  // before any); reset when the slot is reused.
  std::atomic<std::uint64_t>& KeySequence(std::uint8_t slot, std::size_t topic, std::uint32_t key);

  // Calls `visit(topic, stream)` for each stream of each live source, holding its mutex.
  void ForEachLive(const std::function<void(std::size_t topic, Stream& stream)>& visit);

  // Retires every source whose messages all arrived before `idle_before_ns`, after calling
  // `visit(topic, stream)` on each of its streams (locked) so that the caller settles them.
  // Returns how many it retired.
  std::size_t Retire(std::int64_t idle_before_ns,
                     const std::function<void(std::size_t topic, Stream& stream)>& visit);

  // Sources live now (any thread).
  std::size_t Live() const { return live_.load(std::memory_order_relaxed); }

 private:
  struct Slot {
    std::atomic<bool> live{false};
    std::atomic<std::uint64_t> run_id{0};
    std::atomic<std::uint32_t> producer_id{0};
    // Allocated when the slot is first used (never freed while the table lives), before `live`
    // is set: a reader that sees the slot live sees them.
    std::vector<std::unique_ptr<Stream>> streams;
    std::unique_ptr<std::atomic<std::uint64_t>[]> key_sequence;  // [topic * keys + key]
  };
  static constexpr std::size_t kNone = kCapacity;

  std::size_t Find(const RunIdentity& id) const;
  std::size_t Add(const RunIdentity& id, std::int64_t warmup_end_ns, std::int64_t now_ns);

  std::size_t topics_;
  std::uint32_t keys_;
  std::mutex add_mutex_;  // Add and Retire
  std::array<Slot, kCapacity> slots_;
  std::atomic<std::size_t> used_{0};  // slots ever used: lookups scan [0, used_)
  std::atomic<std::size_t> live_{0};
};

}  // namespace brokerload::accounting
