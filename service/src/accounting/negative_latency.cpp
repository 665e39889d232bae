#include "accounting/negative_latency.hpp"

#include <algorithm>

namespace brokerload::accounting {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

}  // namespace

NegativeLatencyWindow::NegativeLatencyWindow(std::size_t topics)
    : topics_(topics), in_progress_(std::make_unique<InProgress[]>(topics)) {}

void NegativeLatencyWindow::Note(std::size_t topic, std::int64_t latency_ns) {
  std::atomic<std::int64_t>& min = in_progress_[topic].min_ns;
  std::int64_t seen = min.load(kRelaxed);
  while (latency_ns < seen && !min.compare_exchange_weak(seen, latency_ns, kRelaxed)) {
  }
}

void NegativeLatencyWindow::Advance(std::int64_t now_ns) {
  const std::int64_t interval = now_ns / kIntervalNs;
  if (!interval_) {
    interval_ = interval;
    return;
  }
  if (interval <= *interval_) return;
  constexpr auto kSlots = static_cast<std::int64_t>(kClosedIntervals);
  std::atomic<std::int64_t>& last_closed =
      closed_[static_cast<std::size_t>((interval - 1) % kSlots)];
  // The closed intervals between the last one closed and the one before now saw nothing.
  for (std::int64_t i = std::max(*interval_, interval - kSlots); i < interval - 1; ++i) {
    closed_[static_cast<std::size_t>(i % kSlots)].store(0, kRelaxed);
  }
  // Published in its slot before the topics' values are cleared, so that a reader in between
  // sees them in one place or the other.
  std::int64_t min = 0;
  for (std::size_t t = 0; t < topics_; ++t)
    min = std::min(min, in_progress_[t].min_ns.load(kRelaxed));
  last_closed.store(min, kRelaxed);
  for (std::size_t t = 0; t < topics_; ++t) {
    min = std::min(min, in_progress_[t].min_ns.exchange(0, kRelaxed));
  }
  last_closed.store(min, kRelaxed);
  interval_ = interval;
}

std::int64_t NegativeLatencyWindow::MostNegativeNs() const {
  std::int64_t min = 0;
  for (const std::atomic<std::int64_t>& closed : closed_)
    min = std::min(min, closed.load(kRelaxed));
  for (std::size_t t = 0; t < topics_; ++t)
    min = std::min(min, in_progress_[t].min_ns.load(kRelaxed));
  return min;
}

}  // namespace brokerload::accounting
