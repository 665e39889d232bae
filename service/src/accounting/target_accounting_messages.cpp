#include <algorithm>
#include <limits>
#include <mutex>
#include <optional>

#include "accounting/target_accounting.hpp"
#include "message/header.hpp"

// The per-message path of TargetAccounting: what the publisher, ack, consumer and worker threads
// call for each message. One translation unit with PhaseOf and the helpers it calls (CountForeign,
// Account, ArrivedFrom), so that the compiler sees the path whole and inlines what it did before
// the class was split across files.
namespace brokerload::accounting {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

std::size_t Index(driver::Status status) { return static_cast<std::size_t>(status); }

}  // namespace

std::size_t TargetAccounting::PhaseOf(std::int64_t intended_ns) const {
  // Pairs with SetPhases: the consumer and ack threads started before it, and the messages they
  // see came after it by way of the broker, which no memory model (nor TSan) sees. Free on x86.
  (void)phases_set_.load(std::memory_order_acquire);
  std::size_t p = windows_.size() - 1;
  while (p > 0 && intended_ns < windows_[p].start_ns) --p;
  return p;
}

void TargetAccounting::OnSent(std::uint16_t topic, std::uint64_t sequence, std::int64_t lag_ns,
                              std::int64_t intended_ns, std::size_t bytes) {
  const std::size_t phase = PhaseOf(intended_ns);
  TopicState& state = *topic_state_[topic];
  // The first sequence of each phase on this topic, so that losses are told by phase.
  while (state.publisher_phase < phase) {
    state.first_sequence[++state.publisher_phase].store(sequence, std::memory_order_release);
  }
  PhaseCounters& c = At(topic, phase);
  c.published.fetch_add(1, kRelaxed);
  c.published_bytes.fetch_add(bytes, kRelaxed);
  if (lag_ns > late_threshold_ns_) c.late_sends.fetch_add(1, kRelaxed);
  if (!phase_latencies_.empty()) phase_latencies_[phase]->send_lag.Record(lag_ns);
  if (windows_[phase].measured) send_lag_.Record(lag_ns);
}

void TargetAccounting::OnSendFailed(std::uint16_t topic, driver::Status status,
                                    std::int64_t intended_ns) {
  At(topic, PhaseOf(intended_ns)).send_errors[Index(status)].fetch_add(1, kRelaxed);
}

void TargetAccounting::OnDropped(std::uint16_t topic, std::uint64_t count, std::size_t phase) {
  At(topic, std::min(phase, windows_.size() - 1)).dropped_sends.fetch_add(count, kRelaxed);
}

void TargetAccounting::OnAck(std::span<const std::byte> payload, std::int64_t now_ns,
                             std::int32_t broker) {
  const std::optional<message::Header> header = message::Decode(payload);
  if (!header || header->topic >= topics_ || message::IsProbe(*header)) return;
  const std::size_t phase = PhaseOf(header->intended_ns);
  At(header->topic, phase).acked.fetch_add(1, kRelaxed);
  TopicState& state = *topic_state_[header->topic];
  std::optional<std::size_t> slot;
  if (brokers_) {
    slot = brokers_->SlotOf(BrokerOf(header->topic, broker));
    if (slot && state.acked_by) state.acked_by->Acked(header->sequence, *slot);
  }
  if (header->sequence + 1 > state.acked_end.load(kRelaxed)) {
    state.acked_end.store(header->sequence + 1);
  }
  if (!windows_[phase].measured) return;
  const std::int64_t latency = now_ns - header->actual_ns;
  latencies_[header->topic]->publish.Record(latency);
  if (!phase_latencies_.empty()) phase_latencies_[phase]->publish.Record(latency);
  if (slot) brokers_->RecordPublishAt(*slot, latency);
}

void TargetAccounting::OnAckFailed(std::span<const std::byte> payload, driver::Status status,
                                   std::int32_t broker) {
  const std::optional<message::Header> header = message::Decode(payload);
  if (!header || header->topic >= topics_ || message::IsProbe(*header)) return;
  At(header->topic, PhaseOf(header->intended_ns)).ack_errors[Index(status)].fetch_add(1, kRelaxed);
  if (brokers_) brokers_->CountPublishError(BrokerOf(header->topic, broker), status);
  if (receive_ != ReceiveMode::kOwnRun) return;
  Stream& stream = *streams_[header->topic];
  std::lock_guard lock(stream.mutex);
  // Received before its publish was declared failed: delivered after error as well, whichever
  // came first.
  if (stream.tracker.MarkNotSent(header->sequence, stream.lost)) {
    At(header->topic, PhaseOf(header->intended_ns)).delivered_after_error.fetch_add(1, kRelaxed);
  }
  Attribute(header->topic, stream, false);
}

