#include "metrics/windowed_quantiles.hpp"

namespace brokerload::metrics {

using accounting::HistogramSnapshot;

WindowedQuantiles::WindowedQuantiles(std::int64_t interval_ns, std::int64_t longest_window_ns)
    : interval_ns_(interval_ns), kept_intervals_(longest_window_ns / interval_ns) {}

bool WindowedQuantiles::Due(std::int64_t now_ns) const {
  return !started_ || (now_ns - origin_ns_) / interval_ns_ > current_;
}

void WindowedQuantiles::Advance(std::int64_t now_ns, const HistogramSnapshot& cumulative) {
  if (!started_) {
    started_ = true;
    origin_ns_ = now_ns;
    return;
  }
  const std::int64_t index = (now_ns - origin_ns_) / interval_ns_;
  if (index <= current_) return;
  HistogramSnapshot delta = cumulative;
  delta.Subtract(base_);
  closed_.push_back({current_, delta.Sparse()});
  base_ = cumulative.Sparse();
  current_ = index;
  while (!closed_.empty() && closed_.front().index < current_ - kept_intervals_) {
    closed_.pop_front();
  }
}

HistogramSnapshot WindowedQuantiles::Window(std::int64_t window_ns,
                                            const HistogramSnapshot& cumulative) const {
  HistogramSnapshot window = cumulative;
  window.Subtract(base_);
  const std::int64_t first = current_ - window_ns / interval_ns_;
  for (const Interval& interval : closed_) {
    if (interval.index >= first) window.Add(interval.delta);
  }
  return window;
}

std::size_t WindowedQuantiles::HeapBytes() const {
  std::size_t bytes = base_.HeapBytes();
  for (const Interval& interval : closed_) bytes += sizeof(Interval) + interval.delta.HeapBytes();
  return bytes;
}

}  // namespace brokerload::metrics
