#include "accounting/broker_latencies.hpp"

namespace brokerload::accounting {

BrokerLatencies::BrokerLatencies() : slots_(std::make_unique<Slot[]>(kCapacity)) {
  for (std::atomic<std::int32_t>& id : ids_) id.store(kFree, std::memory_order_relaxed);
}

BrokerLatencies::Slot* BrokerLatencies::Find(std::int32_t broker) {
  for (std::size_t i = 0; i < kCapacity; ++i) {
    std::int32_t id = ids_[i].load(std::memory_order_acquire);
    if (id == kFree && ids_[i].compare_exchange_strong(id, broker, std::memory_order_acq_rel)) {
      return &slots_[i];
    }
    if (id == broker) return &slots_[i];  // also another thread's claim of it just now
  }
  overflow_.fetch_add(1, std::memory_order_relaxed);
  return nullptr;
}

void BrokerLatencies::RecordPublish(std::int32_t broker, std::int64_t value_ns) {
  if (broker < 0) return;
  if (Slot* slot = Find(broker)) slot->publish.Record(value_ns);
}

void BrokerLatencies::RecordEndToEnd(std::int32_t broker, std::int64_t value_ns) {
  if (broker < 0) return;
  if (Slot* slot = Find(broker)) slot->end_to_end.Record(value_ns);
}

std::size_t BrokerLatencies::Size() const {
  std::size_t n = 0;
  while (n < kCapacity && ids_[n].load(std::memory_order_acquire) != kFree) ++n;
  return n;
}

}  // namespace brokerload::accounting
