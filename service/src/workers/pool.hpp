#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "accounting/target_accounting.hpp"

// The consumer-side worker pool: N threads, each with its own bounded queue, so that no lock is
// shared by all workers. Consumers choose the worker (by key in key mode, so one key is always
// processed by one worker, in order). Submit blocks while that worker's queue is full, which
// pushes back on the consumer instead of growing memory.
//
// With no workers (N = 0, the default: workload.workers) Submit runs the handler on the calling
// consumer thread, in arrival order: no queue, no thread hand-off. A hand-off costs a wake-up and
// two context switches per message at low rates, more CPU than the accounting it hands off, and
// those switches delay the publisher's wake-ups, i.e. they show up in brokerload's own send lag.
// A pool is for simulating a consumer application's processing time (workload.work), as the
// seed harness did.
namespace brokerload::workers {

using Handler = std::function<void(const accounting::WorkItem&)>;

class Pool {
 public:
  // `handler` runs on the worker threads (on the submitting thread when `workers` is 0); it must
  // be thread-safe across workers.
  Pool(std::size_t workers, std::size_t queue_capacity, Handler handler);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Workers; 0: inline.
  std::size_t Size() const { return queues_.size(); }

  // Thread-safe. Blocks while worker `worker`'s queue is full; returns false after Stop(). Inline
  // (no workers): runs the handler, never blocks, and returns true after Stop() too.
  bool Submit(std::size_t worker, const accounting::WorkItem& item);

  // Items queued and not yet taken by a worker, over all workers (approximate while running).
  std::size_t QueueDepth() const;

  // Lets the workers finish what is queued, then joins them: signal all, then join all.
  void Stop();

 private:
  struct Queue {
    std::mutex mutex;
    std::condition_variable not_empty;
    std::condition_variable not_full;
    std::vector<accounting::WorkItem> ring;
    std::size_t head = 0;
    std::size_t size = 0;
    std::atomic<std::size_t> depth{0};
    bool stopping = false;
  };

  void Work(Queue& queue);

  Handler handler_;
  std::vector<std::unique_ptr<Queue>> queues_;
  std::vector<std::thread> threads_;
};

}  // namespace brokerload::workers
