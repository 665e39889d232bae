#include "metrics/exporter.hpp"

#include <cmath>

#include "metrics/emit.hpp"

namespace brokerload::metrics {
namespace {

LatencyBuckets MakeBuckets(const std::vector<double>& seconds) {
  LatencyBuckets buckets;
  for (std::size_t i = 0; i < seconds.size(); ++i) {
    const std::int64_t ns = std::llround(seconds[i] * 1e9);
    buckets.target.seconds.push_back(seconds[i]);
    buckets.target.ns.push_back(ns);
    if (i % 2 == 0) {
      buckets.broker.seconds.push_back(seconds[i]);
      buckets.broker.ns.push_back(ns);
    }
  }
  return buckets;
}

double Seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace

Exporter::Exporter(std::string version, const std::vector<double>& latency_buckets_seconds)
    : buckets_(std::make_unique<const LatencyBuckets>(MakeBuckets(latency_buckets_seconds))),
      run_(std::make_unique<RunState>(version)) {}

Exporter::~Exporter() = default;

void Exporter::RecordReload(ReloadOutcome outcome, std::chrono::system_clock::time_point at) {
  std::lock_guard lock(mutex_);
  ++run_->reloads[static_cast<std::size_t>(outcome)];
  run_->last_reload_successful =
      outcome == ReloadOutcome::kApplied || outcome == ReloadOutcome::kUnchanged;
  if (outcome == ReloadOutcome::kApplied) run_->config_loaded_seconds = Seconds(at);
}

void Exporter::AddStartingTarget(std::string name, const driver::Health* health,
                                 config::Role role) {
  auto target = std::make_unique<StartingTarget>(std::move(name), health, role);
  std::lock_guard lock(mutex_);
  starting_.push_back(std::move(target));
}

void Exporter::AddTarget(TargetView target) {
  auto state = std::make_unique<TargetState>(std::move(target));
  std::lock_guard lock(mutex_);
  std::erase_if(starting_, [&](const auto& s) { return s->name == state->view.name; });
  targets_.push_back(std::move(state));
}

void Exporter::SetQueueDepth(QueueDepthProbe depth) {
  std::lock_guard lock(mutex_);
  queue_depth_ = std::move(depth);
}

void Exporter::Advance(std::int64_t now_ns) {
  std::lock_guard lock(mutex_);
  for (const auto& target : targets_) {
    const TargetView& t = target->view;
    const accounting::Totals totals = t.accounting->Sum();
    target->health.Observe({now_ns, t.health->Connected(), totals.published, totals.Errors(),
                            totals.acked, totals.Received()});
    AdvanceWindows(*target, now_ns);
  }
}

std::vector<prometheus::MetricFamily> Exporter::Collect() const {
  Families families = EmptyFamilies();
  std::lock_guard lock(mutex_);
  EmitRun(families, *run_, ready_.load());
  for (const auto& target : targets_) {
    EmitCounters(families, *target);
    EmitIdentity(families, *target);
    EmitLatency(families, *target, *buckets_);
    EmitPublisher(families, *target);
    EmitHealth(families, *target);
    EmitLeadership(families, *target);
    EmitCommits(families, *target);
  }
  for (const auto& target : starting_) EmitStarting(families, *target);
  EmitProcess(families, queue_depth_);
  return Release(families);
}

}  // namespace brokerload::metrics
