#include "app/compare.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "app/engine.hpp"
#include "app/exit_codes.hpp"
#include "app/target_runtime.hpp"
#include "app/version.hpp"
#include "log/log.hpp"
#include "metrics/process_stats.hpp"
#include "report/json.hpp"
#include "report/writers.hpp"

namespace brokerload::app {
namespace {

// SIGINT or SIGTERM during a comparison: it stops sending, drains and closes its consumers, and
// exits without a report (its stages were not all measured). The handlers replace an inherited
// SIG_IGN too (a background job of a script ignores SIGINT); each resets itself, so a second
// signal ends the process at once.
std::atomic<bool> g_interrupted{false};
std::atomic<int> g_signal{0};
static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free);

extern "C" void OnInterrupt(int signal) {
  g_signal.store(signal);
  g_interrupted.store(true);
}

void CatchInterrupts() {
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  action.sa_flags = static_cast<int>(SA_RESETHAND);
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

constexpr double kBehindLagMs = 10;   // send-lag p99 above this: the tool, not the broker
constexpr double kSettlingRatio = 3;  // first-tenth p99 above this many last-tenth p99s: settling

double Ms(std::int64_t ns) { return static_cast<double>(ns) * 1e-6; }

report::LatencySummary Summarize(const accounting::HistogramSnapshot& h) {
  report::LatencySummary s;
  s.count = h.Count();
  s.mean = h.MeanNs() * 1e-6;
  s.p50 = Ms(h.QuantileNs(0.5));
  s.p90 = Ms(h.QuantileNs(0.9));
  s.p99 = Ms(h.QuantileNs(0.99));
  s.p999 = Ms(h.QuantileNs(0.999));
  s.max = Ms(h.MaxNs());
  return s;
}

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// Samples brokerload's own memory, threads and CPU every 50 ms while a target runs, so that each
// stage's window can be read afterwards.
class ResourceSampler {
 public:
  explicit ResourceSampler(const pacing::Clock& clock) : clock_(clock) {
    Sample();
    thread_ = std::thread([this] {
      log::NameThread("sampler");
      while (!stop_.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        Sample();
      }
    });
  }
  ~ResourceSampler() { Stop(); }

  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    Sample();
  }

  // brokerload's process over a stage's send window [from_ns, to_ns): memory and threads at its
  // start, peak and end; CPU until `cpu_to_ns` (the window plus the stage's drain). The end is the
  // window's, not the drain's: after the last stage's window the publisher thread stops and the
  // producer flushes, which is the run ending, not a stage leaking or freeing threads.
  report::ResourceSummary Over(std::int64_t from_ns, std::int64_t to_ns,
                               std::int64_t cpu_to_ns) const {
    std::lock_guard lock(mutex_);
    report::ResourceSummary r;
    const Point* first = nullptr;
    const Point* last = nullptr;
    const Point* cpu_last = nullptr;
    for (const Point& p : points_) {
      if (p.ns < from_ns) first = &p;  // the last sample before the window is its start
      if (p.ns <= to_ns) last = &p;
      if (p.ns <= cpu_to_ns) cpu_last = &p;
    }
    if (first == nullptr) first = &points_.front();
    if (last == nullptr) last = &points_.back();
    if (cpu_last == nullptr) cpu_last = last;
    r.memory_initial_mb = static_cast<double>(first->stats.resident_bytes) / 1e6;
    r.memory_final_mb = static_cast<double>(last->stats.resident_bytes) / 1e6;
    r.threads_initial = static_cast<std::int64_t>(first->stats.threads);
    r.threads_final = static_cast<std::int64_t>(last->stats.threads);
    r.memory_peak_mb = std::max(r.memory_initial_mb, r.memory_final_mb);
    r.threads_peak = std::max(r.threads_initial, r.threads_final);
    for (const Point& p : points_) {
      if (p.ns < first->ns || p.ns > last->ns) continue;
      r.memory_peak_mb =
          std::max(r.memory_peak_mb, static_cast<double>(p.stats.resident_bytes) / 1e6);
      r.threads_peak = std::max(r.threads_peak, static_cast<std::int64_t>(p.stats.threads));
    }
    r.cpu_seconds = cpu_last->stats.cpu_seconds - first->stats.cpu_seconds;
    return r;
  }

 private:
  struct Point {
    std::int64_t ns;
    metrics::ProcessStats stats;
  };
  void Sample() {
    Point p{clock_.NowNs(), metrics::ReadProcessStats()};
    std::lock_guard lock(mutex_);
    points_.push_back(p);
  }

  const pacing::Clock& clock_;
  mutable std::mutex mutex_;
  std::vector<Point> points_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// One target's stage, from its accounting phase.
report::StageResult Measure(const TargetRuntime& target, const config::Config& config,
                            const pacing::StagePlan& stage, std::size_t phase) {
  const accounting::TargetAccounting& a = target.Accounting();
  const accounting::PhaseWindow& window = a.Window(phase);
  const accounting::Totals t = a.PhaseTotals(phase);
  const accounting::PhaseLatencies& latency = a.PhaseLatency(phase);
  report::StageResult r;
  r.target = target.Name();
  r.stage = stage.name;
  r.offered_rate = stage.rate;
  r.published = t.published;
  r.acked = t.acked;
  r.consumed = t.Received();
  r.consumed_in_window = t.consumed_in_window;
  r.lost = t.lost;
  r.unconfirmed = t.unconfirmed;
  r.duplicated = t.duplicated;
  r.redelivered = t.redelivered;
  r.delivered_after_error = t.delivered_after_error;
  r.arrived_late = t.arrived_after_lost;
  r.out_of_order = t.out_of_order;
  r.dropped_sends = t.dropped_sends;
  r.dropped_by_client = t.dropped_by_client;
  r.publish_errors = t.Errors();
  r.publish_ms = Summarize(latency.publish.Snapshot());
  const accounting::HistogramSnapshot e2e = latency.end_to_end.Snapshot();
  r.end_to_end_ms = Summarize(e2e);
  for (double q : {0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.9999, 1.0}) {
    if (q == 1.0 ? r.end_to_end_ms.SupportsMax() : r.end_to_end_ms.Supports(q)) {
      r.end_to_end_curve.emplace_back(q, Ms(e2e.QuantileNs(q)));
    }
  }
  r.window_seconds = static_cast<double>(window.end_ns - window.start_ns) * 1e-9;
  const std::int64_t last = a.LastReceiveNs(phase);
  r.drain_seconds = last > window.end_ns ? static_cast<double>(last - window.end_ns) * 1e-9 : 0;
  r.rate_estimable = r.window_seconds >= 1.0 && r.window_seconds * 1e3 >= 10 * r.end_to_end_ms.p99;
  r.achieved_rate = static_cast<double>(r.consumed_in_window) / std::max(r.window_seconds, 1e-9);
  const double mean_size = (config.workload.min_size + config.workload.max_size) / 2.0;
  r.achieved_mb_per_s = r.achieved_rate * mean_size / 1e6;
  const accounting::HistogramSnapshot lag = latency.send_lag.Snapshot();
  r.send_lag_p50_ms = Ms(lag.QuantileNs(0.5));
  r.send_lag_p99_ms = Ms(lag.QuantileNs(0.99));
  const accounting::HistogramSnapshot first = latency.end_to_end_slices.front().Snapshot();
  const accounting::HistogramSnapshot final_tenth = latency.end_to_end_slices.back().Snapshot();
  r.first_tenth_p99_ms = Ms(first.QuantileNs(0.99));
  r.last_tenth_p99_ms = Ms(final_tenth.QuantileNs(0.99));
  const std::uint64_t needed = report::MinSamples(0.99);
  r.steady = first.Count() < needed || final_tenth.Count() < needed ||
             r.first_tenth_p99_ms <= kSettlingRatio * r.last_tenth_p99_ms;
  if (r.dropped_sends > 0) {
    r.behind_schedule = true;
    r.behind_reason = std::to_string(r.dropped_sends) + " sends dropped";
  } else if (r.send_lag_p99_ms > kBehindLagMs) {
    r.behind_schedule = true;
    char text[96];
    std::snprintf(text, sizeof text, "send lag p99 %.1f ms > %.0f ms", r.send_lag_p99_ms,
                  kBehindLagMs);
    r.behind_reason = text;
  }
  return r;
}

// The pooled figures of one target over its stages.
report::Overall Pool(const TargetRuntime& target, const std::vector<report::StageResult>& results,
                     std::size_t first_phase) {
  const accounting::TargetAccounting& a = target.Accounting();
  report::Overall o;
  o.target = target.Name();
  accounting::HistogramSnapshot publish;
  accounting::HistogramSnapshot e2e;
  double window = 0;
  double cpu = 0;
  std::uint64_t in_window = 0;
  std::uint64_t published = 0;
  std::uint64_t consumed = 0;
  int stages = 0;
  for (std::size_t p = first_phase; p < a.Phases(); ++p) {
    publish.Merge(a.PhaseLatency(p).publish.Snapshot());
    e2e.Merge(a.PhaseLatency(p).end_to_end.Snapshot());
  }
  for (const report::StageResult& r : results) {
    if (r.target != o.target) continue;
    ++stages;
    window += r.window_seconds;
    in_window += r.consumed_in_window;
    published += r.published;
    consumed += r.consumed;
    cpu += r.resources.cpu_seconds;
    o.memory_delta_mb += r.resources.MemoryDeltaMb();
    o.stages_behind += r.behind_schedule ? 1 : 0;
    o.stages_not_steady += r.steady ? 0 : 1;
  }
  o.publish_ms = Summarize(publish);
  o.end_to_end_ms = Summarize(e2e);
  o.achieved_rate = window > 0 ? static_cast<double>(in_window) / window : 0;
  o.rate_estimable = window >= 1.0 && window * 1e3 >= 10 * o.end_to_end_ms.p99;
  o.success_rate = published == 0
                       ? 100.0
                       : 100.0 * static_cast<double>(consumed) / static_cast<double>(published);
  o.memory_delta_mb /= std::max(stages, 1);
  o.cpu_us_per_message = published == 0 ? 0 : cpu * 1e6 / static_cast<double>(published);
  return o;
}

// Runs the whole profile on `backends` at once, warm-up first; appends a result per target and
// stage, the targets' pooled figures and what was compared.
int RunTargets(const config::Config& config, const std::vector<driver::Backend>& backends,
               const CompareOptions& options, report::Comparison& comparison) {
  EngineOptions engine_options;
  engine_options.backends = backends;
  engine_options.profile = config.profile;
  engine_options.warmup = options.warmup.value_or(config.run.warmup);
  engine_options.phase_per_stage = true;
  Engine engine(config, engine_options);
  ResourceSampler sampler(engine.Clock());
  std::string error;
  if (!engine.Prepare(g_interrupted, error)) {
    if (g_interrupted.load()) return 128 + g_signal.load();
    LOG_ERROR("%s", error.c_str());
    return kExitBrokerUnavailable;
  }
  engine.Start();
  const pacing::Schedule& schedule = engine.Schedule();
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::nanoseconds(schedule.TotalDurationNs().value_or(0)) +
                        std::chrono::seconds(60);
  const bool terminal = isatty(STDERR_FILENO) == 1;
  auto next_housekeeping = std::chrono::steady_clock::now();
  while (!engine.Finished() && std::chrono::steady_clock::now() < deadline &&
         !g_interrupted.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (std::chrono::steady_clock::now() >= next_housekeeping) {
      engine.Maintain();
      next_housekeeping += std::chrono::seconds(1);
    }
    if (!terminal) continue;  // one line per target run below; no carriage returns in log files
    std::string line = "\rcompare:";
    for (const auto& t : engine.Targets()) {
      const accounting::Totals totals = t->Accounting().Sum();
      line += "  " + t->Name() + " stage " + t->Publisher()->CurrentStagePlan().name + " sent " +
              std::to_string(totals.published) + " consumed " + std::to_string(totals.consumed);
    }
    std::fprintf(stderr, "%s   ", line.c_str());
  }
  std::fprintf(stderr, "%scompare: profile sent on %zu target(s)\n", terminal ? "\n" : "",
               engine.Targets().size());
  engine.Finish(std::chrono::steady_clock::now() + config.run.drain_timeout);
  sampler.Stop();
  if (g_interrupted.load()) {
    LOG_WARN("compare: signal %d: stopped, consumers closed; no report written", g_signal.load());
    return 128 + g_signal.load();
  }

  const std::size_t first_stage = schedule.HasWarmup() ? 1 : 0;
  const std::size_t first_result = comparison.results.size();
  for (std::size_t i = 0; i < engine.Targets().size(); ++i) {
    const TargetRuntime& target = *engine.Targets()[i];
    for (std::size_t p = first_stage; p < schedule.Stages().size(); ++p) {
      report::StageResult r = Measure(target, engine.RunConfig(), schedule.Stages()[p], p);
      const accounting::PhaseWindow& w = target.Accounting().Window(p);
      r.resources = sampler.Over(w.start_ns, w.end_ns,
                                 w.end_ns + static_cast<std::int64_t>(r.drain_seconds * 1e9));
      comparison.results.push_back(std::move(r));
    }
    const driver::Description& d = target.Description();
    const Readiness& ready = engine.TargetReadiness()[i];
    comparison.target_info.push_back({target.Name(), d.broker_version, d.client_version, d.settings,
                                      d.durability, ready.setup_seconds, ready.probe_seconds,
                                      static_cast<double>(schedule.WarmupNs()) * 1e-9});
  }
  // Side by side, the targets share one process: a stage's CPU over all of its messages.
  for (std::size_t i = first_result; i < comparison.results.size(); ++i) {
    report::StageResult& r = comparison.results[i];
    std::uint64_t stage_published = 0;
    for (std::size_t j = first_result; j < comparison.results.size(); ++j) {
      if (comparison.results[j].stage == r.stage)
        stage_published += comparison.results[j].published;
    }
    r.cpu_us_per_message =
        stage_published == 0 ? 0
                             : r.resources.cpu_seconds * 1e6 / static_cast<double>(stage_published);
  }
  for (const auto& target : engine.Targets()) {
    comparison.overall.push_back(Pool(*target, comparison.results, first_stage));
  }
  return kExitOk;
}

bool WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream file(path);
  file << text;
  return static_cast<bool>(file);
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
  std::vector<driver::Backend> backends;
  report::Comparison comparison;
  if (config.kafka) backends.push_back(driver::Backend::kKafka);
  if (config.nats) backends.push_back(driver::Backend::kNats);
  for (driver::Backend b : backends) comparison.targets.emplace_back(driver::BackendName(b));
  for (const config::Stage& s : config.profile.stages) comparison.stages.push_back(s.name);
  comparison.brokerload_version = std::string(Version());
  comparison.generated_at = UtcNow();
  comparison.mode = options.side_by_side ? "side-by-side" : "sequential";
  comparison.warmup_seconds =
      std::chrono::duration<double>(options.warmup.value_or(config.run.warmup)).count();
  comparison.topics = config.workload.topics;
  comparison.message_size = config.workload.min_size;
  comparison.workers = config.workload.workers;

  driver::InitializeClientLibraries();
  CatchInterrupts();
  std::error_code dir_error;
  std::filesystem::create_directories(options.out_dir, dir_error);
  if (dir_error) {
    LOG_ERROR("--out %s: %s", options.out_dir.c_str(), dir_error.message().c_str());
    return kExitRuntime;
  }
  if (options.side_by_side) {
    if (int rc = RunTargets(config, backends, options, comparison)) return rc;
  } else {
    for (driver::Backend backend : backends) {
      if (int rc = RunTargets(config, {backend}, options, comparison)) return rc;
    }
  }
  const std::filesystem::path out(options.out_dir);
  if (!WriteFile(out / "report.json", report::ToJson(comparison)) ||
      !WriteFile(out / "report.md", report::ToMarkdown(comparison)) ||
      !WriteFile(out / "report.html", report::ToHtml(comparison))) {
    LOG_ERROR("cannot write the report into %s", options.out_dir.c_str());
    return kExitRuntime;
  }
  std::printf("compare: wrote %s, %s and %s\n", (out / "report.md").c_str(),
              (out / "report.json").c_str(), (out / "report.html").c_str());
  if (!options.baseline) return kExitOk;

  std::ifstream file(*options.baseline);
  std::stringstream text;
  text << file.rdbuf();
  report::Comparison baseline;
  std::string error;
  if (!file || !report::FromJson(text.str(), baseline, error)) {
    LOG_ERROR("--baseline %s: %s", options.baseline->c_str(),
              file ? error.c_str() : "cannot read the file");
    return kExitConfig;
  }
  const auto regressions = report::FindRegressions(comparison, baseline, options.tolerances);
  for (const report::Regression& r : regressions) {
    std::printf("REGRESSION %s\n", r.ToString().c_str());
  }
  if (!regressions.empty()) return kExitRegression;
  std::printf("compare: no regression against %s\n", options.baseline->c_str());
  return kExitOk;
}

}  // namespace brokerload::app
