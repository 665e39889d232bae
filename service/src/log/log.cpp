#include "log/log.hpp"

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace brokerload::log {
namespace {

std::atomic<Level> current_level{Level::kInfo};
std::mutex write_mutex;

const char* Name(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

}  // namespace

void SetLevel(Level level) { current_level.store(level); }

bool Enabled(Level level) { return level >= current_level.load(std::memory_order_relaxed); }

void Write(Level level, const char* format, ...) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  char text[1024];
  va_list args;
  va_start(args, format);
  std::vsnprintf(text, sizeof text, format, args);
  va_end(args);
  std::lock_guard lock(write_mutex);
  std::fprintf(stderr, "%s.%03dZ %-5s %s\n", stamp, static_cast<int>(millis), Name(level), text);
}

void NameThread(const char* role) {
  const std::string name = ("bl-" + std::string(role)).substr(0, 15);
  pthread_setname_np(pthread_self(), name.c_str());
}

}  // namespace brokerload::log
