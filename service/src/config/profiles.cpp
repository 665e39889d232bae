#include <algorithm>
#include <cmath>

#include "config/config.hpp"

namespace brokerload::config {

std::vector<double> DefaultLatencyBuckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};
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
