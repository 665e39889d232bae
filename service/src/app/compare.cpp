#include "app/compare.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "app/exit_codes.hpp"
#include "app/target_runtime.hpp"
#include "app/version.hpp"
#include "log/log.hpp"
#include "metrics/process_stats.hpp"
#include "report/json.hpp"
#include "report/writers.hpp"

namespace brokerload::app {
namespace {

constexpr double kBehindLagMs = 10;  // send-lag p99 above this: the tool, not the broker

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

// Samples brokerload's own memory and threads while a stage runs.
class ResourceSampler {
 public:
  ResourceSampler() : initial_(metrics::ReadProcessStats()) {
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        const metrics::ProcessStats now = metrics::ReadProcessStats();
        peak_rss_.store(std::max(peak_rss_.load(), now.resident_bytes));
        peak_threads_.store(std::max(peak_threads_.load(), now.threads));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }

  report::ResourceSummary Finish() {
    stop_.store(true);
    thread_.join();
    const metrics::ProcessStats final_stats = metrics::ReadProcessStats();
    report::ResourceSummary r;
    r.memory_initial_mb = static_cast<double>(initial_.resident_bytes) / 1e6;
    r.memory_peak_mb =
        static_cast<double>(std::max(peak_rss_.load(), final_stats.resident_bytes)) / 1e6;
    r.memory_final_mb = static_cast<double>(final_stats.resident_bytes) / 1e6;
    r.threads_initial = static_cast<std::int64_t>(initial_.threads);
    r.threads_peak = static_cast<std::int64_t>(std::max(peak_threads_.load(), final_stats.threads));
    r.threads_final = static_cast<std::int64_t>(final_stats.threads);
    r.cpu_seconds = final_stats.cpu_seconds - initial_.cpu_seconds;
    return r;
  }

