#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "accounting/latency_histogram.hpp"
#include "driver/status.hpp"

// A target's figures by broker (a number: Kafka's node id a message was produced to or read
// from; JetStream's LeaderWatch number of its stream's leader), for the first kCapacity brokers
// seen: publish and end-to-end latency, publish errors by reason, duplicates and losses. A later
// broker's figures are left out here (the target's keep them) and counted in Overflow(). Every
// call may come from any thread and is lock-free: a broker takes its slot once, by
// compare-and-swap, and slots are taken in order, so the first Size() are in use.
namespace brokerload::accounting {

class BrokerFigures {
 public:
  static constexpr std::size_t kCapacity = 16;

  BrokerFigures();  // allocates every slot's histograms: no allocation while recording
  BrokerFigures(const BrokerFigures&) = delete;
  BrokerFigures& operator=(const BrokerFigures&) = delete;

  // The slot of `broker`, taken at its first call; nullopt for an unknown broker (< 0) and for
  // one beyond kCapacity (then counted in Overflow()).
  std::optional<std::size_t> SlotOf(std::int32_t broker);

  // By broker: `broker` < 0 (unknown) records nothing.
  void RecordPublish(std::int32_t broker, std::int64_t value_ns);
  void RecordEndToEnd(std::int32_t broker, std::int64_t value_ns);
  void CountPublishError(std::int32_t broker, driver::Status status);
  void CountDuplicated(std::int32_t broker);
  // By slot (SlotOf's).
  void RecordPublishAt(std::size_t slot, std::int64_t value_ns) {
    slots_[slot].publish.Record(value_ns);
  }
  void CountLostAt(std::size_t slot, std::uint64_t count) {
    slots_[slot].lost.fetch_add(count, std::memory_order_relaxed);
  }

  // The slots in use, in the order their brokers were first seen.
  std::size_t Size() const;
  std::int32_t Broker(std::size_t slot) const { return ids_[slot].load(std::memory_order_acquire); }
  const LatencyHistogram& Publish(std::size_t slot) const { return slots_[slot].publish; }
  const LatencyHistogram& EndToEnd(std::size_t slot) const { return slots_[slot].end_to_end; }
  std::uint64_t PublishErrors(std::size_t slot, driver::Status status) const {
    return slots_[slot].publish_errors[static_cast<std::size_t>(status)].load(
        std::memory_order_relaxed);
  }
  std::uint64_t Duplicated(std::size_t slot) const {
    return slots_[slot].duplicated.load(std::memory_order_relaxed);
  }
  std::uint64_t Lost(std::size_t slot) const {
    return slots_[slot].lost.load(std::memory_order_relaxed);
  }
  // Values and counts of brokers beyond kCapacity, not recorded here.
  std::uint64_t Overflow() const { return overflow_.load(std::memory_order_relaxed); }

  static constexpr std::size_t Bytes() { return kCapacity * sizeof(Slot); }

 private:
  static constexpr std::int32_t kFree = -1;
  struct Slot {
    LatencyHistogram publish;
    LatencyHistogram end_to_end;
    std::array<std::atomic<std::uint64_t>, driver::kStatusCount> publish_errors{};
    std::atomic<std::uint64_t> duplicated{0};
    std::atomic<std::uint64_t> lost{0};
  };
  // The slot of `broker` (taking a free one at its first value), or null when all are taken.
  Slot* Find(std::int32_t broker);

  std::array<std::atomic<std::int32_t>, kCapacity> ids_;
  std::unique_ptr<Slot[]> slots_;
  std::atomic<std::uint64_t> overflow_{0};
};

// Which broker acknowledged each of a topic's last kWindow sequences, for telling under which
// broker a message later found lost is counted. The publisher thread clears a sequence's entry
// as it sends it (Sent), the ack thread sets it (Acked); the thread declaring a loss reads it.
// An entry read for a sequence whose slot a later sequence (sequence + kWindow) may have taken
// (`acked_end`, one past the highest sequence acknowledged, above sequence + kWindow) is not
// trusted: nullopt, as for one never acknowledged. 1 byte per sequence: 128 KiB per topic.
class AckedBy {
 public:
  static constexpr std::uint64_t kWindow = std::uint64_t{1} << 17;

  AckedBy();
  void Sent(std::uint64_t sequence) { At(sequence).store(0, std::memory_order_relaxed); }
  void Acked(std::uint64_t sequence, std::size_t slot) {
    At(sequence).store(static_cast<std::uint8_t>(slot + 1), std::memory_order_relaxed);
  }
  // The BrokerFigures slot that acknowledged `sequence`, when known.
  std::optional<std::size_t> SlotOf(std::uint64_t sequence, std::uint64_t acked_end) const;

 private:
  std::atomic<std::uint8_t>& At(std::uint64_t sequence) const {
    return entries_[sequence % kWindow];
  }
  std::unique_ptr<std::atomic<std::uint8_t>[]> entries_;
};

}  // namespace brokerload::accounting