void TargetAccounting::CountForeign(std::size_t topic, ForeignReason reason) {
  topic_state_[topic]->foreign[static_cast<std::size_t>(reason)].fetch_add(1, kRelaxed);
}

bool TargetAccounting::OnReceived(std::size_t topic_hint, std::span<const std::byte> carrier,
                                  std::size_t bytes, std::int64_t now_ns, WorkItem& item,
                                  bool replayed, std::uint32_t partition, std::int32_t broker) {
  const std::optional<message::Header> header = message::Decode(carrier);
  if (!header || header->topic >= topics_) {
    CountForeign(topic_hint % topics_, ForeignReason::kInvalidHeader);
    return false;
  }
  if (receive_ == ReceiveMode::kAnySource) {
    return OnReceivedFromAny(*header, bytes, partition, now_ns, item, replayed, broker);
  }
  if (header->run_id != identity_.run_id || header->producer_id != identity_.producer_id) {
    CountForeign(header->topic, ForeignReason::kOtherRun);
    return false;
  }
  if (message::IsProbe(*header)) {
    topic_state_[header->topic]->probes.fetch_or(std::uint64_t{1} << (header->key % 64), kRelaxed);
    return false;
  }
  if (receive_ == ReceiveMode::kNone) return false;
  const std::size_t phase = PhaseOf(header->intended_ns);
  PhaseCounters& c = At(header->topic, phase);
  c.consumed.fetch_add(1, kRelaxed);
  c.consumed_bytes.fetch_add(bytes, kRelaxed);
  SequenceTracker::Outcome outcome;
  {
    Stream& stream = *streams_[header->topic];
    std::lock_guard lock(stream.mutex);
    outcome = stream.tracker.Observe(header->sequence, stream.lost);
    ArrivedFrom(stream, partition, header->sequence);
    if (!stream.lost.empty()) Attribute(header->topic, stream, false);
  }
  return Account(*header, phase, windows_[phase].measured, outcome, 0, now_ns, item, replayed,
                 broker);
}

bool TargetAccounting::OnReceivedFromAny(const message::Header& header, std::size_t bytes,
                                         std::uint32_t partition, std::int64_t now_ns,
                                         WorkItem& item, bool replayed, std::int32_t broker) {
  if (message::IsProbe(header)) return false;  // another instance's readiness probe
  if (header.intended_ns < accept_from_ns_.load(kRelaxed)) {
    CountForeign(header.topic, ForeignReason::kBeforeStart);
    return false;
  }
  // Without a warm-up, everything is measured, also what was scheduled before the first arrival
  // (the first messages of a producer arrive in any order across topics and partitions).
  const std::int64_t warmup_end_ns = source_warmup_ns_ > 0
                                         ? header.intended_ns + source_warmup_ns_
                                         : std::numeric_limits<std::int64_t>::min();
  std::optional<SourceTable::Locked> locked =
      sources_->Acquire({header.run_id, header.producer_id}, header.topic, warmup_end_ns, now_ns);
  if (!locked) {
    CountForeign(header.topic, ForeignReason::kTooManySources);
    return false;
  }
  Stream& stream = *locked->stream;
  At(header.topic, 0).consumed.fetch_add(1, kRelaxed);
  At(header.topic, 0).consumed_bytes.fetch_add(bytes, kRelaxed);
  if (!stream.started) {
    stream.tracker.Restart(header.sequence);
    stream.partition_end.clear();
    stream.started = true;
  }
  const SequenceTracker::Outcome outcome = stream.tracker.Observe(header.sequence, stream.lost);
  ArrivedFrom(stream, partition, header.sequence);
  if (!stream.lost.empty()) Attribute(header.topic, stream, false);
  const bool measured = header.intended_ns >= stream.warmup_end_ns;
  locked->lock.unlock();
  return Account(header, 0, measured, outcome, locked->slot, now_ns, item, replayed, broker);
}

