#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace brokerload::pacing {

// Lets an unpaced publisher whose in-flight window is full sleep until enough of its messages
// have settled, instead of waking every run.min_wake to look (each wake is a context switch,
// whether or not it finds room). The producer's ack path calls Settled() once per message
// acknowledged or failed; the publisher thread reads Count(), works out how many settles give it
// room, and waits for Count() to reach that. Wake() ends a wait at once (stop, reload).
//
// Thread-safety: Settled() and Wake() from any thread; Count() and WaitFor() from the one waiting
// thread. Settled() never blocks and takes no lock: one atomic add and one load per message, and
// for the one settle that reaches an armed target, a futex wake of the waiter. Linux only.
class Doorbell {
 public:
  // Per settled message (acked, or failed: a timeout, an error).
  void Settled();

  // Messages settled since construction.
  std::uint64_t Count() const { return settled_.load(); }

  // Blocks until Count() >= `target`, Wake() or `deadline` (steady_clock), whichever comes
  // first; returns at once when Count() is already there. True unless the deadline ended it.
  // A Wake() while no wait is in progress ends the next wait at once; settles never do.
  bool WaitFor(std::uint64_t target, std::chrono::steady_clock::time_point deadline);

  // Ends the current (or next) WaitFor at once. Never blocks.
  void Wake();

 private:
  void Ring();  // a futex wake of the waiter, if any

  std::atomic<std::uint64_t> settled_{0};
  std::atomic<std::uint64_t> target_{0};  // 0: nobody waits for settles
  std::atomic<bool> woken_{false};        // Wake() not yet seen by a wait
  std::atomic<std::uint32_t> rings_{0};   // the futex word: changes at every ring
};

}  // namespace brokerload::pacing
