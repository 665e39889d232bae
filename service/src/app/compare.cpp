#include "app/compare.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include "app/compare_results.hpp"
#include "app/engine.hpp"
#include "app/exit_codes.hpp"
#include "app/resource_sampler.hpp"
#include "app/run_loop.hpp"
#include "app/version.hpp"
#include "log/log.hpp"
#include "pacing/sizes.hpp"
#include "report/analysis.hpp"
#include "report/baseline.hpp"
#include "report/json.hpp"
#include "report/writers.hpp"

namespace brokerload::app {
namespace {

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// On a terminal, one line per tick that says where each target is.
void ShowProgress(const Engine& engine) {
  std::string line = "\rcompare:";
  for (const auto& t : engine.Targets()) {
    const accounting::Totals totals = t->Accounting().Sum();
    line += "  " + t->Name() + " stage " + t->Publisher()->CurrentStagePlan().name + " sent " +
            std::to_string(totals.published) + " consumed " + std::to_string(totals.consumed);
  }
  std::fprintf(stderr, "%s   ", line.c_str());
}

// Runs the whole profile on `backends` at once, warm-up first, on `loop`; appends what was
// measured to `comparison` (all of it, or up to a signal). kExitOk, or the setup's failure.
int RunTargets(RunLoop& loop, const config::Config& config,
               const std::vector<driver::Backend>& backends, const CompareOptions& options,
               report::Comparison& comparison) {
  EngineOptions engine_options;
  engine_options.backends = backends;
  engine_options.profile = config.profile;
  engine_options.warmup = options.warmup.value_or(config.run.warmup);
  engine_options.phase_per_stage = true;
  Engine engine(config, engine_options);
  ResourceSampler sampler(engine.Clock());
  const bool terminal = isatty(STDERR_FILENO) == 1;
  std::chrono::steady_clock::time_point deadline;
  RunLoop::Hooks hooks;
  hooks.on_started = [&] {
    deadline = std::chrono::steady_clock::now() +
               std::chrono::nanoseconds(engine.Schedule().TotalDurationNs().value_or(0)) +
               std::chrono::seconds(60);
  };
  hooks.on_tick = [&] {
    if (terminal) ShowProgress(engine);  // no carriage returns in log files
  };
  hooks.done = [&] { return engine.Finished() || std::chrono::steady_clock::now() >= deadline; };
  hooks.on_stopping = [&] {
    std::fprintf(stderr, "%scompare: profile %s on %zu target(s)\n", terminal ? "\n" : "",
                 loop.Interrupted() ? "interrupted" : "sent", engine.Targets().size());
  };
  const RunLoop::Result result = loop.Run(engine, hooks);
  sampler.Stop();
  switch (result.outcome) {
    case RunLoop::Outcome::kSetupFailed:
      LOG_ERROR("%s", result.error.c_str());
      return kExitBrokerUnavailable;
    case RunLoop::Outcome::kSetupInterrupted:  // nothing measured
      comparison.interrupted = "by signal " + std::to_string(loop.Signal()) + " (during the setup)";
      return kExitOk;
    case RunLoop::Outcome::kInterrupted:
    case RunLoop::Outcome::kDone:
      break;
  }
  // Interrupted before the schedule's end: the stage under way was cut short.
  const bool cut =
      result.outcome == RunLoop::Outcome::kInterrupted &&
      result.stop_ns < engine.StartNs() + engine.Schedule().TotalDurationNs().value_or(0);
  // The clients' counts of bytes on the wire may lag the last send (Kafka: until its next
  // statistics): wait that long once (at most 10 s; not after a signal), sending being over, so
  // the report's figure is whole.
  std::chrono::milliseconds delay{0};
  for (const auto& t : engine.Targets()) delay = std::max(delay, t->SentBytesDelay());
  delay = std::min(delay, std::chrono::milliseconds(9'500));
  if (delay.count() > 0 && result.outcome == RunLoop::Outcome::kDone) {
    LOG_INFO("compare: waiting %lld ms for the clients' counts of bytes sent",
             static_cast<long long>(delay.count() + 500));
    std::this_thread::sleep_for(delay + std::chrono::milliseconds(500));
  }
  AddResults(engine, sampler, cut ? result.stop_ns : std::numeric_limits<std::int64_t>::max(),
             comparison);
  if (cut) {
    std::string where;
    for (const auto& t : engine.Targets()) {
      where += (where.empty() ? "" : ", ") + t->Name() + " in stage " +
               t->Publisher()->CurrentStagePlan().name;
    }
    comparison.interrupted = "by signal " + std::to_string(loop.Signal()) + " (" + where + ")";
  }
  return kExitOk;
}

// The whole profile on every target: at once (side by side) or one target after the other.
int RunProfile(RunLoop& loop, const config::Config& config, const CompareOptions& options,
               report::Comparison& comparison) {
  const std::vector<driver::Backend> backends = Backends(config);
  if (options.side_by_side) return RunTargets(loop, config, backends, options, comparison);
  for (driver::Backend backend : backends) {
    if (loop.Interrupted()) {
      if (comparison.interrupted.empty()) {
        comparison.interrupted = "by signal " + std::to_string(loop.Signal()) + " (before " +
                                 std::string(driver::BackendName(backend)) + " ran)";
      }
      break;
    }
    if (int rc = RunTargets(loop, config, {backend}, options, comparison)) return rc;
  }
  return kExitOk;
}

bool WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream file(path);
  file << text;
  return static_cast<bool>(file);
}

report::Comparison NewComparison(const config::Config& config, const CompareOptions& options) {
  report::Comparison comparison;
  for (driver::Backend b : Backends(config))
    comparison.targets.emplace_back(driver::BackendName(b));
  for (const config::Stage& s : config.profile.stages) comparison.stages.push_back(s.name);
  comparison.brokerload_version = std::string(Version());
  comparison.generated_at = UtcNow();
  comparison.mode = options.side_by_side ? "side-by-side" : "sequential";
  comparison.warmup_seconds =
      std::chrono::duration<double>(options.warmup.value_or(config.run.warmup)).count();
  comparison.topics = config.workload.topics;
  comparison.message_size = config.workload.min_size;
  comparison.message_size_max = config.workload.max_size;
  comparison.message_size_mean = pacing::MeanMessageSize(config.workload);
  comparison.message_sizes = WorkloadText(config.workload);
  comparison.workers = config.workload.workers;
  comparison.keys = config.workload.keys;
  comparison.key_skew = config.workload.key_skew;
  comparison.burst_interval_seconds =
      std::chrono::duration<double>(config.profile.burst_interval).count();
  comparison.burst_interval_auto = config.profile.burst_auto;
  return comparison;
}

// The --baseline report, read before anything runs; false (logged) when it cannot serve.
bool ReadBaseline(const std::string& path, report::Comparison& baseline) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  std::string error;
  if (!file || !report::FromJson(text.str(), baseline, error)) {
    LOG_ERROR("--baseline %s: %s", path.c_str(), file ? error.c_str() : "cannot read the file");
    return false;
  }
  if (!baseline.interrupted.empty()) {
    LOG_ERROR("--baseline %s: an interrupted comparison (%s) is no baseline", path.c_str(),
              baseline.interrupted.c_str());
    return false;
  }
  return true;
}

bool WriteReport(const std::string& out_dir, const report::Comparison& comparison) {
  const std::filesystem::path out(out_dir);
  if (!WriteFile(out / "report.json", report::ToJson(comparison)) ||
      !WriteFile(out / "report.md", report::ToMarkdown(comparison)) ||
      !WriteFile(out / "report.html", report::ToHtml(comparison))) {
    LOG_ERROR("cannot write the report into %s", out_dir.c_str());
    return false;
  }
  std::printf("compare: wrote %s, %s and %s\n", (out / "report.md").c_str(),
              (out / "report.json").c_str(), (out / "report.html").c_str());
  return true;
}

}  // namespace

int Compare(const config::Config& config, const CompareOptions& options) {
  if (config.run.role != config::Role::kFull) {
    LOG_ERROR(
        "compare measures both ends in one process: run.role must be full (produce-only and "
        "consume-only are for run)");
    return kExitConfig;
  }
  if (!pacing::Schedule(config.profile).TotalMessages()) {
    LOG_ERROR(
        "compare needs a bounded profile: stages with a duration or a message count, "
        "without repeat (or --profile seed)");
    return kExitConfig;
  }
  report::Comparison baseline;
  if (options.baseline && !ReadBaseline(*options.baseline, baseline)) return kExitConfig;
  const double bursts = std::chrono::duration<double>(config.profile.burst_interval).count();
  if (options.baseline && (baseline.burst_interval_seconds != bursts ||
                           baseline.burst_interval_auto != config.profile.burst_auto)) {
    const auto text = [](bool automatic, double seconds) {
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "%g s", seconds);
      return automatic ? std::string("auto") : std::string(buffer);
    };
    LOG_ERROR(
        "--baseline %s: its messages went in bursts of %s, this comparison's in bursts of %s "
        "(profile.burst_interval; 0 s: none): their latencies measure different loads",
        options.baseline->c_str(),
        text(baseline.burst_interval_auto, baseline.burst_interval_seconds).c_str(),
        text(config.profile.burst_auto, bursts).c_str());
    return kExitConfig;
  }
  if (options.baseline) {
    const std::string difference =
        report::WorkloadDifference(NewComparison(config, options), baseline);
    if (!difference.empty()) {
      LOG_ERROR("--baseline %s: it measured other messages (%s): their figures do not compare",
                options.baseline->c_str(), difference.c_str());
      return kExitConfig;
    }
  }
  std::error_code dir_error;
  std::filesystem::create_directories(options.out_dir, dir_error);
  if (dir_error) {
    LOG_ERROR("--out %s: %s", options.out_dir.c_str(), dir_error.message().c_str());
    return kExitRuntime;
  }

