#include "pacing/doorbell.hpp"

namespace brokerload::pacing {

void Doorbell::Settled() {
  const std::uint64_t count = settled_.fetch_add(1) + 1;
  std::uint64_t target = target_.load();
  // Sequentially consistent with WaitFor's store of the target and load of the count: either the
  // waiter sees this settle, or this sees its target. Only the settle that disarms it rings.
  if (target == 0 || count < target || !target_.compare_exchange_strong(target, 0)) return;
  {
    const std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_one();
}

bool Doorbell::WaitFor(std::uint64_t target, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  target_.store(target);
  const bool woken =
      cv_.wait_until(lock, deadline, [&] { return woken_ || settled_.load() >= target; });
  target_.store(0);
  woken_ = false;
  return woken;
}

void Doorbell::Wake() {
  {
    const std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_one();
}

}  // namespace brokerload::pacing
