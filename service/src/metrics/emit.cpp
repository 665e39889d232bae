#include "metrics/emit.hpp"

#include <cassert>
#include <iterator>
#include <tuple>

namespace brokerload::metrics {
namespace {

using prometheus::MetricType;

std::string_view RoleName(config::Role role) {
  switch (role) {
    case config::Role::kProduceOnly:
      return "produce-only";
    case config::Role::kConsumeOnly:
      return "consume-only";
    case config::Role::kFull:
      break;
  }
  return "full";
}

// The window checks that apply to a role (target_health.hpp).
HealthChecks ChecksFor(config::Role role) {
  return {.publishing = Publishes(role), .consuming = role == config::Role::kFull};
}

TopicLabels ResolveTopic(const TargetView& t, const std::string& topic) {
  TopicLabels labels{.topic = Resolve(kTargetTopic, {t.name, topic}), .errors = {}, .foreign = {}};
  for (std::size_t r = 0; r < driver::kStatusCount; ++r) {
    const auto status = static_cast<driver::Status>(r);
    if (status == driver::Status::kOk || status == driver::Status::kQueueFull) continue;
    labels.errors.emplace_back(status,
                               Resolve(kTargetTopicReason, {t.name, topic, StatusName(status)}));
  }
  // Another run's messages only where the own are told apart, the start and the source limit
  // only in consume-only.
  using accounting::ForeignReason;
  const bool any = t.role == config::Role::kConsumeOnly;
  for (const auto& [reason, name, counted] :
       {std::tuple{ForeignReason::kInvalidHeader, "invalid_header", true},
        std::tuple{ForeignReason::kOtherRun, "other_run", !any},
        std::tuple{ForeignReason::kBeforeStart, "before_start", any},
        std::tuple{ForeignReason::kTooManySources, "too_many_sources", any}}) {
    if (counted)
      labels.foreign.emplace_back(reason, Resolve(kTargetTopicReason, {t.name, topic, name}));
  }
  return labels;
}

TargetLabels ResolveTarget(const TargetView& t) {
  TargetLabels labels;
  labels.target = Resolve(kTargetLabel, {t.name});
  labels.role = Resolve(kTargetRole, {t.name, RoleName(t.role)});
  labels.info = Resolve(kTargetVersions, {t.name, t.broker_version, t.client_version});
  for (const std::string& topic : t.topics) labels.topics.push_back(ResolveTopic(t, topic));
  labels.checks = {Resolve(kTargetCheck, {t.name, "connected"}),
                   Resolve(kTargetCheck, {t.name, "publishing"}),
                   Resolve(kTargetCheck, {t.name, "consuming"})};
  std::size_t i = 0;
  for (const Window& w : kWindows) {
    for (const Quantile& q : kQuantiles) {
      labels.windows[i++] = Resolve(kTargetQuantileWindow, {t.name, q.label, w.label});
    }
  }
  labels.stage = Resolve(kTargetStage, {t.name, ""});
  return labels;
}

constexpr std::array<std::string_view, kReloadOutcomes> kReloadOutcomeNames = {
    "applied", "unchanged", "refused", "invalid"};

double Now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

bool Publishes(config::Role role) { return role != config::Role::kConsumeOnly; }
bool Consumes(config::Role role) { return role != config::Role::kProduceOnly; }

Families EmptyFamilies() {
  Families families;
  for (const FamilySpec& spec : Catalogue()) {
    families[static_cast<std::size_t>(spec.id)] = {
        std::string(spec.name), std::string(spec.help), spec.type, {}};
  }
  return families;
}

std::vector<prometheus::MetricFamily> Release(Families& families) {
  return {std::make_move_iterator(families.begin()), std::make_move_iterator(families.end())};
}

Labels Resolve(LabelNames names, std::initializer_list<std::string_view> values) {
  assert(names.size() == values.size());
  Labels labels;
  labels.reserve(names.size());
  const std::string_view* value = values.begin();
  for (std::string_view name : names) labels.push_back({std::string(name), std::string(*value++)});
  return labels;
}

void Add(Families& families, FamilyId id, const Labels& labels, double value) {
  prometheus::MetricFamily& family = families[static_cast<std::size_t>(id)];
  prometheus::ClientMetric metric;
  metric.label = labels;
  if (family.type == MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
}

std::string BrokerName(const TargetView& target, std::int32_t broker) {
  return target.broker_name ? target.broker_name(broker) : std::to_string(broker);
}

TargetState::TargetState(TargetView target)
    : view(std::move(target)),
      labels(ResolveTarget(view)),
      health(TargetHealth::kDefaultWindowNs, ChecksFor(view.role)) {}

StartingTarget::StartingTarget(std::string target_name, const driver::Health* target_health,
                               config::Role target_role)
    : name(std::move(target_name)),
      health(target_health),
      target(Resolve(kTargetLabel, {name})),
      role(Resolve(kTargetRole, {name, RoleName(target_role)})),
      connected_check(Resolve(kTargetCheck, {name, "connected"})) {}

RunState::RunState(std::string_view version)
    : build(Resolve(kVersionLabel, {version})), config_loaded_seconds(Now()) {
  for (std::size_t r = 0; r < kReloadOutcomes; ++r) {
    reload_labels[r] = Resolve(kResultLabel, {kReloadOutcomeNames[r]});
  }
}

}  // namespace brokerload::metrics
