#include <algorithm>
#include <optional>

#include "accounting/target_accounting.hpp"

// Sums of TargetAccounting's counters and the other reads of scrapes, reports and the drain.
namespace brokerload::accounting {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

std::uint64_t Load(const std::atomic<std::uint64_t>& a) { return a.load(kRelaxed); }

}  // namespace

void Totals::Add(const PhaseCounters& c) {
  published += Load(c.published);
  published_bytes += Load(c.published_bytes);
  late_sends += Load(c.late_sends);
  dropped_sends += Load(c.dropped_sends);
  acked += Load(c.acked);
  for (std::size_t s = 0; s < driver::kStatusCount; ++s) {
    send_errors[s] += Load(c.send_errors[s]);
    ack_errors[s] += Load(c.ack_errors[s]);
  }
  consumed += Load(c.consumed);
  consumed_bytes += Load(c.consumed_bytes);
  consumed_in_window += Load(c.consumed_in_window);
  duplicated += Load(c.duplicated);
  redelivered += Load(c.redelivered);
  delivered_after_error += Load(c.delivered_after_error);
  arrived_after_lost += Load(c.arrived_after_lost);
  older_than_window += Load(c.older_than_window);
  negative_latency += Load(c.negative_latency);
  lost += Load(c.lost);
  unconfirmed += Load(c.unconfirmed);
  dropped_by_client += Load(c.dropped_by_client);
  processed += Load(c.processed);
  out_of_order += Load(c.out_of_order);
}

std::uint64_t Totals::AckErrors() const {
  std::uint64_t sum = 0;
  for (std::uint64_t count : ack_errors) sum += count;
  return sum;
}

std::uint64_t Totals::Errors() const {
  std::uint64_t sum = AckErrors();
  for (std::uint64_t count : send_errors) sum += count;
  return sum;
}

std::uint64_t Totals::InFlight() const {
  const std::uint64_t done = acked + AckErrors();
  return published > done ? published - done : 0;
}

Totals TargetAccounting::TopicTotals(std::size_t topic) const {
  Totals t;
  for (std::size_t p = 0; p < windows_.size(); ++p) t.Add(At(topic, p));
  return t;
}

std::uint64_t TargetAccounting::InFlight(std::size_t first, std::size_t stride) const {
  Totals t;
  for (std::size_t topic = first; topic < topics_; topic += stride) {
    for (std::size_t p = 0; p < windows_.size(); ++p) t.Add(At(topic, p));
  }
  return t.InFlight();
}

Totals TargetAccounting::PhaseTotals(std::size_t phase) const {
  Totals t;
  for (std::size_t topic = 0; topic < topics_; ++topic) t.Add(At(topic, phase));
  return t;
}

Totals TargetAccounting::Sum() const {
  Totals t;
  for (std::size_t i = 0; i < topics_ * windows_.size(); ++i) t.Add(counters_[i]);
  return t;
}

std::optional<std::uint64_t> TargetAccounting::BrokerBacklog() const {
  std::uint64_t sum = 0;
  for (const auto& state : topic_state_) {
    const std::uint64_t backlog = state->broker_backlog.load(kRelaxed);
    if (backlog == kUnknownBacklog) return std::nullopt;
    sum += backlog;
  }
  return sum;
}

std::optional<std::uint64_t> TargetAccounting::BrokerBacklog(std::size_t topic) const {
  const std::uint64_t backlog = topic_state_[topic]->broker_backlog.load(kRelaxed);
  if (backlog == kUnknownBacklog) return std::nullopt;
  return backlog;
}

std::optional<std::uint64_t> TargetAccounting::BrokerAckPending(std::size_t topic) const {
  const std::uint64_t pending = topic_state_[topic]->broker_ack_pending.load(kRelaxed);
  if (pending == kUnknownBacklog) return std::nullopt;
  return pending;
}

std::uint64_t TargetAccounting::ConsumerBacklog() const {
  if (receive_ != ReceiveMode::kOwnRun) return 0;
  const Totals t = Sum();
  // As TargetRuntime::Drained counts: received (not after a failed publish, which is no ack),
  // lost (a late arrival once, not twice) or discarded inside brokerload.
  const std::uint64_t settled = t.Received() - std::min(t.Received(), t.delivered_after_error) +
                                t.lost - std::min(t.lost, t.arrived_after_lost) +
                                t.dropped_by_client;
  return t.acked > settled ? t.acked - settled : 0;
}

std::uint64_t TargetAccounting::ForeignCount(std::size_t topic, ForeignReason reason) const {
  return Load(topic_state_[topic]->foreign[static_cast<std::size_t>(reason)]);
}

std::uint64_t TargetAccounting::ProbesReceived(std::size_t topic) const {
  return Load(topic_state_[topic]->probes);
}

std::int64_t TargetAccounting::LastReceiveNs(std::size_t phase) const {
  return last_receive_ns_[phase].load(kRelaxed);
}

}  // namespace brokerload::accounting
