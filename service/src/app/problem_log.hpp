#pragma once

#include <cstdint>
#include <string>

#include "accounting/target_accounting.hpp"

namespace brokerload::app {

// One target's problems as log lines, one per kind and interval, never one per message: publish
// errors (with the totals by reason), losses, sends behind schedule, messages of producers beyond
// those tracked. Each Log() reports what changed since the previous one. One thread.
class ProblemLog {
 public:
  explicit ProblemLog(std::string name) : name_(std::move(name)) {}
  // `topics`: the target's topic count; `interval`: how the interval reads ("10 s").
  void Log(const accounting::TargetAccounting& accounting, std::size_t topics,
           const char* interval);

 private:
  struct Totals {
    std::uint64_t errors = 0;
    std::uint64_t lost = 0;
    std::uint64_t dropped = 0;
    std::uint64_t late = 0;
    std::uint64_t published = 0;
    std::uint64_t too_many_sources = 0;
  };
  std::string name_;
  Totals logged_;
};

}  // namespace brokerload::app
