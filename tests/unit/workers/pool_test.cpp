#include "workers/pool.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace brokerload::workers {
namespace {

TEST(Pool, ProcessesEverySubmittedItemExactlyOnce) {
  std::atomic<std::uint64_t> sum{0};
  std::atomic<int> count{0};
  {
    Pool pool(8, 16, [&](const accounting::WorkItem& item) {
      sum += item.sequence;
      ++count;
    });
    std::vector<std::thread> producers;
    for (int p = 0; p < 4; ++p) {
      producers.emplace_back([&pool, p] {
        for (std::uint64_t i = 0; i < 10'000; ++i) {
          pool.Submit(i,
                      accounting::WorkItem{0, 0, 0, 0, static_cast<std::uint64_t>(p) * 10'000 + i});
        }
      });
    }
    for (auto& t : producers) t.join();
    pool.Stop();  // drains what is queued
  }
  EXPECT_EQ(count.load(), 40'000);
  EXPECT_EQ(sum.load(), 40'000ull * 39'999 / 2);
}

TEST(Pool, WithoutWorkersRunsTheHandlerOnTheSubmittingThreadInOrder) {
  std::vector<std::uint64_t> seen;
  std::thread::id handler_thread;
  Pool pool(0, 16, [&](const accounting::WorkItem& item) {
    handler_thread = std::this_thread::get_id();
    seen.push_back(item.sequence);
  });
  EXPECT_EQ(pool.Size(), 0u);
  for (std::uint64_t i = 0; i < 100; ++i) {
    EXPECT_TRUE(pool.Submit(i, accounting::WorkItem{0, 0, 0, 0, i}));
    // Handled before Submit returned: nothing is queued, nothing waits for another thread.
    ASSERT_EQ(seen.size(), i + 1);
    EXPECT_EQ(pool.QueueDepth(), 0u);
  }
  EXPECT_EQ(handler_thread, std::this_thread::get_id());
  for (std::uint64_t i = 0; i < 100; ++i) EXPECT_EQ(seen[i], i);
  pool.Stop();
}

TEST(Pool, OneWorkerSeesItsItemsInSubmissionOrder) {
  std::mutex mutex;
  std::map<std::uint32_t, std::vector<std::uint64_t>> seen;  // by key
  Pool pool(4, 8, [&](const accounting::WorkItem& item) {
    std::lock_guard lock(mutex);
    seen[item.key].push_back(item.sequence);
  });
  for (std::uint64_t i = 0; i < 4'000; ++i) {
    const auto key = static_cast<std::uint32_t>(i % 4);
    pool.Submit(key, accounting::WorkItem{0, 0, 0, key, i});
  }
  pool.Stop();
  for (const auto& [key, sequences] : seen) {
    ASSERT_EQ(sequences.size(), 1'000u);
    EXPECT_TRUE(std::is_sorted(sequences.begin(), sequences.end())) << "key " << key;
  }
}

TEST(Pool, AFullQueueBlocksTheSubmitterUntilTheWorkerCatchesUp) {
  std::atomic<bool> release{false};
  std::atomic<int> done{0};
  Pool pool(1, 16, [&](const accounting::WorkItem&) {
    while (!release.load()) std::this_thread::yield();
    ++done;
  });
  std::atomic<int> submitted{0};
  std::thread submitter([&] {
    for (int i = 0; i < 100; ++i) {
      pool.Submit(0, accounting::WorkItem{});
      ++submitted;
    }
  });
  // The worker holds at most one batch (64) plus a full queue (16): the submitter must wait.
  while (pool.QueueDepth() < 16) std::this_thread::yield();
  EXPECT_LT(submitted.load(), 100);
  release = true;
  submitter.join();
  pool.Stop();
  EXPECT_EQ(done.load(), 100);
  EXPECT_EQ(pool.QueueDepth(), 0u);
}

TEST(Pool, SubmitAfterStopIsRefused) {
  Pool pool(2, 4, [](const accounting::WorkItem&) {});
  pool.Stop();
  EXPECT_FALSE(pool.Submit(0, accounting::WorkItem{}));
}

}  // namespace
}  // namespace brokerload::workers
