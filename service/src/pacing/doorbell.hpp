#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace brokerload::pacing {

// Lets an unpaced publisher whose in-flight window is full sleep until enough of its messages
// have settled, instead of waking every run.min_wake to look (each wake costs 30-45 us of CPU on
// this project's 2-core VM: docs/benchmarks.md). The producer's ack path calls Settled() once per
// message acknowledged or failed; the publisher thread reads Count(), works out how many settles
// free its window, and waits for Count() to reach that. Wake() ends a wait at once (stop, reload).
//
// Thread-safety: Settled() and Wake() from any thread; Count() and WaitFor() from the one
// waiting thread. Settled() never blocks and takes no lock unless the waiter's target has just
// been reached (then once per wait, to wake it): one atomic add and one load per message.
class Doorbell {
 public:
  // Per settled message (acked, or failed: a timeout, an error). Lock-free but for the one
  // settle that reaches an armed target.
  void Settled();

  // Messages settled since construction.
  std::uint64_t Count() const { return settled_.load(); }

  // Blocks until Count() >= `target`, Wake() or `deadline`, whichever comes first; returns at
  // once when Count() is already there. True when woken by settles or Wake(). A Wake() with no
  // wait in progress ends the next wait at once.
  bool WaitFor(std::uint64_t target, std::chrono::steady_clock::time_point deadline);

  // Ends the current (or next) WaitFor at once. Takes the mutex briefly; not for the message path.
  void Wake();

 private:
  std::atomic<std::uint64_t> settled_{0};
  std::atomic<std::uint64_t> target_{0};  // 0: nobody waits for settles
  std::mutex mutex_;
  std::condition_variable cv_;
  bool woken_ = false;  // guarded by mutex_
};

}  // namespace brokerload::pacing
