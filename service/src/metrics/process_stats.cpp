#include "metrics/process_stats.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace brokerload::metrics {
namespace {

double BootTimeSeconds() {
  std::ifstream stat("/proc/stat");
  std::string key;
  double value = 0;
  while (stat >> key) {
    if (key == "btime") {
      stat >> value;
      return value;
    }
    stat.ignore(1 << 16, '\n');
  }
  return 0;
}

}  // namespace

ProcessStats ReadProcessStats() {
  ProcessStats stats;
  std::ifstream file("/proc/self/stat");
  std::string text;
  if (!std::getline(file, text)) return stats;
  // Fields after the command name, which is in parentheses and may hold spaces.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return stats;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  std::vector<std::string> values;
  while (fields >> field) values.push_back(field);
  // values[0] is field 3 (state); field n is values[n - 3].
  if (values.size() < 22) return stats;
  const auto ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const auto page = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  stats.cpu_seconds = (std::stod(values[14 - 3]) + std::stod(values[15 - 3])) / ticks;
  stats.threads = std::stoull(values[20 - 3]);
  stats.start_time_seconds = BootTimeSeconds() + std::stod(values[22 - 3]) / ticks;
  stats.virtual_bytes = std::stoull(values[23 - 3]);
  stats.resident_bytes = std::stoull(values[24 - 3]) * page;
  std::error_code error;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    ++stats.open_fds;
  }
  return stats;
}

}  // namespace brokerload::metrics
