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
namespace brokerload::workers {

using Handler = std::function<void(const accounting::WorkItem&)>;

class Pool {
 public:
  // `handler` runs on the worker threads; it must be thread-safe across workers.
  Pool(std::size_t workers, std::size_t queue_capacity, Handler handler);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  std::size_t Size() const { return queues_.size(); }

  // Thread-safe. Blocks while worker `worker`'s queue is full; returns false after Stop().
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
