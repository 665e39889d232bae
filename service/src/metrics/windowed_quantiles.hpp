#pragma once

#include <cstdint>
#include <deque>

#include "accounting/latency_histogram.hpp"

// Exact quantiles of one cumulative latency histogram over sliding windows (say the last minute
// and the last five minutes), kept as sparse per-interval deltas. Nothing is done per recorded
// value: the owner hands in cumulative snapshots.
//
// Time: nanoseconds on one timeline that never goes back (brokerload's run clock); the caller
// passes it in, so tests step it by hand.
// Intervals: from the first Advance on, time is cut into intervals of `interval_ns`. When Advance
// finds that the interval in progress has ended, it keeps the values recorded during it (the
// cumulative snapshot minus the one taken when the interval began) as a sparse delta, and drops
// the deltas older than the longest window. The first interval also holds everything recorded
// before the first Advance.
// Window: Window(w, cumulative) holds the values of the last w / interval_ns closed intervals
// plus those recorded since the last one closed (the interval in progress, read from
// `cumulative`): between w and w + interval_ns of the most recent values, as of the last Advance;
// everything so far while the run is younger than that. So the granularity is one interval.
// Boundaries are as precise as Advance is punctual: a value recorded after an interval's end but
// before the Advance that closes it counts in that interval, and when Advance misses whole
// intervals their values count in the one it closes.
// Values: the snapshot's QuantileNs, the middle of a 0.8 % internal bucket, in nanoseconds.
// Memory: 12 bytes per non-zero bucket of each kept delta (a dense snapshot is 35 KB), plus a
// sparse copy of the cumulative snapshot at the last boundary.
// Thread-safety: none. One caller at a time; metrics::Exporter serializes Advance and scrapes
// under its mutex.
namespace brokerload::metrics {

class WindowedQuantiles {
 public:
  // `longest_window_ns` is a positive multiple of `interval_ns` (> 0).
  WindowedQuantiles(std::int64_t interval_ns, std::int64_t longest_window_ns);

  // True when the next Advance at `now_ns` would close an interval (or start the first): lets
  // the caller skip taking a snapshot otherwise.
  bool Due(std::int64_t now_ns) const;
  // `cumulative` is the histogram's snapshot at `now_ns`. Call at least once per interval.
  void Advance(std::int64_t now_ns, const accounting::HistogramSnapshot& cumulative);

  // The values of the window of `window_ns` (a multiple of the interval, at most the longest
  // window) ending now, given the histogram's current cumulative snapshot.
  accounting::HistogramSnapshot Window(std::int64_t window_ns,
                                       const accounting::HistogramSnapshot& cumulative) const;

  std::size_t HeapBytes() const;

 private:
  struct Interval {
    std::int64_t index;
    accounting::SparseHistogram delta;
  };

  std::int64_t interval_ns_;
  std::int64_t kept_intervals_;
  bool started_ = false;
  std::int64_t origin_ns_ = 0;
  std::int64_t current_ = 0;          // index of the interval in progress
  accounting::SparseHistogram base_;  // the cumulative snapshot when `current_` began
  std::deque<Interval> closed_;       // by increasing index, the last kept_intervals_ at most
};

}  // namespace brokerload::metrics
