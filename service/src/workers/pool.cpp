#include "workers/pool.hpp"

#include <array>

#include "log/log.hpp"

namespace brokerload::workers {
namespace {

constexpr std::size_t kBatch = 64;

}  // namespace

Pool::Pool(std::size_t workers, std::size_t queue_capacity, Handler handler)
    : handler_(std::move(handler)) {
  for (std::size_t i = 0; i < workers; ++i) {
    auto queue = std::make_unique<Queue>();
    queue->ring.resize(queue_capacity);
    queues_.push_back(std::move(queue));
  }
  for (auto& queue : queues_) {
    threads_.emplace_back([this, q = queue.get()] {
      log::NameThread("worker");
      Work(*q);
    });
  }
}

Pool::~Pool() { Stop(); }

bool Pool::Submit(std::size_t worker, const accounting::WorkItem& item) {
  if (queues_.empty()) {
    handler_(item);
    return true;
  }
  Queue& q = *queues_[worker % queues_.size()];
  std::unique_lock lock(q.mutex);
  q.not_full.wait(lock, [&] { return q.size < q.ring.size() || q.stopping; });
  if (q.stopping) return false;
  q.ring[(q.head + q.size) % q.ring.size()] = item;
  const bool was_empty = q.size++ == 0;
  q.depth.store(q.size, std::memory_order_relaxed);
  lock.unlock();
  if (was_empty) q.not_empty.notify_one();
  return true;
}

std::size_t Pool::QueueDepth() const {
  std::size_t depth = 0;
  for (const auto& q : queues_) depth += q->depth.load(std::memory_order_relaxed);
  return depth;
}

void Pool::Work(Queue& q) {
  std::array<accounting::WorkItem, kBatch> batch;
  while (true) {
    std::size_t taken = 0;
    {
      std::unique_lock lock(q.mutex);
      q.not_empty.wait(lock, [&] { return q.size > 0 || q.stopping; });
      if (q.size == 0) return;  // stopping and drained
      const bool was_full = q.size == q.ring.size();
      while (taken < kBatch && q.size > 0) {
        batch[taken++] = q.ring[q.head];
        q.head = (q.head + 1) % q.ring.size();
        --q.size;
      }
      q.depth.store(q.size, std::memory_order_relaxed);
      if (was_full) q.not_full.notify_all();
    }
    for (std::size_t i = 0; i < taken; ++i) handler_(batch[i]);
  }
}

void Pool::Stop() {
  for (auto& q : queues_) {
    std::lock_guard lock(q->mutex);
    q->stopping = true;
    q->not_empty.notify_all();
    q->not_full.notify_all();
  }
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace brokerload::workers
