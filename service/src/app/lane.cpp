#include "app/lane.hpp"

namespace brokerload::app {

void LaneListener::OnMessage(std::size_t topic, std::uint32_t partition, std::int32_t broker,
                             std::span<const std::byte> header, std::size_t bytes, bool replayed) {
  accounting::WorkItem item;
  if (accounting_.OnReceived(lane_ + topic * lanes_, header, bytes, clock_.NowNs(), item, replayed,
                             partition, broker)) {
    pool_.Submit(WorkerFor(item), item);
  }
}

std::size_t LaneListener::WorkerFor(const accounting::WorkItem& item) const {
  if (pool_.Size() == 0) return 0;  // inline
  if (keyed_) {
    // One key, one worker: its messages are processed in the order they arrive.
    std::uint64_t h =
        (std::uint64_t{item.target} << 48) ^ (std::uint64_t{item.topic} << 32) ^ item.key;
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    return static_cast<std::size_t>(h % pool_.Size());
  }
  // Runs of 64 to one worker: a worker is woken once per run, not once per message.
  thread_local std::size_t next = 0;
  return (next++ / 64) % pool_.Size();
}

}  // namespace brokerload::app
