#include "driver/nats/pending_window.hpp"

#include <algorithm>
#include <cstring>

namespace brokerload::driver::nats {

PendingWindow::PendingWindow(std::size_t capacity)
    : mask_(capacity - 1), slots_(std::make_unique<Slot[]>(capacity)) {}

std::optional<std::uint64_t> PendingWindow::Reserve(std::span<const std::byte> header,
                                                    std::int64_t sent_ns) {
  // A slot still awaited (its PubAck lost, say, in a reconnect, until it expires) is passed over
  // with its number, so that one stuck publish never holds up the ones after it.
  for (std::size_t probes = 0; slots_[next_ & mask_].awaited.load(std::memory_order_acquire) != 0;
       ++next_) {
    if (++probes > mask_) return std::nullopt;  // every slot awaited
  }
  Slot& slot = slots_[next_ & mask_];
  std::memcpy(slot.header.data(), header.data(), std::min(header.size(), slot.header.size()));
  slot.sent_ns.store(sent_ns, std::memory_order_relaxed);
  reserved_.fetch_add(1, std::memory_order_relaxed);
  slot.awaited.store(next_ + 1, std::memory_order_release);
  return next_++;
}

void PendingWindow::Cancel(std::uint64_t number) {
  Slot& slot = slots_[number & mask_];
  if (Claim(slot, number + 1)) Release(slot);
}

std::uint64_t PendingWindow::Outstanding() const {
  const std::uint64_t settled = settled_.load(std::memory_order_relaxed);
  const std::uint64_t reserved = reserved_.load(std::memory_order_relaxed);
  return reserved > settled ? reserved - settled : 0;
}

Status ParsePubAck(std::string_view data) {
  if (data.empty()) return Status::kUnknownTopic;  // no responders
  if (data.find("\"error\"") == std::string_view::npos) return Status::kOk;
  // {"error":{"code":404,"err_code":10059,"description":"stream not found"}}
  constexpr std::string_view kErrCode = "\"err_code\":";
  const std::size_t at = data.find(kErrCode);
  std::uint64_t code = 0;
  for (std::size_t i = at == std::string_view::npos ? data.size() : at + kErrCode.size();
       i < data.size() && data[i] >= '0' && data[i] <= '9'; ++i) {
    code = code * 10 + static_cast<std::uint64_t>(data[i] - '0');
  }
  constexpr std::uint64_t kStreamNotFound = 10059;  // JSStreamNotFoundErr
  return code == kStreamNotFound ? Status::kUnknownTopic : Status::kRejected;
}

}  // namespace brokerload::driver::nats
