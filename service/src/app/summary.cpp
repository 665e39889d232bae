#include "app/summary.hpp"

#include <cstdio>

#include "metrics/process_stats.hpp"

namespace brokerload::app {

void PrintSummary(const std::vector<std::unique_ptr<TargetRuntime>>& targets,
                  std::int64_t elapsed_ns, std::int64_t warmup_ns, config::Role role) {
  const double seconds = static_cast<double>(elapsed_ns) * 1e-9;
  if (role == config::Role::kConsumeOnly) {
    std::printf(
        "\nbrokerload summary after %.1f s (consume-only: every producer's messages; latencies "
        "leave out each producer's first %.1f s; msg/s is what arrived; a producer's last "
        "messages, after the last one received, are not known)\n",
        seconds, static_cast<double>(warmup_ns) * 1e-9);
  } else {
    std::printf(
        "\nbrokerload summary after %.1f s (counts include the %.1f s warm-up, latencies do "
        "not)\n",
        seconds, static_cast<double>(warmup_ns) * 1e-9);
  }
  if (role == config::Role::kProduceOnly) {
    std::printf(
        "produce-only: nothing consumed here, so loss, duplicates and end-to-end latency were "
        "not measured\n");
  }
  std::printf("%-6s %12s %12s %12s %8s %8s %8s %8s %8s %8s %10s %10s %10s %10s\n", "target",
              "published", "acked", "consumed", "errors", "lost", "unconf", "dup", "redeliv", "ooo",
              "msg/s", "pub p99", "e2e p50", "e2e p99");
  for (const auto& target : targets) {
    accounting::TargetAccounting& a = target->Accounting();
    const accounting::Totals t = a.Sum();
    accounting::HistogramSnapshot publish;
    accounting::HistogramSnapshot e2e;
    for (std::size_t i = 0; i < a.Topics(); ++i) {
      publish.Merge(a.Latencies(i).publish.Snapshot());
      e2e.Merge(a.Latencies(i).end_to_end.Snapshot());
    }
    std::printf(
        "%-6s %12llu %12llu %12llu %8llu %8llu %8llu %8llu %8llu %8llu %10.0f %8.2fms %8.2fms "
        "%8.2fms\n",
        target->Name().c_str(), static_cast<unsigned long long>(t.published),
        static_cast<unsigned long long>(t.acked), static_cast<unsigned long long>(t.consumed),
        static_cast<unsigned long long>(t.Errors()), static_cast<unsigned long long>(t.lost),
        static_cast<unsigned long long>(t.unconfirmed),
        static_cast<unsigned long long>(t.duplicated),
        static_cast<unsigned long long>(t.redelivered),
        static_cast<unsigned long long>(t.out_of_order),
        seconds > 0
            ? static_cast<double>(role == config::Role::kConsumeOnly ? t.Received() : t.acked) /
                  seconds
            : 0.0,
        static_cast<double>(publish.QuantileNs(0.99)) * 1e-6,
        static_cast<double>(e2e.QuantileNs(0.5)) * 1e-6,
        static_cast<double>(e2e.QuantileNs(0.99)) * 1e-6);
  }
  const metrics::ProcessStats process = metrics::ReadProcessStats();
  std::printf("process: %.1f MB resident, %llu threads, %.1f s CPU\n",
              static_cast<double>(process.resident_bytes) / 1e6,
              static_cast<unsigned long long>(process.threads), process.cpu_seconds);
  std::fflush(stdout);
}

}  // namespace brokerload::app
