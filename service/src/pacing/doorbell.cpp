#include "pacing/doorbell.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

namespace brokerload::pacing {

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t),
              "the futex word must be a plain 32-bit integer");

void Doorbell::Settled() {
  const std::uint64_t count = settled_.fetch_add(1) + 1;
  std::uint64_t target = target_.load();
  // Sequentially consistent with WaitFor's store of the target and load of the count: either the
  // waiter sees this settle, or this sees its target. Only the settle that disarms it rings.
  if (target == 0 || count < target || !target_.compare_exchange_strong(target, 0)) return;
  Ring();
}

void Doorbell::Wake() {
  woken_.store(true);
  Ring();
}

void Doorbell::Ring() {
  rings_.fetch_add(1);
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&rings_), FUTEX_WAKE_PRIVATE, 1, nullptr,
          nullptr, 0);
}

bool Doorbell::WaitFor(std::uint64_t target, std::chrono::steady_clock::time_point deadline) {
  // steady_clock is CLOCK_MONOTONIC, the clock FUTEX_WAIT_BITSET's absolute timeout is on.
  const auto since_epoch = deadline.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const timespec until{static_cast<time_t>(seconds.count()),
                       static_cast<long>((since_epoch - seconds).count())};
  target_.store(target);
  bool done = true;
  for (;;) {
    // The ring count before the checks: a ring after them makes the futex wait return at once.
    const std::uint32_t rings = rings_.load();
    if (woken_.exchange(false) || settled_.load() >= target) break;
    const long r =
        syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&rings_), FUTEX_WAIT_BITSET_PRIVATE,
                rings, &until, nullptr, FUTEX_BITSET_MATCH_ANY);
    if (r != 0 && errno == ETIMEDOUT) {
      done = woken_.exchange(false) || settled_.load() >= target;
      break;
    }
  }
  target_.store(0);
  return done;
}

}  // namespace brokerload::pacing
