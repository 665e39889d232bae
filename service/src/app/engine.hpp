#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/target_runtime.hpp"
#include "config/config.hpp"
#include "driver/factory.hpp"
#include "pacing/clock.hpp"
#include "pacing/cpu_latency_request.hpp"
#include "pacing/schedule.hpp"
#include "workers/pool.hpp"

// One run of brokerload against its targets: what `run` and `compare` share, written once.
//
// Lifecycle: Prepare (connect, create topics or streams, wait until every Kafka partition has a
// leader, the consumers' assignment covers every topic and, on Kafka, the offsets topic a fresh
// cluster creates at the first group join has all its leaders, then a probe round trip to every
// partition of every topic) -> Start (the schedule begins, with its warm-up at the first stage's
// rate when `warmup` > 0) -> Maintain about once a second, Reload when the config changes (run
// only) -> Finish (stop sending, flush, wait for the consumers, stop them and the workers, final
// accounting). Not thread-safe: one thread drives it; scrapes may read the targets' accounting
// at any time.
//
// Member order is teardown order in reverse: the targets (their publisher threads, then their
// clients, whose callbacks feed the pool) go before the worker pool, which goes before the
// schedules and clock that everything reads.
namespace brokerload::app {

struct EngineOptions {
  std::vector<driver::Backend> backends;  // in target index order
  config::Profile profile;
  std::chrono::nanoseconds warmup{0};
  // compare: one accounting phase per stage, with latency detail; run: warm-up and the rest.
  bool phase_per_stage = false;
  // How targets get their clients: the brokers' (driver::CreateClients), or a test's fakes.
  ClientFactory create_clients = driver::CreateClients;
};

// The targets a config enables, in target index order: kafka, then nats.
std::vector<driver::Backend> Backends(const config::Config& config);

// How long a target took to become ready, for reports and logs.
struct Readiness {
  double setup_seconds = 0;  // connected, topics/streams there, leaders known, subscribed
  double probe_seconds = 0;  // the probe round trip after setup
};

class Engine {
 public:
  // `config` as loaded; the engine applies the run's identity (ForRun) to its own copy.
  Engine(const config::Config& config, EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Makes every target ready, one after the other, within run.startup_timeout each. False with
  // `error` naming the target and the cause, or once `cancel` is set.
  bool Prepare(const std::atomic<bool>& cancel, std::string& error);
  // Starts every target on one schedule, 50 ms from now.
  void Start();
  // Housekeeping: loss sweep, consumer upkeep after reconnects, aggregated problem logs.
  void Maintain();
  // Puts the reloadable part of `next` into effect (config::Diff found no fixed key changed):
  // one new schedule for every target from one start a little ahead (so that every publisher
  // has taken it by then), beginning with the rest of the warm-up if the warm-up has not ended,
  // then the new profile from its first stage; message sizes, payload, max_send_lag, min_wake,
  // work simulation and loss grace. Nothing reconnects; the run id, the accounting and its
  // phases stay. After Start, in `run` only (compare's phases follow its one schedule). Returns
  // the new schedule's start (Unix ns). Every schedule installed is kept until the engine goes
  // (a few hundred bytes each), as scrapes read their stages.
  std::int64_t Reload(const config::Config& next);
  // True once every target sent its whole (bounded) schedule.
  bool Finished() const;
  // Stops sending, flushes and waits for the consumers until `deadline`, then stops consumers and
  // workers and runs the final accounting. True when the consumers caught up; a later call
  // does nothing and says the same.
  bool Finish(std::chrono::steady_clock::time_point deadline);

  const std::vector<std::unique_ptr<TargetRuntime>>& Targets() const { return targets_; }
  const std::vector<Readiness>& TargetReadiness() const { return readiness_; }
  const pacing::Schedule& Schedule() const { return schedule_; }
  const pacing::Clock& Clock() const { return clock_; }
  const config::Config& RunConfig() const { return config_; }
  const workers::Pool& Pool() const { return pool_; }
  accounting::RunIdentity Identity() const { return identity_; }
  std::int64_t StartNs() const { return start_ns_; }
  // When measuring starts: the end of the warm-up (Unix ns).
  std::int64_t MeasureFromNs() const { return start_ns_ + schedule_.WarmupNs(); }

 private:
  std::vector<accounting::PhaseWindow> PhaseWindows() const;

  accounting::RunIdentity identity_;
  config::Config config_;  // as started (ForRun); Reload changes only what follows
  pacing::RunClock clock_;
  pacing::Schedule schedule_;
  std::vector<std::unique_ptr<const pacing::Schedule>> reloaded_schedules_;
  // The sample payloads of the last two reloads (workload.payload samples, up to 256 MiB): held
  // here so that the publishers, dropping the settings they switch from, never free them on
  // their threads; the third-last goes at a reload, on the reloading thread.
  std::array<std::shared_ptr<const message::Samples>, 2> reloaded_samples_;
  bool phase_per_stage_;
  std::int64_t loss_grace_ns_;
  // workload.work, read by the workers for each message.
  std::atomic<config::WorkMode> work_mode_;
  std::atomic<std::int64_t> work_time_ns_;
  workers::Pool pool_;
  // Held from Start (run.cpu_dma_latency) until the targets below have stopped.
  std::optional<pacing::CpuLatencyRequest> cpu_latency_;
  std::vector<std::unique_ptr<TargetRuntime>> targets_;
  std::vector<Readiness> readiness_;
  std::int64_t start_ns_ = 0;
  bool finished_ = false;
  bool drained_ = false;  // Finish's result, for a later call
};

}  // namespace brokerload::app
