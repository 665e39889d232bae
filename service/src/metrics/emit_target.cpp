#include "metrics/emit.hpp"

namespace brokerload::metrics {

void EmitIdentity(Families& families, const TargetState& target) {
  Add(families, FamilyId::kRoleInfo, target.labels.role, 1);
  Add(families, FamilyId::kTargetInfo, target.labels.info, 1);
}

void EmitPublisher(Families& families, const TargetState& target) {
  if (!target.view.publisher) return;
  const PublisherSnapshot publisher = target.view.publisher();
  const Labels& labels = target.labels.target;
  Add(families, FamilyId::kTargetRate, labels, publisher.rate);
  // The stage changes a few times a run: its label set is rebuilt only then.
  Labels& stage = target.labels.stage;
  if (stage.back().value != publisher.stage) stage.back().value = publisher.stage;
  Add(families, FamilyId::kStageInfo, stage, 1);
  if (publisher.realtime) Add(families, FamilyId::kPublisherRealtime, labels, *publisher.realtime);
  if (target.view.sent_bytes) {
    if (const std::optional<std::uint64_t> sent = target.view.sent_bytes()) {
      Add(families, FamilyId::kProducerSentBytes, labels, static_cast<double>(*sent));
    }
  }
}

void EmitHealth(Families& families, const TargetState& target) {
  const TargetView& t = target.view;
  const Labels& labels = target.labels.target;
  constexpr auto kRelaxed = std::memory_order_relaxed;
  // The window checks as of the last Advance (once a second); the connection as of now, read
  // once, so that healthy never says 1 beside brokerload_broker_connected 0 in one scrape. Only
  // the checks that apply to the role are exported (target_health.hpp).
  const bool connected = t.health->Connected();
  Add(families, FamilyId::kBrokerConnected, labels, connected ? 1 : 0);
  Add(families, FamilyId::kBrokerDisconnects, labels,
      static_cast<double>(t.health->disconnects.load(kRelaxed)));
  Add(families, FamilyId::kClientErrors, labels,
      static_cast<double>(t.health->client_errors.load(kRelaxed)));
  const TargetHealth& h = target.health;
  const auto& [connected_check, publishing_check, consuming_check] = target.labels.checks;
  Add(families, FamilyId::kTargetHealth, connected_check, connected ? 1 : 0);
  if (h.Checks().publishing) {
    Add(families, FamilyId::kTargetHealth, publishing_check, h.Publishing() ? 1 : 0);
  }
  if (h.Checks().consuming) {
    Add(families, FamilyId::kTargetHealth, consuming_check, h.Consuming() ? 1 : 0);
  }
  Add(families, FamilyId::kTargetHealthy, labels, connected && h.WindowChecksPass() ? 1 : 0);
}

void EmitLeadership(Families& families, const TargetState& target) {
  if (!target.view.leads) return;
  // The brokers change with the cluster: their label sets are built per scrape (a few).
  for (const BrokerLeads& leads : target.view.leads()) {
    Add(families, FamilyId::kBrokerPartitionsLed,
        Resolve(kTargetBroker, {target.view.name, leads.broker}), leads.led);
  }
}

void EmitStarting(Families& families, const StartingTarget& target) {
  Add(families, FamilyId::kRoleInfo, target.role, 1);
  Add(families, FamilyId::kBrokerConnected, target.target, target.health->Connected() ? 1 : 0);
  Add(families, FamilyId::kTargetHealth, target.connected_check, 0);
  Add(families, FamilyId::kTargetHealthy, target.target, 0);
}

}  // namespace brokerload::metrics
