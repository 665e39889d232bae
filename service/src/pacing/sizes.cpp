#include "pacing/sizes.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "message/header.hpp"
#include "pacing/draw.hpp"

namespace brokerload::pacing {
namespace {

constexpr std::uint64_t kSizeStream = 0x5157'E5D1'57A1'B000ULL;  // sizes' draws apart from keys'
constexpr double kNormalP99 = 2.3263478740408408;                // NormalQuantile(0.99)

}  // namespace

double NormalQuantile(double p) {
  if (!(p > 0)) return -std::numeric_limits<double>::infinity();
  if (!(p < 1)) return std::numeric_limits<double>::infinity();
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  if (p < kLow) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - kLow) {
    const double q = std::sqrt(-2 * std::log1p(-p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double q = p - 0.5;
  const double r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

SizeChooser::SizeChooser(const config::Workload& workload, std::uint64_t seed)
    : distribution_(workload.size_distribution),
      min_(static_cast<std::uint32_t>(workload.min_size)),
      max_(static_cast<std::uint32_t>(workload.max_size)),
      seed_(seed ^ kSizeStream) {
  if (distribution_ == config::SizeDistribution::kLogNormal) {
    mu_ = std::log(static_cast<double>(workload.size_p50));
    sigma_ = (std::log(static_cast<double>(workload.size_p99)) - mu_) / kNormalP99;
  } else if (distribution_ == config::SizeDistribution::kTable) {
    double total = 0;
    for (const config::SizeWeight& entry : workload.size_table) total += entry.weight;
    double sum = 0;
    for (const config::SizeWeight& entry : workload.size_table) {
      sum += entry.weight;
      sizes_.push_back(static_cast<std::uint32_t>(entry.size));
      cumulative_.push_back(sum / total);
    }
    if (!cumulative_.empty()) cumulative_.back() = 1;
  }
}

double MeanMessageSize(const config::Workload& workload) {
  if (workload.payload == config::PayloadKind::kSamples && workload.samples.data) {
    return static_cast<double>(message::kHeaderSize) + workload.samples.data->MeanSize();
  }
  const auto min = static_cast<double>(workload.min_size);
  const auto max = static_cast<double>(workload.max_size);
  switch (workload.size_distribution) {
    case config::SizeDistribution::kUniform:
      return (min + max) / 2;
    case config::SizeDistribution::kLogNormal: {
      // The midpoint rule over the draw's range: each of kSteps equal shares of messages.
      const double mu = std::log(static_cast<double>(workload.size_p50));
      const double sigma = (std::log(static_cast<double>(workload.size_p99)) - mu) / kNormalP99;
      constexpr int kSteps = 100'000;
      double sum = 0;
      for (int i = 0; i < kSteps; ++i) {
        sum += std::clamp(std::round(std::exp(mu + sigma * NormalQuantile((i + 0.5) / kSteps))),
                          min, max);
      }
      return sum / kSteps;
    }
    case config::SizeDistribution::kTable: {
      double total = 0;
      double weighted = 0;
      for (const config::SizeWeight& entry : workload.size_table) {
        total += entry.weight;
        weighted += entry.size * entry.weight;
      }
      return total > 0 ? weighted / total : min;
    }
  }
  return min;
}

std::uint32_t SizeChooser::SizeOf(std::uint64_t n) const {
  if (min_ == max_) return min_;
  const double u = UniformDraw(seed_, n);
  switch (distribution_) {
    case config::SizeDistribution::kUniform:
      return min_ + static_cast<std::uint32_t>(u * (static_cast<double>(max_ - min_) + 1));
    case config::SizeDistribution::kLogNormal:
      return static_cast<std::uint32_t>(
          std::clamp(std::round(std::exp(mu_ + sigma_ * NormalQuantile(u))),
                     static_cast<double>(min_), static_cast<double>(max_)));
    case config::SizeDistribution::kTable: {
      const auto at = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
      return sizes_[static_cast<std::size_t>(std::min<std::ptrdiff_t>(
          at - cumulative_.begin(), static_cast<std::ptrdiff_t>(sizes_.size()) - 1))];
    }
  }
  return min_;
}

}  // namespace brokerload::pacing
