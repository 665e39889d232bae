#pragma once

#include <cstdint>

namespace brokerload::metrics {

// This process's resources, read from /proc/self. Zeroes where /proc cannot be read.
struct ProcessStats {
  double cpu_seconds = 0;
  std::uint64_t resident_bytes = 0;
  std::uint64_t virtual_bytes = 0;
  std::uint64_t threads = 0;
  std::uint64_t open_fds = 0;
  double start_time_seconds = 0;  // since the Unix epoch
};

ProcessStats ReadProcessStats();

}  // namespace brokerload::metrics
