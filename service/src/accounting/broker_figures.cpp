#include "accounting/broker_figures.hpp"

namespace brokerload::accounting {

static_assert(BrokerFigures::kCapacity < 255, "AckedBy stores a slot + 1 in a byte");

BrokerFigures::BrokerFigures() : slots_(std::make_unique<Slot[]>(kCapacity)) {
  for (std::atomic<std::int32_t>& id : ids_) id.store(kFree, std::memory_order_relaxed);
}

BrokerFigures::Slot* BrokerFigures::Find(std::int32_t broker) {
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

std::optional<std::size_t> BrokerFigures::SlotOf(std::int32_t broker) {
  if (broker < 0) return std::nullopt;
  Slot* slot = Find(broker);
  if (slot == nullptr) return std::nullopt;
  return static_cast<std::size_t>(slot - slots_.get());
}

void BrokerFigures::RecordPublish(std::int32_t broker, std::int64_t value_ns) {
  if (broker < 0) return;
  if (Slot* slot = Find(broker)) slot->publish.Record(value_ns);
}

void BrokerFigures::RecordEndToEnd(std::int32_t broker, std::int64_t value_ns) {
  if (broker < 0) return;
  if (Slot* slot = Find(broker)) slot->end_to_end.Record(value_ns);
}

void BrokerFigures::CountPublishError(std::int32_t broker, driver::Status status) {
  if (broker < 0) return;
  if (Slot* slot = Find(broker)) {
    slot->publish_errors[static_cast<std::size_t>(status)].fetch_add(1, std::memory_order_relaxed);
  }
}

void BrokerFigures::CountDuplicated(std::int32_t broker) {
  if (broker < 0) return;
  if (Slot* slot = Find(broker)) slot->duplicated.fetch_add(1, std::memory_order_relaxed);
}

std::size_t BrokerFigures::Size() const {
  std::size_t n = 0;
  while (n < kCapacity && ids_[n].load(std::memory_order_acquire) != kFree) ++n;
  return n;
}

AckedBy::AckedBy() : entries_(std::make_unique<std::atomic<std::uint8_t>[]>(kWindow)) {
  for (std::uint64_t i = 0; i < kWindow; ++i) entries_[i].store(0, std::memory_order_relaxed);
}

std::optional<std::size_t> AckedBy::SlotOf(std::uint64_t sequence, std::uint64_t acked_end) const {
  if (acked_end > sequence + kWindow) return std::nullopt;  // its entry may be a later one's
  const std::uint8_t entry = At(sequence).load(std::memory_order_relaxed);
  if (entry == 0) return std::nullopt;
  return std::size_t{entry} - 1;
}

}  // namespace brokerload::accounting
