#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "accounting/latency_histogram.hpp"

// A target's publish and end-to-end latency by broker (a number: Kafka's node id a message was
// produced to or read from; JetStream's LeaderWatch number of its stream's leader), for the first
// kCapacity brokers seen; a later one's latencies are left out here (the target's histograms keep
// them) and counted in Overflow(). Record* may be called from any thread and are lock-free: a
// broker takes its slot once, by compare-and-swap, and slots are taken in order, so the first
// Size() are in use.
namespace brokerload::accounting {

class BrokerLatencies {
 public:
  static constexpr std::size_t kCapacity = 16;

  BrokerLatencies();  // allocates every slot's histograms: no allocation while recording
  BrokerLatencies(const BrokerLatencies&) = delete;
  BrokerLatencies& operator=(const BrokerLatencies&) = delete;

  // `broker` < 0 (unknown) records nothing.
  void RecordPublish(std::int32_t broker, std::int64_t value_ns);
  void RecordEndToEnd(std::int32_t broker, std::int64_t value_ns);

  // The slots in use, in the order their brokers were first seen.
  std::size_t Size() const;
  std::int32_t Broker(std::size_t slot) const { return ids_[slot].load(std::memory_order_acquire); }
  const LatencyHistogram& Publish(std::size_t slot) const { return slots_[slot].publish; }
  const LatencyHistogram& EndToEnd(std::size_t slot) const { return slots_[slot].end_to_end; }
  // Values of brokers beyond kCapacity, not recorded here.
  std::uint64_t Overflow() const { return overflow_.load(std::memory_order_relaxed); }

  static constexpr std::uint64_t Bytes() { return kCapacity * sizeof(Slot); }

 private:
  static constexpr std::int32_t kFree = -1;
  struct Slot {
    LatencyHistogram publish;
    LatencyHistogram end_to_end;
  };
  // The slot of `broker` (taking a free one at its first value), or null when all are taken.
  Slot* Find(std::int32_t broker);

  std::array<std::atomic<std::int32_t>, kCapacity> ids_;
  std::unique_ptr<Slot[]> slots_;
  std::atomic<std::uint64_t> overflow_{0};
};

}  // namespace brokerload::accounting
