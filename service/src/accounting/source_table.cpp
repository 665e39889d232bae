#include "accounting/source_table.hpp"

#include <algorithm>

namespace brokerload::accounting {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

}  // namespace

SourceTable::SourceTable(std::size_t topics, std::uint32_t keys) : topics_(topics), keys_(keys) {}

std::size_t SourceTable::Find(const RunIdentity& id) const {
  const std::size_t used = used_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < used; ++i) {
    const Slot& slot = slots_[i];
    // A slot being retired or reused may show a torn id here; Acquire checks the stream's owner
    // under its mutex before using it.
    if (slot.live.load(std::memory_order_acquire) && slot.run_id.load(kRelaxed) == id.run_id &&
        slot.producer_id.load(kRelaxed) == id.producer_id) {
      return i;
    }
  }
  return kNone;
}

std::size_t SourceTable::Add(const RunIdentity& id, std::int64_t warmup_end_ns,
                             std::int64_t now_ns) {
  std::lock_guard add(add_mutex_);
  if (const std::size_t found = Find(id); found != kNone) return found;  // another thread's
  std::size_t index = 0;
  while (index < kCapacity && slots_[index].live.load(kRelaxed)) ++index;
  if (index == kCapacity) return kNone;
  Slot& slot = slots_[index];
  if (slot.streams.empty()) {
    for (std::size_t t = 0; t < topics_; ++t) slot.streams.push_back(std::make_unique<Stream>());
    slot.key_sequence = std::make_unique<std::atomic<std::uint64_t>[]>(topics_ * keys_);
  }
  for (std::size_t k = 0; k < topics_ * keys_; ++k) slot.key_sequence[k].store(kNoSequence);
  for (const auto& stream : slot.streams) {
    std::lock_guard lock(stream->mutex);
    stream->owner = id;
    stream->live = true;
    stream->started = false;
    stream->checkpoints.clear();
    stream->lost.clear();
    stream->warmup_end_ns = warmup_end_ns;
    stream->last_ns = now_ns;
  }
  slot.run_id.store(id.run_id, kRelaxed);
  slot.producer_id.store(id.producer_id, kRelaxed);
  slot.live.store(true, std::memory_order_release);
  if (index >= used_.load(kRelaxed)) used_.store(index + 1, std::memory_order_release);
  live_.fetch_add(1, kRelaxed);
  return index;
}

std::optional<SourceTable::Locked> SourceTable::Acquire(const RunIdentity& id, std::size_t topic,
                                                        std::int64_t warmup_end_ns,
                                                        std::int64_t now_ns) {
  // A second attempt only when the slot found was retired in between: the source is then added
  // anew, and a slot just added is never idle, so it cannot be retired before the lock.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::size_t index = Find(id);
    if (index == kNone) index = Add(id, warmup_end_ns, now_ns);
    if (index == kNone) return std::nullopt;
    Stream& stream = *slots_[index].streams[topic];
    std::unique_lock lock(stream.mutex);
    if (!stream.live || !(stream.owner == id)) continue;
    stream.last_ns = std::max(stream.last_ns, now_ns);
    return Locked{&stream, std::move(lock), static_cast<std::uint8_t>(index)};
  }
  return std::nullopt;
}

std::atomic<std::uint64_t>& SourceTable::KeySequence(std::uint8_t slot, std::size_t topic,
                                                     std::uint32_t key) {
  return slots_[slot].key_sequence[topic * keys_ + key];
}

void SourceTable::ForEachLive(const std::function<void(std::size_t topic, Stream& stream)>& visit) {
  const std::size_t used = used_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < used; ++i) {
    if (!slots_[i].live.load(std::memory_order_acquire)) continue;
    for (std::size_t t = 0; t < topics_; ++t) {
      Stream& stream = *slots_[i].streams[t];
      std::lock_guard lock(stream.mutex);
      if (stream.live) visit(t, stream);
    }
  }
}

std::size_t SourceTable::Retire(
    std::int64_t idle_before_ns,
    const std::function<void(std::size_t topic, Stream& stream)>& visit) {
  std::lock_guard add(add_mutex_);
  std::size_t retired = 0;
  for (std::size_t i = 0; i < used_.load(kRelaxed); ++i) {
    Slot& slot = slots_[i];
    if (!slot.live.load(kRelaxed)) continue;
    // All of its streams held at once (consumer threads hold one at a time, so no deadlock):
    // no message of it is accounted between the idleness test and the retirement.
    std::vector<std::unique_lock<std::mutex>> locks;
    bool idle = true;
    for (const auto& stream : slot.streams) {
      locks.emplace_back(stream->mutex);
      idle = idle && stream->last_ns < idle_before_ns;
    }
    if (!idle) continue;
    for (std::size_t t = 0; t < topics_; ++t) {
      Stream& stream = *slot.streams[t];
      visit(t, stream);
      stream.live = false;
    }
    slot.live.store(false, std::memory_order_release);
    live_.fetch_sub(1, kRelaxed);
    ++retired;
  }
  return retired;
}

}  // namespace brokerload::accounting
