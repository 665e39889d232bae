#include "app/problem_log.hpp"

#include "log/log.hpp"
#include "pacing/publisher.hpp"

namespace brokerload::app {
namespace {

unsigned long long Delta(std::uint64_t now, std::uint64_t before) { return now - before; }

}  // namespace

void ProblemLog::Log(const accounting::TargetAccounting& accounting, std::size_t topics,
                     const char* interval) {
  const accounting::Totals totals = accounting.Sum();
  std::uint64_t too_many_sources = 0;
  for (std::size_t t = 0; t < topics; ++t) {
    too_many_sources += accounting.ForeignCount(t, accounting::ForeignReason::kTooManySources);
  }
  const Totals now{totals.Errors(),   totals.lost,      totals.dropped_sends,
                   totals.late_sends, totals.published, too_many_sources};
  const char* name = name_.c_str();
  if (now.errors != logged_.errors) {
    std::string reasons;
    for (std::size_t r = 0; r < driver::kStatusCount; ++r) {
      const std::uint64_t count = totals.send_errors[r] + totals.ack_errors[r];
      if (count == 0) continue;
      reasons += (reasons.empty() ? "" : ", ") +
                 std::string(driver::StatusName(static_cast<driver::Status>(r))) + " " +
                 std::to_string(count);
    }
    LOG_WARN("%s: %llu publish errors in the last %s (totals: %s)", name,
             Delta(now.errors, logged_.errors), interval, reasons.c_str());
  }
  if (now.lost != logged_.lost) {
    LOG_WARN("%s: %llu messages lost in the last %s", name, Delta(now.lost, logged_.lost),
             interval);
  }
  // The odd late send is counted (brokerload_sends_late_total) but is not "behind".
  if (pacing::BehindSchedule(now.published - logged_.published, now.late - logged_.late,
                             now.dropped - logged_.dropped)) {
    LOG_WARN("%s: behind schedule: %llu sends late, %llu dropped in the last %s", name,
             Delta(now.late, logged_.late), Delta(now.dropped, logged_.dropped), interval);
  }
  if (now.too_many_sources != logged_.too_many_sources) {
    LOG_WARN(
        "%s: %llu messages of producers beyond the %zu tracked at once skipped in the last "
        "%s (brokerload_messages_foreign_total{reason=\"too_many_sources\"})",
        name, Delta(now.too_many_sources, logged_.too_many_sources),
        accounting::SourceTable::kCapacity, interval);
  }
  logged_ = now;
}

}  // namespace brokerload::app