  driver::InitializeClientLibraries();
  RunLoop loop;  // signals from here on: the first stops the stages, the report says so
  report::Comparison comparison = NewComparison(config, options);
  if (int rc = RunProfile(loop, config, options, comparison)) return rc;
  if (options.repeat > 1) report::AddRepetition(comparison, comparison);
  for (int r = 2; r <= options.repeat && comparison.interrupted.empty(); ++r) {
    std::fprintf(stderr, "compare: repetition %d of %d\n", r, options.repeat);
    report::Comparison again = NewComparison(config, options);
    if (int rc = RunProfile(loop, config, options, again)) return rc;
    if (!again.interrupted.empty()) {  // a cut repetition is left out of the figures
      comparison.interrupted = again.interrupted + " (repetition " + std::to_string(r) + ")";
      break;
    }
    report::AddRepetition(comparison, again);
  }
  std::vector<report::Verdict> regressions;
  if (options.baseline && comparison.interrupted.empty()) {
    comparison.baseline = *options.baseline;
    comparison.verdicts = report::Judge(comparison, baseline, options.tolerances);
    for (const report::Verdict& v : comparison.verdicts) {
      if (v.change != report::Change::kWithinNoise) {
        std::printf("%s %s\n", v.change == report::Change::kRegression ? "REGRESSION" : "IMPROVED",
                    v.ToString().c_str());
      }
      if (v.change == report::Change::kRegression) regressions.push_back(v);
    }
  }
  // A signal after the last stage was measured cut nothing: the report is whole.
  if (!WriteReport(options.out_dir, comparison)) return kExitRuntime;
  if (!comparison.interrupted.empty()) {
    LOG_WARN("compare: interrupted %s: consumers closed; the report has what was measured",
             comparison.interrupted.c_str());
    return kExitInterrupted + loop.Signal();
  }
  if (!options.baseline) return kExitOk;
  if (!regressions.empty()) return kExitRegression;
  std::printf("compare: no regression against %s\n", options.baseline->c_str());
  return kExitOk;
}

}  // namespace brokerload::app
