#include <limits>
#include <optional>
#include <string>

#include "metrics/emit.hpp"

namespace brokerload::metrics {
namespace {

using accounting::Totals;

// The per-topic counters that are one field of the topic's totals, by side.
struct CounterField {
  FamilyId family;
  std::uint64_t Totals::*field;
};
constexpr CounterField kPublishCounters[] = {
    {FamilyId::kPublished, &Totals::published},
    {FamilyId::kAcked, &Totals::acked},
    {FamilyId::kSendsLate, &Totals::late_sends},
    {FamilyId::kSendsDropped, &Totals::dropped_sends},
};
constexpr CounterField kConsumeCounters[] = {
    {FamilyId::kConsumed, &Totals::consumed},
    {FamilyId::kLost, &Totals::lost},
    {FamilyId::kUnconfirmed, &Totals::unconfirmed},
    {FamilyId::kArrivedAfterLoss, &Totals::arrived_after_lost},
    {FamilyId::kDeliveredAfterError, &Totals::delivered_after_error},
    {FamilyId::kOlderThanWindow, &Totals::older_than_window},
    {FamilyId::kDroppedByClient, &Totals::dropped_by_client},
    {FamilyId::kDuplicated, &Totals::duplicated},
    {FamilyId::kRedelivered, &Totals::redelivered},
    {FamilyId::kOutOfOrder, &Totals::out_of_order},
    {FamilyId::kProcessed, &Totals::processed},
};

void EmitPublishTopic(Families& families, const TopicLabels& labels, const Totals& c) {
  for (const CounterField& counter : kPublishCounters) {
    Add(families, counter.family, labels.topic, static_cast<double>(c.*counter.field));
  }
  for (const auto& [status, with_reason] : labels.errors) {
    const auto r = static_cast<std::size_t>(status);
    Add(families, FamilyId::kPublishErrors, with_reason,
        static_cast<double>(c.send_errors[r] + c.ack_errors[r]));
  }
}

double OrNaN(std::optional<std::uint64_t> value) {
  return value ? static_cast<double>(*value) : std::numeric_limits<double>::quiet_NaN();
}

void EmitConsumeTopic(Families& families, const TopicLabels& labels, const Totals& c,
                      const accounting::TargetAccounting& accounting, std::size_t topic,
                      bool acks) {
  for (const CounterField& counter : kConsumeCounters) {
    Add(families, counter.family, labels.topic, static_cast<double>(c.*counter.field));
  }
  for (const auto& [reason, with_reason] : labels.foreign) {
    Add(families, FamilyId::kForeign, with_reason,
        static_cast<double>(accounting.ForeignCount(topic, reason)));
  }
  // Unknown (no assignment, no answer): NaN, so that a threshold is false, not "no backlog".
  Add(families, FamilyId::kBrokerBacklog, labels.topic, OrNaN(accounting.BrokerBacklog(topic)));
  if (acks) {
    Add(families, FamilyId::kBrokerAckPending, labels.topic,
        OrNaN(accounting.BrokerAckPending(topic)));
  }
}

// In flight from the very counts exported with it, so that published = acked + broker errors
// + in flight holds within the scrape.
struct TargetSums {
  std::uint64_t in_flight = 0;
  std::uint64_t bytes_published = 0;
  std::uint64_t bytes_consumed = 0;
  std::uint64_t negative_latency = 0;
};

void EmitTargetSums(Families& families, const TargetState& target, const TargetSums& sums) {
  const TargetView& t = target.view;
  const Labels& labels = target.labels.target;
  if (Publishes(t.role)) {
    Add(families, FamilyId::kInFlight, labels, static_cast<double>(sums.in_flight));
    Add(families, FamilyId::kBytesPublished, labels, static_cast<double>(sums.bytes_published));
  }
  if (Consumes(t.role)) {
    Add(families, FamilyId::kBytesConsumed, labels, static_cast<double>(sums.bytes_consumed));
  }
  if (t.role == config::Role::kFull) {
    Add(families, FamilyId::kConsumerBacklog, labels,
        static_cast<double>(t.accounting->ConsumerBacklog()));
  }
  if (t.role == config::Role::kConsumeOnly) {
    Add(families, FamilyId::kSources, labels, static_cast<double>(t.accounting->Sources()));
    // Only here can clocks differ: a full instance's headers and receipts share its timeline.
    Add(families, FamilyId::kNegativeLatency, labels, static_cast<double>(sums.negative_latency));
    Add(families, FamilyId::kMostNegativeLatency, labels,
        static_cast<double>(t.accounting->MostNegativeEndToEndNs()) * 1e-9);
  }
}

// By broker: what the broker failed of the publishes (the reasons an acknowledgement can carry),
// what was lost and duplicated; label sets built per scrape, as the brokers change.
void EmitBrokerCounters(Families& families, const TargetView& t) {
  const accounting::BrokerFigures* brokers = t.accounting->Brokers();
  if (brokers == nullptr) return;
  for (std::size_t i = 0; i < brokers->Size(); ++i) {
    const std::string name = BrokerName(t, brokers->Broker(i));
    if (Publishes(t.role)) {
      for (std::size_t r = 0; r < driver::kStatusCount; ++r) {
        const auto status = static_cast<driver::Status>(r);
        if (status == driver::Status::kOk || status == driver::Status::kQueueFull) continue;
        Add(families, FamilyId::kBrokerPublishErrors,
            Resolve(kTargetBrokerReason, {t.name, name, driver::StatusName(status)}),
            static_cast<double>(brokers->PublishErrors(i, status)));
      }
    }
    if (Consumes(t.role)) {
      const Labels labels = Resolve(kTargetBroker, {t.name, name});
      if (t.accounting->LossesByBroker()) {
        Add(families, FamilyId::kBrokerLost, labels, static_cast<double>(brokers->Lost(i)));
      }
      Add(families, FamilyId::kBrokerDuplicated, labels,
          static_cast<double>(brokers->Duplicated(i)));
    }
  }
}

}  // namespace

void EmitCounters(Families& families, const TargetState& target) {
  const TargetView& t = target.view;
  TargetSums sums;
  for (std::size_t i = 0; i < t.topics.size(); ++i) {
    const Totals c = t.accounting->TopicTotals(i);
    sums.in_flight += c.InFlight();
    sums.bytes_published += c.published_bytes;
    sums.bytes_consumed += c.consumed_bytes;
    sums.negative_latency += c.negative_latency;
    const TopicLabels& labels = target.labels.topics[i];
    if (Publishes(t.role)) EmitPublishTopic(families, labels, c);
    if (Consumes(t.role)) {
      EmitConsumeTopic(families, labels, c, *t.accounting, i, t.consumer_acks);
    }
  }
  EmitTargetSums(families, target, sums);
  EmitBrokerCounters(families, t);
}

}  // namespace brokerload::metrics
