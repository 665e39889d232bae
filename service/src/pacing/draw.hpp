#pragma once

#include <cstdint>

// A fraction in [0, 1) for the run's message n under `seed`: splitmix64's n-th output, its top 53
// bits. The same for the same n however often a send is retried; no state, no allocation.
namespace brokerload::pacing {

inline double UniformDraw(std::uint64_t seed, std::uint64_t n) {
  std::uint64_t z = seed + (n + 1) * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

}  // namespace brokerload::pacing