bool TargetAccounting::Account(const message::Header& header, std::size_t phase, bool measured,
                               SequenceTracker::Outcome outcome, std::uint8_t source,
                               std::int64_t now_ns, WorkItem& item, bool replayed,
                               std::int32_t broker) {
  PhaseCounters& c = At(header.topic, phase);
  switch (outcome) {
    case SequenceTracker::Outcome::kDuplicate:
      (replayed ? c.redelivered : c.duplicated).fetch_add(1, kRelaxed);
      if (!replayed && brokers_) brokers_->CountDuplicated(BrokerOf(header.topic, broker));
      return false;
    case SequenceTracker::Outcome::kOlderThanWindow:
      c.older_than_window.fetch_add(1, kRelaxed);
      return false;
    case SequenceTracker::Outcome::kAfterError:
      c.delivered_after_error.fetch_add(1, kRelaxed);
      break;
    case SequenceTracker::Outcome::kAfterDeclaredLost:
      c.arrived_after_lost.fetch_add(1, kRelaxed);
      break;
    case SequenceTracker::Outcome::kNew:
    case SequenceTracker::Outcome::kBeforeStart:
      break;
  }
  item = WorkItem{target_index_,   static_cast<std::uint8_t>(phase),
                  header.topic,    header.key,
                  header.sequence, source};
  std::atomic<std::int64_t>& last = last_receive_ns_[phase];
  std::int64_t seen = last.load(kRelaxed);
  while (now_ns > seen && !last.compare_exchange_weak(seen, now_ns, kRelaxed)) {
  }
  const PhaseWindow& window = windows_[phase];
  if (now_ns < window.end_ns) c.consumed_in_window.fetch_add(1, kRelaxed);
  const std::int64_t e2e = now_ns - header.intended_ns;
  if (e2e < 0) {  // clocks apart (consume-only): counted, never recorded as 0
    c.negative_latency.fetch_add(1, kRelaxed);
    negative_latency_.Note(header.topic, e2e);
    return true;
  }
  if (!measured) return true;
  TopicLatencies& latencies = *latencies_[header.topic];
  latencies.end_to_end.Record(e2e);
  if (brokers_) brokers_->RecordEndToEnd(BrokerOf(header.topic, broker), e2e);
  const std::int64_t from_send = now_ns - header.actual_ns;
  latencies.end_to_end_service.Record(from_send);
  if (!phase_latencies_.empty()) {
    PhaseLatencies& detail = *phase_latencies_[phase];
    detail.end_to_end.Record(e2e);
    detail.end_to_end_from_send.Record(from_send);
    if (window.end_ns != std::numeric_limits<std::int64_t>::max() &&
        window.end_ns > window.start_ns) {
      const double position = static_cast<double>(header.intended_ns - window.start_ns) /
                              static_cast<double>(window.end_ns - window.start_ns);
      const auto slice = static_cast<std::size_t>(std::max(0.0, position) *
                                                  static_cast<double>(PhaseLatencies::kSlices));
      detail.end_to_end_slices[std::min(slice, PhaseLatencies::kSlices - 1)].Record(e2e);
    }
  }
  return true;
}

void TargetAccounting::OnProcessed(const WorkItem& item) {
  PhaseCounters& c = At(item.topic, item.phase);
  c.processed.fetch_add(1, kRelaxed);
  if (item.key == message::kNoKey || item.key >= keys_) return;
  std::atomic<std::uint64_t>& last =
      receive_ == ReceiveMode::kAnySource
          ? sources_->KeySequence(item.source, item.topic, item.key)
          : last_key_sequence_[item.topic * std::size_t{keys_} + item.key];
  const std::uint64_t previous = last.load(kRelaxed);
  if (previous != kNoSequence && item.sequence < previous) {
    c.out_of_order.fetch_add(1, kRelaxed);
    return;
  }
  last.store(item.sequence, kRelaxed);
}

void TargetAccounting::ArrivedFrom(Stream& stream, std::uint32_t partition,
                                   std::uint64_t sequence) {
  if (partition >= stream.partition_end.size()) stream.partition_end.resize(partition + 1, 0);
  std::uint64_t& end = stream.partition_end[partition];
  end = std::max(end, sequence + 1);
}

}  // namespace brokerload::accounting
