#pragma once

#include <cstdint>
#include <vector>

#include "config/config.hpp"

// The size of each message (workload.message_size), header included: one size; uniform from min
// to max; log-normal with a median and a 99th percentile, cut to [min, max]; or a table of sizes
// and weights. Each draw is UniformDraw of the seed and the run's message index n, so message n
// has one size however often its send is retried, and the sizes of a run can be told again from
// its seed. Built once per setting (a table keeps 12 bytes a size); a draw is arithmetic (the
// log-normal's: the normal quantile of the draw, then exp) or a binary search, no allocation.
namespace brokerload::pacing {

class SizeChooser {
 public:
  SizeChooser() = default;
  // `workload` as the loader accepted it (min_size <= max_size, p50 < p99 within them).
  SizeChooser(const config::Workload& workload, std::uint64_t seed);

  // The size of the run's message n.
  std::uint32_t SizeOf(std::uint64_t n) const;
  std::uint32_t Min() const { return min_; }
  std::uint32_t Max() const { return max_; }

 private:
  config::SizeDistribution distribution_ = config::SizeDistribution::kUniform;
  std::uint32_t min_ = 0;
  std::uint32_t max_ = 0;
  std::uint64_t seed_ = 0;
  double mu_ = 0;                   // log-normal: ln of the median
  double sigma_ = 0;                // log-normal: (ln p99 - ln p50) / the normal's 99th percentile
  std::vector<double> cumulative_;  // table: the share of sizes up to each, the last exactly 1
  std::vector<std::uint32_t> sizes_;  // table: its sizes, ascending
};

// The mean size of `workload`'s messages, header included: exact for one size, uniform, a table
// and samples; a log-normal's by numerical integration (100,000 quantiles, to about 0.1 %), so
// called for reports, not per message.
double MeanMessageSize(const config::Workload& workload);

// The standard normal's quantile function: z with P(Z <= z) = p, for p in (0, 1) (Acklam's
// rational approximation, relative error below 1.2e-9).
double NormalQuantile(double p);

}  // namespace brokerload::pacing
