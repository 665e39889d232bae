#include "accounting/target_accounting.hpp"

#include <limits>
#include <optional>

#include "message/header.hpp"

namespace brokerload::accounting {
namespace {

constexpr std::uint64_t kNoSequence = std::numeric_limits<std::uint64_t>::max();
constexpr auto kRelaxed = std::memory_order_relaxed;

std::size_t Index(driver::Status status) { return static_cast<std::size_t>(status); }

}  // namespace

TargetAccounting::TargetAccounting(std::uint16_t target_index, std::size_t topics,
                                   std::uint32_t keys, RunIdentity identity,
                                   std::int64_t late_threshold_ns)
    : target_index_(target_index),
      keys_(keys),
      identity_(identity),
      late_threshold_ns_(late_threshold_ns),
      last_key_sequence_(topics * keys, kNoSequence) {
  for (std::size_t i = 0; i < topics; ++i) {
    counters_.push_back(std::make_unique<TopicCounters>());
    latencies_.push_back(std::make_unique<TopicLatencies>());
    streams_.push_back(std::make_unique<Stream>());
  }
}

void TargetAccounting::OnSent(std::uint16_t topic, std::int64_t lag_ns, std::int64_t intended_ns) {
  TopicCounters& c = *counters_[topic];
  c.published.fetch_add(1, kRelaxed);
  if (lag_ns > late_threshold_ns_) c.late_sends.fetch_add(1, kRelaxed);
  if (intended_ns < measure_from_ns_) {
    c.warmup_published.fetch_add(1, kRelaxed);
    return;
  }
  send_lag_.Record(lag_ns);
}

void TargetAccounting::OnSendFailed(std::uint16_t topic, driver::Status status) {
  counters_[topic]->send_errors[Index(status)].fetch_add(1, kRelaxed);
}

void TargetAccounting::OnDropped(std::uint16_t topic, std::uint64_t count) {
  counters_[topic]->dropped_sends.fetch_add(count, kRelaxed);
}

void TargetAccounting::OnAck(std::span<const std::byte> payload, std::int64_t now_ns) {
  const std::optional<message::Header> header = message::Decode(payload);
  if (!header || header->topic >= counters_.size()) return;
  TopicCounters& c = *counters_[header->topic];
  c.acked.fetch_add(1, kRelaxed);
  if (header->intended_ns < measure_from_ns_) {
    c.warmup_acked.fetch_add(1, kRelaxed);
    return;
  }
  latencies_[header->topic]->publish.Record(now_ns - header->actual_ns);
}

void TargetAccounting::OnAckFailed(std::span<const std::byte> payload, driver::Status status) {
  const std::optional<message::Header> header = message::Decode(payload);
  if (!header || header->topic >= counters_.size()) return;
  TopicCounters& c = *counters_[header->topic];
  c.ack_errors[Index(status)].fetch_add(1, kRelaxed);
  Stream& stream = *streams_[header->topic];
  std::lock_guard lock(stream.mutex);
  c.lost.fetch_add(stream.tracker.MarkNotSent(header->sequence), kRelaxed);
}

bool TargetAccounting::OnReceived(std::size_t topic_hint, std::span<const std::byte> payload,
                                  std::int64_t now_ns, WorkItem& item) {
  const std::optional<message::Header> header = message::Decode(payload);
  if (!header || header->topic >= counters_.size()) {
    counters_[topic_hint % counters_.size()]
        ->foreign[static_cast<std::size_t>(ForeignReason::kInvalidHeader)]
        .fetch_add(1, kRelaxed);
    return false;
  }
  TopicCounters& c = *counters_[header->topic];
  if (header->run_id != identity_.run_id || header->producer_id != identity_.producer_id) {
    c.foreign[static_cast<std::size_t>(ForeignReason::kOtherRun)].fetch_add(1, kRelaxed);
    return false;
  }
  c.consumed.fetch_add(1, kRelaxed);
  SequenceTracker::Outcome outcome;
  {
    Stream& stream = *streams_[header->topic];
    std::uint64_t lost = 0;
    std::lock_guard lock(stream.mutex);
    outcome = stream.tracker.Observe(header->sequence, lost);
    if (lost != 0) c.lost.fetch_add(lost, kRelaxed);
  }
  if (outcome == SequenceTracker::Outcome::kDuplicate) {
    c.duplicated.fetch_add(1, kRelaxed);
    return false;
  }
  if (outcome == SequenceTracker::Outcome::kAfterDeclaredLost) {
    c.arrived_after_lost.fetch_add(1, kRelaxed);
  }
  item = WorkItem{target_index_, header->topic, header->key, header->sequence};
  if (header->intended_ns < measure_from_ns_) {
    c.warmup_consumed.fetch_add(1, kRelaxed);
    return true;
  }
  std::int64_t last = last_receive_ns_.load(kRelaxed);
  while (now_ns > last && !last_receive_ns_.compare_exchange_weak(last, now_ns, kRelaxed)) {
  }
  TopicLatencies& latencies = *latencies_[header->topic];
  latencies.end_to_end.Record(now_ns - header->intended_ns);
  latencies.end_to_end_service.Record(now_ns - header->actual_ns);
  return true;
}

void TargetAccounting::OnProcessed(const WorkItem& item) {
  TopicCounters& c = *counters_[item.topic];
  c.processed.fetch_add(1, kRelaxed);
  if (item.key == message::kNoKey || item.key >= keys_) return;
  std::uint64_t& last = last_key_sequence_[item.topic * std::size_t{keys_} + item.key];
  if (last != kNoSequence && item.sequence < last) {
    c.out_of_order.fetch_add(1, kRelaxed);
    return;
  }
  last = item.sequence;
}

void TargetAccounting::Sweep(std::int64_t now_ns, std::int64_t grace_ns) {
  for (std::size_t topic = 0; topic < streams_.size(); ++topic) {
    Stream& stream = *streams_[topic];
    std::lock_guard lock(stream.mutex);
    stream.checkpoints.emplace_back(now_ns, stream.tracker.End());
    // The newest checkpoint at least grace old: every gap below its End() has waited long enough.
    std::optional<std::uint64_t> horizon;
    while (!stream.checkpoints.empty() && stream.checkpoints.front().first <= now_ns - grace_ns) {
      horizon = stream.checkpoints.front().second;
      stream.checkpoints.pop_front();
    }
    if (horizon) {
      stream.checkpoints.emplace_front(now_ns - grace_ns, *horizon);
      counters_[topic]->lost.fetch_add(stream.tracker.ExpireBelow(*horizon), kRelaxed);
    }
  }
}

void TargetAccounting::FinalSweep() {
  for (std::size_t topic = 0; topic < streams_.size(); ++topic) {
    Stream& stream = *streams_[topic];
    const std::uint64_t published = counters_[topic]->published.load(kRelaxed);
    std::lock_guard lock(stream.mutex);
    counters_[topic]->lost.fetch_add(stream.tracker.ExpireBelow(published), kRelaxed);
  }
}

std::uint64_t Totals::Errors() const {
  std::uint64_t sum = 0;
  for (std::uint64_t count : errors) sum += count;
  return sum;
}

Totals TargetAccounting::Sum() const {
  Totals t;
  for (const auto& c : counters_) {
    t.published += c->published.load(kRelaxed);
    t.warmup_published += c->warmup_published.load(kRelaxed);
    t.acked += c->acked.load(kRelaxed);
    t.warmup_acked += c->warmup_acked.load(kRelaxed);
    t.consumed += c->consumed.load(kRelaxed);
    t.warmup_consumed += c->warmup_consumed.load(kRelaxed);
    t.duplicated += c->duplicated.load(kRelaxed);
    t.lost += c->lost.load(kRelaxed);
    t.out_of_order += c->out_of_order.load(kRelaxed);
    t.late_sends += c->late_sends.load(kRelaxed);
    t.dropped_sends += c->dropped_sends.load(kRelaxed);
    for (std::size_t s = 0; s < driver::kStatusCount; ++s) {
      t.errors[s] += c->send_errors[s].load(kRelaxed) + c->ack_errors[s].load(kRelaxed);
    }
  }
  return t;
}

std::uint64_t TargetAccounting::InFlight() const {
  std::uint64_t in_flight = 0;
  for (const auto& c : counters_) {
    std::uint64_t done = c->acked.load(kRelaxed);
    for (const auto& errors : c->ack_errors) done += errors.load(kRelaxed);
    const std::uint64_t published = c->published.load(kRelaxed);
    in_flight += published > done ? published - done : 0;
  }
  return in_flight;
}

}  // namespace brokerload::accounting