 private:
  metrics::ProcessStats initial_;
  std::atomic<std::uint64_t> peak_rss_{0};
  std::atomic<std::uint64_t> peak_threads_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

report::StageResult Measure(TargetRuntime& target, const config::Config& config,
                            const config::Stage& stage, std::int64_t measure_from_ns) {
  accounting::TargetAccounting& a = target.Accounting();
  report::StageResult r;
  r.target = target.Name();
  r.stage = stage.name;
  r.offered_rate = stage.rate;
  const accounting::Totals t = a.Sum();
  r.published = t.published - t.warmup_published;
  r.acked = t.acked - t.warmup_acked;
  const std::uint64_t unique_measured = t.consumed - t.duplicated;
  r.consumed = unique_measured > t.warmup_consumed ? unique_measured - t.warmup_consumed : 0;
  r.lost = t.lost;
  r.duplicated = t.duplicated;
  r.out_of_order = t.out_of_order;
  r.dropped_sends = t.dropped_sends;
  r.publish_errors = t.Errors();
  accounting::HistogramSnapshot publish, e2e;
  for (std::size_t i = 0; i < a.Topics(); ++i) {
    publish.Merge(a.Latencies(i).publish.Snapshot());
    e2e.Merge(a.Latencies(i).end_to_end.Snapshot());
  }
  r.measured_seconds =
      std::max(1e-9, static_cast<double>(a.LastReceiveNs() - measure_from_ns) * 1e-9);
  r.achieved_rate = static_cast<double>(r.consumed) / r.measured_seconds;
  const double mean_size = (config.workload.min_size + config.workload.max_size) / 2.0;
  r.achieved_mb_per_s = r.achieved_rate * mean_size / 1e6;
  r.publish_ms = Summarize(publish);
  r.end_to_end_ms = Summarize(e2e);
  for (double q : {0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.9999, 1.0}) {
    r.end_to_end_curve.emplace_back(q, Ms(e2e.QuantileNs(q)));
  }
  r.send_lag_p99_ms = Ms(a.SendLag().Snapshot().QuantileNs(0.99));
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

// Runs one stage on the given targets at once; appends one result per target.
int RunStage(const config::Config& config, const std::vector<driver::Backend>& backends,
             const config::Stage& stage, const CompareOptions& options,
             std::vector<report::StageResult>& results) {
  const std::vector<std::string> topics = TopicNames(config.workload);
  config::Profile profile;
  if (options.warmup.count() > 0) {
    profile.stages.push_back({"warmup", stage.rate, options.warmup, std::nullopt});
  }
  profile.stages.push_back(stage);
  const pacing::Schedule schedule(profile);
  const pacing::RunClock clock;
  const accounting::RunIdentity identity = NewRunIdentity();
  const config::Config run_config = ForRun(config, identity);

  ResourceSampler sampler;
  double cpu_measured = 0;
  std::vector<std::unique_ptr<TargetRuntime>> targets;
  {
    std::vector<TargetRuntime*> by_index;
    for (std::size_t i = 0; i < backends.size(); ++i) {
      targets.push_back(std::make_unique<TargetRuntime>(backends[i], static_cast<std::uint16_t>(i),
                                                        run_config, topics, identity, clock,
                                                        schedule));
      by_index.push_back(targets.back().get());
    }
    workers::Pool pool(static_cast<std::size_t>(config.workload.workers),
                       static_cast<std::size_t>(config.workload.worker_queue),
                       [&by_index](const accounting::WorkItem& item) {
                         by_index[item.target]->Accounting().OnProcessed(item);
                       });
    const std::atomic<bool> cancel{false};
    for (auto& target : targets) {
      std::string error;
      if (!target->Setup(pool, cancel, error)) {
        LOG_ERROR("%s", error.c_str());
        return kExitBrokerUnavailable;
      }
    }
    const std::int64_t start_ns = clock.NowNs() + 50'000'000;
    const std::int64_t measure_from_ns = start_ns + options.warmup.count();
    for (auto& target : targets) {
      target->Accounting().SetMeasureFrom(measure_from_ns);
      target->StartPublishing(start_ns);
    }
    // brokerload's CPU over the measured window only: setup and warm-up are not per message.
    while (clock.NowNs() < measure_from_ns) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const double cpu_at_measure_start = metrics::ReadProcessStats().cpu_seconds;
    const auto deadline = std::chrono::steady_clock::now() + options.warmup +
                          std::chrono::nanoseconds(schedule.TotalDurationNs().value_or(0)) +
                          std::chrono::seconds(60);
    auto all_finished = [&] {
      for (auto& t : targets) {
        if (!t->Publisher()->Finished()) return false;
      }
      return true;
    };
    const bool terminal = isatty(STDERR_FILENO) == 1;
    while (!all_finished() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      if (!terminal) continue;  // one line per stage below; no carriage returns in log files
      std::string line = "\rcompare: stage " + stage.name;
      for (auto& t : targets) {
        const accounting::Totals totals = t->Accounting().Sum();
        line += "  " + t->Name() + " sent " + std::to_string(totals.published) + " consumed " +
                std::to_string(totals.consumed);
      }
      std::fprintf(stderr, "%s   ", line.c_str());
    }
    std::fprintf(stderr, "%scompare: stage %s sent on %zu target(s)\n", terminal ? "\n" : "",
                 stage.name.c_str(), targets.size());
    Drain(targets, std::chrono::steady_clock::now() + config.run.drain_timeout);
    cpu_measured = metrics::ReadProcessStats().cpu_seconds - cpu_at_measure_start;
    for (auto& t : targets) t->StopConsuming();
    pool.Stop();
    for (auto& t : targets) {
      t->Accounting().FinalSweep();
      results.push_back(Measure(*t, config, stage, measure_from_ns));
    }
  }
  targets.clear();  // clients and their threads are gone before the final sample
  const report::ResourceSummary resources = sampler.Finish();
  const std::size_t first = results.size() - backends.size();
  for (std::size_t i = first; i < results.size(); ++i) {
    report::StageResult& r = results[i];
    r.resources = resources;
    // The measured window's CPU per measured message; side by side, the targets share it.
    std::uint64_t sent = 0;
    for (std::size_t j = first; j < results.size(); ++j) sent += results[j].published;
    r.cpu_us_per_message = sent == 0 ? 0 : cpu_measured * 1e6 / static_cast<double>(sent);
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
  comparison.warmup_seconds = std::chrono::duration<double>(options.warmup).count();
  comparison.topics = config.workload.topics;
  comparison.message_size = config.workload.min_size;
  comparison.workers = config.workload.workers;

  driver::InitializeClientLibraries();
  std::error_code dir_error;
  std::filesystem::create_directories(options.out_dir, dir_error);
  if (dir_error) {
    LOG_ERROR("--out %s: %s", options.out_dir.c_str(), dir_error.message().c_str());
    return kExitRuntime;
  }
  if (options.side_by_side) {
    for (const config::Stage& stage : config.profile.stages) {
      if (int rc = RunStage(config, backends, stage, options, comparison.results)) return rc;
    }
  } else {
    for (driver::Backend backend : backends) {
      for (const config::Stage& stage : config.profile.stages) {
        if (int rc = RunStage(config, {backend}, stage, options, comparison.results)) return rc;
      }
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
