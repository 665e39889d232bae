#include "app/engine.hpp"

#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>

#include "log/log.hpp"

namespace brokerload::app {
namespace {

// Names each stage's burst interval (profile.burst_interval, auto's choice included), once.
void LogBursts(const pacing::Schedule& schedule) {
  std::string bursts;
  for (const pacing::StagePlan& stage : schedule.Stages()) {
    if (stage.burst_ns <= 0) continue;
    char text[96];
    std::snprintf(text, sizeof text, "%s%s every %.3g ms", bursts.empty() ? "" : ", ",
                  stage.name.c_str(), static_cast<double>(stage.burst_ns) / 1e6);
    bursts += text;
  }
  if (!bursts.empty()) LOG_INFO("sending in bursts (profile.burst_interval): %s", bursts.c_str());
}

void SimulateWork(config::WorkMode mode, std::chrono::nanoseconds time) {
  if (mode == config::WorkMode::kSpin) {
    const auto until = std::chrono::steady_clock::now() + time;
    while (std::chrono::steady_clock::now() < until) {
    }
  } else if (mode == config::WorkMode::kSleep) {
    std::this_thread::sleep_for(time);
  }
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::vector<driver::Backend> Backends(const config::Config& config) {
  std::vector<driver::Backend> backends;
  if (config.kafka) backends.push_back(driver::Backend::kKafka);
  if (config.nats) backends.push_back(driver::Backend::kNats);
  return backends;
}

Engine::Engine(const config::Config& config, EngineOptions options)
    : identity_(NewRunIdentity()),
      config_(ForRun(config, identity_)),
      schedule_(options.profile, options.warmup.count()),
      phase_per_stage_(options.phase_per_stage),
      loss_grace_ns_(config.run.loss_grace.count()),
      work_mode_(config.workload.work),
      work_time_ns_(config.workload.work_time.count()),
      pool_(static_cast<std::size_t>(config.workload.workers),
            static_cast<std::size_t>(config.workload.worker_queue),
            [this](const accounting::WorkItem& item) {
              SimulateWork(work_mode_.load(std::memory_order_relaxed),
                           std::chrono::nanoseconds(work_time_ns_.load(std::memory_order_relaxed)));
              targets_[item.target]->Accounting().OnProcessed(item);
            }) {
  // Consume-only: one phase (its producers keep schedules of their own).
  const std::size_t phases = config_.run.role == config::Role::kConsumeOnly ? 1
                             : phase_per_stage_      ? schedule_.Stages().size()
                             : schedule_.HasWarmup() ? 2
                                                     : 1;
  const std::vector<std::string> topics = TopicNames(config_.workload, identity_.producer_id);
  const TargetContext context{config_, identity_, clock_, schedule_, pool_, options.create_clients};
  for (std::size_t i = 0; i < options.backends.size(); ++i) {
    targets_.push_back(std::make_unique<TargetRuntime>(options.backends[i],
                                                       static_cast<std::uint8_t>(i), topics, phases,
                                                       phase_per_stage_, context));
  }
}

Engine::~Engine() {
  // Consumers stop feeding the pool before the workers go; the targets go before the pool.
  for (auto& target : targets_) target->StopConsuming();
  pool_.Stop();
}

bool Engine::Prepare(const std::atomic<bool>& cancel, std::string& error) {
  for (auto& target : targets_) {
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + config_.run.startup_timeout;
    Readiness readiness;
    if (!target->Setup(cancel, deadline, error)) return false;
    readiness.setup_seconds = SecondsSince(start);
    const auto probe_start = std::chrono::steady_clock::now();
    if (!target->Probe(cancel, deadline, error)) return false;
    readiness.probe_seconds = SecondsSince(probe_start);
    readiness_.push_back(readiness);
    if (config_.run.role != config::Role::kFull) {
      LOG_INFO("%s: ready after %.2f s (no probe round trip: one end only)", target->Name().c_str(),
               readiness.setup_seconds);
      continue;
    }
    LOG_INFO("%s: ready end to end after %.2f s (setup %.2f s, probe round trip %.2f s)",
             target->Name().c_str(), readiness.setup_seconds + readiness.probe_seconds,
             readiness.setup_seconds, readiness.probe_seconds);
  }
  return true;
}

std::vector<accounting::PhaseWindow> Engine::PhaseWindows() const {
  std::vector<accounting::PhaseWindow> windows;
  const auto& stages = schedule_.Stages();
  if (phase_per_stage_) {
    for (std::size_t i = 0; i < stages.size(); ++i) {
      accounting::PhaseWindow w;
      w.start_ns = start_ns_ + stages[i].start_ns;
      if (stages[i].duration_ns != std::numeric_limits<std::int64_t>::max()) {
        w.end_ns = w.start_ns + stages[i].duration_ns;
      }
      w.measured = !(schedule_.HasWarmup() && i == 0);
      windows.push_back(w);
    }
  } else if (schedule_.HasWarmup()) {
    windows.push_back({std::numeric_limits<std::int64_t>::min(), MeasureFromNs(), false});
    windows.push_back({MeasureFromNs(), std::numeric_limits<std::int64_t>::max(), true});
  } else {
    windows.push_back({});
  }
  return windows;
}

void Engine::Start() {
  if (config_.run.cpu_dma_latency && config_.run.role != config::Role::kConsumeOnly) {
    cpu_latency_.emplace(*config_.run.cpu_dma_latency);
  }
  start_ns_ = clock_.NowNs() + 50'000'000;
  const std::vector<accounting::PhaseWindow> windows = PhaseWindows();
  for (auto& target : targets_) {
    target->Accounting().SetPhases(windows);
    target->StartPublishing(start_ns_);
  }
  if (config_.run.role == config::Role::kConsumeOnly) {
    LOG_INFO("each producer's first %.1f s (run.warmup) kept out of latency figures",
             static_cast<double>(config_.run.warmup.count()) * 1e-9);
  } else if (schedule_.HasWarmup()) {
    LOG_INFO("warm-up: %.1f s at %.0f msg/s, excluded from latency figures",
             static_cast<double>(schedule_.WarmupNs()) * 1e-9, schedule_.Stages().front().rate);
  }
  if (config_.run.role != config::Role::kConsumeOnly) LogBursts(schedule_);
}

void Engine::Maintain() {
  for (auto& target : targets_) target->Maintain(clock_.NowNs(), loss_grace_ns_);
}

std::int64_t Engine::Reload(const config::Config& next) {
  // Every publisher thread is woken to take the new settings: two ticks and 10 ms leave room for
  // one that waits for a core, so that the switch itself makes no send late.
  const std::int64_t start_ns = clock_.NowNs() + 2 * config_.run.tick.count() + 10'000'000;
  // The warm-up keeps its end: the accounting's phases, fixed at Start, say the same.
  const std::int64_t warmup_left =
      schedule_.HasWarmup() ? std::max<std::int64_t>(0, MeasureFromNs() - start_ns) : 0;
  auto schedule = std::make_unique<const pacing::Schedule>(next.profile, warmup_left);
  if (next.run.role != config::Role::kConsumeOnly) LogBursts(*schedule);
  for (auto& target : targets_) target->Reload(next.workload, next.run, *schedule, start_ns);
  reloaded_schedules_.push_back(std::move(schedule));
  reloaded_samples_[1] = std::move(reloaded_samples_[0]);
  reloaded_samples_[0] = next.workload.samples.data;
  work_mode_.store(next.workload.work, std::memory_order_relaxed);
  work_time_ns_.store(next.workload.work_time.count(), std::memory_order_relaxed);
  loss_grace_ns_ = next.run.loss_grace.count();
  return start_ns;
}

bool Engine::Finished() const {
  for (const auto& target : targets_) {
    if (!target->PublishingFinished()) return false;
  }
  return true;
}

bool Engine::Finish(std::chrono::steady_clock::time_point deadline) {
  if (finished_) return drained_;
  finished_ = true;
  const bool drained = drained_ = Drain(targets_, deadline);
  for (auto& target : targets_) target->StopConsuming();
  pool_.Stop();
  for (auto& target : targets_) target->Accounting().FinalSweep();
  return drained;
}

}  // namespace brokerload::app
