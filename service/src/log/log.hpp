#pragma once

#include <cstdarg>

// One-line, timestamped logs on stderr. Never called per message above debug level: callers log
// events (start, stage change, connect, aggregated errors). Thread-safe.
namespace brokerload::log {

enum class Level { kDebug, kInfo, kWarn, kError };

void SetLevel(Level level);
bool Enabled(Level level);

[[gnu::format(printf, 2, 3)]] void Write(Level level, const char* format, ...);

// Names the calling thread as `top -H`, perf and /proc/<pid>/task/*/comm show it: "bl-" and
// `role`, cut to Linux's 15 characters. Once per thread, at its start (or, for a client library's
// thread, at its first callback into brokerload).
void NameThread(const char* role);

}  // namespace brokerload::log

#define BROKERLOAD_LOG(level, ...)                                            \
  do {                                                                        \
    if (::brokerload::log::Enabled(::brokerload::log::Level::level)) {        \
      ::brokerload::log::Write(::brokerload::log::Level::level, __VA_ARGS__); \
    }                                                                         \
  } while (false)
#define LOG_DEBUG(...) BROKERLOAD_LOG(kDebug, __VA_ARGS__)
#define LOG_INFO(...) BROKERLOAD_LOG(kInfo, __VA_ARGS__)
#define LOG_WARN(...) BROKERLOAD_LOG(kWarn, __VA_ARGS__)
#define LOG_ERROR(...) BROKERLOAD_LOG(kError, __VA_ARGS__)
