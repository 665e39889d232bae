#pragma once

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "accounting/broker_figures.hpp"
#include "metrics/catalogue.hpp"
#include "metrics/exporter.hpp"
#include "metrics/target_health.hpp"
#include "metrics/views.hpp"
#include "metrics/windowed_quantiles.hpp"

// The exporter's inside (exporter.hpp is its interface): the state it keeps per target, the label
// sets resolved once when a target is added, and one emitter per area that adds a scrape's
// samples to the catalogue's families. Emitters run under the exporter's lock.
namespace brokerload::metrics {

using Labels = std::vector<prometheus::ClientMetric::Label>;
using Families = std::array<prometheus::MetricFamily, kFamilyCount>;

// The catalogue's families, without samples; and the same moved out in catalogue order.
Families EmptyFamilies();
std::vector<prometheus::MetricFamily> Release(Families& families);

// `names` (the catalogue's) paired with `values`, one each.
Labels Resolve(LabelNames names, std::initializer_list<std::string_view> values);

// The `broker` label of a number a target's accounting holds by broker (TargetView::broker_name).
std::string BrokerName(const TargetView& target, std::int32_t broker);

// One sample of a counter or gauge family.
void Add(Families& families, FamilyId id, const Labels& labels, double value);

// The histograms' bucket bounds: in seconds as exported, in ns as recorded.
struct Buckets {
  std::vector<double> seconds;
  std::vector<std::int64_t> ns;
};
// The target histograms' bounds (metrics.latency_buckets) and the per-broker ones: every second
// of those (the first, the third, ...), which halves each broker's series.
struct LatencyBuckets {
  Buckets target;
  Buckets broker;
};

struct Window {
  std::string_view label;
  std::int64_t ns;
};
inline constexpr std::array<Window, 2> kWindows{{{"1m", 60'000'000'000}, {"5m", 300'000'000'000}}};
struct Quantile {
  std::string_view label;
  double q;
};
inline constexpr std::array<Quantile, 4> kQuantiles{
    {{"0.5", 0.5}, {"0.9", 0.9}, {"0.99", 0.99}, {"0.999", 0.999}}};

bool Publishes(config::Role role);
bool Consumes(config::Role role);

// A target's label sets, resolved when it is added.
struct TopicLabels {
  Labels topic;                                           // target, topic
  std::vector<std::pair<driver::Status, Labels>> errors;  // publish errors, by failure reason
  // The foreign reasons its role can count.
  std::vector<std::pair<accounting::ForeignReason, Labels>> foreign;
};
struct TargetLabels {
  Labels target;
  Labels role;
  Labels info;  // target_info: target, broker and client versions
  std::vector<TopicLabels> topics;
  std::array<Labels, 3> checks;  // target_health: connected, publishing, consuming
  // window quantiles: kWindows x kQuantiles, windows outer.
  std::array<Labels, kWindows.size() * kQuantiles.size()> windows;
  // stage_info: the last stage exported, kept so that a scrape copies it rather than builds it.
  mutable Labels stage;
};

// One broker's window quantiles (a slot of accounting::BrokerFigures).
struct BrokerWindows {
  WindowedQuantiles publish{Exporter::kWindowIntervalNs, Exporter::kLongestWindowNs};
  WindowedQuantiles end_to_end{Exporter::kWindowIntervalNs, Exporter::kLongestWindowNs};
};

// A running target: its view, its labels, and what Advance keeps for it.
struct TargetState {
  explicit TargetState(TargetView target);
  TargetView view;
  TargetLabels labels;
  WindowedQuantiles end_to_end{Exporter::kWindowIntervalNs, Exporter::kLongestWindowNs};
  WindowedQuantiles publish{Exporter::kWindowIntervalNs, Exporter::kLongestWindowNs};
  WindowedQuantiles send_lag{Exporter::kWindowIntervalNs, Exporter::kLongestWindowNs};
  std::array<BrokerWindows, accounting::BrokerFigures::kCapacity> brokers;  // by slot
  TargetHealth health;  // fed by Advance, once a second
};

// A target being set up (Exporter::AddStartingTarget).
struct StartingTarget {
  StartingTarget(std::string target_name, const driver::Health* target_health,
                 config::Role target_role);
  std::string name;
  const driver::Health* health;
  Labels target;
  Labels role;
  Labels connected_check;
};

// What the exporter exports of the process and its config.
struct RunState {
  explicit RunState(std::string_view version);
  Labels build;
  std::array<Labels, kReloadOutcomes> reload_labels;
  double config_loaded_seconds;
  std::array<std::uint64_t, kReloadOutcomes> reloads{};
  bool last_reload_successful = true;
};

// The emitters, by area. Each adds its samples of one target (or of the process) to `families`.
// emit_run.cpp: build, config and reloads, readiness; the worker queue and the process.
void EmitRun(Families& families, const RunState& run, bool ready);
void EmitProcess(Families& families, const QueueDepthProbe& queue_depth);
// emit_counters.cpp: the per-topic counters of the publisher and the consumer side, and their
// per-target sums and backlogs; the counters by broker.
void EmitCounters(Families& families, const TargetState& target);
// emit_latency.cpp: the latency histograms and their window quantiles, the target's and each
// broker's; AdvanceWindows closes the windows' intervals.
void EmitLatency(Families& families, const TargetState& target, const LatencyBuckets& buckets);
void AdvanceWindows(TargetState& target, std::int64_t now_ns);
// emit_target.cpp: role and versions, the publisher's stage, rate and priority, the connection and
// health checks, the partitions each broker leads; and the little a target being set up exports.
void EmitIdentity(Families& families, const TargetState& target);
void EmitPublisher(Families& families, const TargetState& target);
void EmitHealth(Families& families, const TargetState& target);
void EmitLeadership(Families& families, const TargetState& target);
void EmitStarting(Families& families, const StartingTarget& target);
// emit_commits.cpp: Kafka's consumer group coordinators and the commits timed against them.
void EmitCommits(Families& families, const TargetState& target);

}  // namespace brokerload::metrics
