#include <algorithm>
#include <cmath>

#include "config/config.hpp"

namespace brokerload::config {
namespace {

// `value` rounded to four significant digits, as the double nearest that decimal (an integer
// divided by an exact power of ten), so the `le` labels read as short decimals.
double FourDigits(double value) {
  const int exponent = static_cast<int>(std::floor(std::log10(value)));
  double scale = 1;
  for (int i = 0; i < 3 - exponent; ++i) scale *= 10;
  return std::round(value * scale) / scale;
}

}  // namespace

std::vector<double> DefaultLatencyBuckets() {
  // Eight bounds per doubling: ratio 2^(1/8) = 1.0905 between neighbours (at most 1.0916 after
  // rounding), from 50 us (k = 0) to 10.11 s (k = 141).
  std::vector<double> bounds;
  for (int k = 0; k <= 141; ++k) bounds.push_back(FourDigits(50e-6 * std::exp2(k / 8.0)));
  return bounds;
}

Profile SeedProfile(double rate, Duration min_duration) {
  Profile profile;
  const std::pair<const char*, std::uint64_t> levels[] = {
      {"low", 1'000}, {"medium", 4'000}, {"high", 6'000}, {"extreme", 10'000}};
  const double floor_messages = std::chrono::duration<double>(min_duration).count() * rate;
  for (const auto& [name, messages] : levels) {
    const auto repetitions = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(std::ceil(floor_messages / static_cast<double>(messages))));
    profile.stages.push_back(Stage{name, rate, std::nullopt, messages * repetitions});
  }
  return profile;
}

}  // namespace brokerload::config
