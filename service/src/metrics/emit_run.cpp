#include "metrics/emit.hpp"
#include "metrics/process_stats.hpp"

namespace brokerload::metrics {

void EmitRun(Families& families, const RunState& run, bool ready) {
  static const Labels kNone;
  Add(families, FamilyId::kBuildInfo, run.build, 1);
  Add(families, FamilyId::kConfigLoadedTimestamp, kNone, run.config_loaded_seconds);
  for (std::size_t r = 0; r < kReloadOutcomes; ++r) {
    Add(families, FamilyId::kConfigReloads, run.reload_labels[r],
        static_cast<double>(run.reloads[r]));
  }
  Add(families, FamilyId::kConfigLastReloadSuccessful, kNone, run.last_reload_successful ? 1 : 0);
  Add(families, FamilyId::kReady, kNone, ready ? 1 : 0);
}

void EmitProcess(Families& families, const QueueDepthProbe& queue_depth) {
  static const Labels kNone;
  Add(families, FamilyId::kWorkerQueueDepth, kNone,
      queue_depth ? static_cast<double>(queue_depth()) : 0);
  const ProcessStats process = ReadProcessStats();
  Add(families, FamilyId::kProcessCpu, kNone, process.cpu_seconds);
  Add(families, FamilyId::kProcessResidentMemory, kNone,
      static_cast<double>(process.resident_bytes));
  Add(families, FamilyId::kProcessVirtualMemory, kNone, static_cast<double>(process.virtual_bytes));
  Add(families, FamilyId::kProcessOpenFds, kNone, static_cast<double>(process.open_fds));
  Add(families, FamilyId::kProcessThreads, kNone, static_cast<double>(process.threads));
  Add(families, FamilyId::kProcessStartTime, kNone, process.start_time_seconds);
}

}  // namespace brokerload::metrics
