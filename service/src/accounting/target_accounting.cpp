#include "accounting/target_accounting.hpp"

#include <algorithm>
#include <limits>
#include <optional>

#include "message/header.hpp"

namespace brokerload::accounting {
namespace {

constexpr std::uint64_t kNoSequence = std::numeric_limits<std::uint64_t>::max();
constexpr auto kRelaxed = std::memory_order_relaxed;
// Sweeps' views of what was acknowledged, kept per topic (one a second): an answer that the
// consumer reached the broker's end speaks of the previous answer's time, about a second ago.
constexpr std::size_t kAckedAtKept = 300;

std::size_t Index(driver::Status status) { return static_cast<std::size_t>(status); }

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

std::uint64_t TargetAccounting::EstimateBytes(std::uint64_t topics, std::uint64_t keys,
                                              ReceiveMode receive) {
  const std::uint64_t stream = SequenceTracker::BytesFor(SequenceTracker::kDefaultWindow) +
                               sizeof(Stream) + keys * sizeof(std::uint64_t);
  const std::uint64_t streams = receive == ReceiveMode::kAnySource ? SourceTable::kCapacity : 1;
  return topics * (sizeof(TopicLatencies) + sizeof(TopicState) + streams * stream);
}

TargetAccounting::TargetAccounting(const Options& options)
    : target_index_(options.target_index),
      receive_(options.receive),
      source_warmup_ns_(options.source_warmup_ns),
      topics_(options.topics),
      keys_(options.keys),
      identity_(options.identity),
      late_threshold_ns_(options.late_threshold_ns),
      windows_(std::max<std::size_t>(options.phases, 1)),
      counters_(std::make_unique<PhaseCounters[]>(topics_ * windows_.size())),
      last_receive_ns_(std::make_unique<std::atomic<std::int64_t>[]>(windows_.size())),
      last_key_sequence_(receive_ == ReceiveMode::kOwnRun ? topics_ * keys_ : 0) {
  for (auto& last : last_key_sequence_) last.store(kNoSequence, kRelaxed);
  for (std::size_t i = 0; i < topics_; ++i) {
    auto state = std::make_unique<TopicState>();
    state->first_sequence = std::vector<std::atomic<std::uint64_t>>(windows_.size());
    for (auto& first : state->first_sequence) first.store(kNoSequence);
    state->first_sequence[0].store(0);
    topic_state_.push_back(std::move(state));
    latencies_.push_back(std::make_unique<TopicLatencies>());
    if (receive_ == ReceiveMode::kOwnRun) streams_.push_back(std::make_unique<Stream>());
  }
  if (receive_ == ReceiveMode::kAnySource) sources_ = std::make_unique<SourceTable>(topics_, keys_);
  if (options.phase_histograms) {
    for (std::size_t p = 0; p < windows_.size(); ++p) {
      phase_latencies_.push_back(std::make_unique<PhaseLatencies>());
    }
  }
}

void TargetAccounting::SetPhases(const std::vector<PhaseWindow>& windows) {
  // Senders' messages follow their schedules, not this instance's: one open, measured phase,
  // never written while consumers run.
  if (receive_ == ReceiveMode::kAnySource) return;
  // Phase 0 takes every message scheduled before phase 1 (PhaseOf never looks at its start); its
  // start still bounds its send window and its tenths.
  for (std::size_t p = 0; p < windows_.size() && p < windows.size(); ++p) windows_[p] = windows[p];
  phases_set_.store(true, std::memory_order_release);
}

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

void TargetAccounting::OnAck(std::span<const std::byte> payload, std::int64_t now_ns) {
  const std::optional<message::Header> header = message::Decode(payload);
  if (!header || header->topic >= topics_ || message::IsProbe(*header)) return;
  const std::size_t phase = PhaseOf(header->intended_ns);
  At(header->topic, phase).acked.fetch_add(1, kRelaxed);
  std::atomic<std::uint64_t>& acked_end = topic_state_[header->topic]->acked_end;
  if (header->sequence + 1 > acked_end.load(kRelaxed)) acked_end.store(header->sequence + 1);
  if (!windows_[phase].measured) return;
  const std::int64_t latency = now_ns - header->actual_ns;
  latencies_[header->topic]->publish.Record(latency);
  if (!phase_latencies_.empty()) phase_latencies_[phase]->publish.Record(latency);
}

void TargetAccounting::OnAckFailed(std::span<const std::byte> payload, driver::Status status) {
  const std::optional<message::Header> header = message::Decode(payload);
  if (!header || header->topic >= topics_ || message::IsProbe(*header)) return;
  At(header->topic, PhaseOf(header->intended_ns)).ack_errors[Index(status)].fetch_add(1, kRelaxed);
  if (receive_ != ReceiveMode::kOwnRun) return;
  Stream& stream = *streams_[header->topic];
  std::lock_guard lock(stream.mutex);
  stream.tracker.MarkNotSent(header->sequence, stream.lost);
  Attribute(header->topic, stream, false);
}

void TargetAccounting::CountForeign(std::size_t topic, ForeignReason reason) {
  topic_state_[topic]->foreign[static_cast<std::size_t>(reason)].fetch_add(1, kRelaxed);
}

bool TargetAccounting::OnReceived(std::size_t topic_hint, std::span<const std::byte> payload,
                                  std::int64_t now_ns, WorkItem& item, bool replayed,
                                  std::uint32_t partition) {
  const std::optional<message::Header> header = message::Decode(payload);
  if (!header || header->topic >= topics_) {
    CountForeign(topic_hint % topics_, ForeignReason::kInvalidHeader);
    return false;
  }
  if (receive_ == ReceiveMode::kAnySource) {
    return OnReceivedFromAny(*header, payload.size(), partition, now_ns, item, replayed);
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
  c.consumed_bytes.fetch_add(payload.size(), kRelaxed);
  SequenceTracker::Outcome outcome;
  {
    Stream& stream = *streams_[header->topic];
    std::lock_guard lock(stream.mutex);
    outcome = stream.tracker.Observe(header->sequence, stream.lost);
    ArrivedFrom(stream, partition, header->sequence);
    if (!stream.lost.empty()) Attribute(header->topic, stream, false);
  }
  return Account(*header, phase, windows_[phase].measured, outcome, 0, now_ns, item, replayed);
}

bool TargetAccounting::OnReceivedFromAny(const message::Header& header, std::size_t bytes,
                                         std::uint32_t partition, std::int64_t now_ns,
                                         WorkItem& item, bool replayed) {
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
  return Account(header, 0, measured, outcome, locked->slot, now_ns, item, replayed);
}

bool TargetAccounting::Account(const message::Header& header, std::size_t phase, bool measured,
                               SequenceTracker::Outcome outcome, std::uint8_t source,
                               std::int64_t now_ns, WorkItem& item, bool replayed) {
  PhaseCounters& c = At(header.topic, phase);
  switch (outcome) {
    case SequenceTracker::Outcome::kDuplicate:
      (replayed ? c.redelivered : c.duplicated).fetch_add(1, kRelaxed);
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
  if (!measured) return true;
  const std::int64_t e2e = now_ns - header.intended_ns;
  TopicLatencies& latencies = *latencies_[header.topic];
  latencies.end_to_end.Record(e2e);
  latencies.end_to_end_service.Record(now_ns - header.actual_ns);
  if (!phase_latencies_.empty()) {
    PhaseLatencies& detail = *phase_latencies_[phase];
    detail.end_to_end.Record(e2e);
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

void TargetAccounting::OnClientDropped(std::size_t topic, std::uint64_t count) {
  topic_state_[topic]->client_dropped.fetch_add(count, kRelaxed);
}

// Splits each lost range by phase (sequence boundaries the publisher recorded), then counts it:
// as client drops while unexplained drops remain, at the end as unconfirmed while the phase has
// unacknowledged messages, and otherwise as lost.
void TargetAccounting::Attribute(std::size_t topic, Stream& stream, bool final_sweep,
                                 bool unconfirmed_only) {
  TopicState& state = *topic_state_[topic];
  std::vector<std::uint64_t> unconfirmed_left;
  if (final_sweep) {
    for (std::size_t p = 0; p < windows_.size(); ++p) {
      Totals t;
      t.Add(At(topic, p));
      unconfirmed_left.push_back(t.InFlight());
    }
  }
  for (const SequenceRange& range : stream.lost) {
    for (std::size_t p = 0; p < windows_.size(); ++p) {
      const std::uint64_t from = state.first_sequence[p].load(std::memory_order_acquire);
      const std::uint64_t to = p + 1 < windows_.size()
                                   ? state.first_sequence[p + 1].load(std::memory_order_acquire)
                                   : kNoSequence;
      const std::uint64_t first = std::max(range.first, from);
      const std::uint64_t end = std::min(range.end, to);
      if (from == kNoSequence || first >= end) continue;
      std::uint64_t count = end - first;
      PhaseCounters& c = At(topic, p);
      std::uint64_t dropped = state.client_dropped.load(kRelaxed);
      while (dropped > 0 && !state.client_dropped.compare_exchange_weak(
                                dropped, dropped - std::min(dropped, count), kRelaxed)) {
      }
      const std::uint64_t by_client = std::min(dropped, count);
      c.dropped_by_client.fetch_add(by_client, kRelaxed);
      count -= by_client;
      if (final_sweep) {
        // Without acknowledgements (kAnySource), what is open at the end cannot be told lost.
        const std::uint64_t unconfirmed = receive_ == ReceiveMode::kAnySource || unconfirmed_only
                                              ? count
                                              : std::min(unconfirmed_left[p], count);
        unconfirmed_left[p] -= unconfirmed;
        c.unconfirmed.fetch_add(unconfirmed, kRelaxed);
        count -= unconfirmed;
      }
      c.lost.fetch_add(count, kRelaxed);
    }
  }
  stream.lost.clear();
}

void TargetAccounting::SweepStream(std::size_t topic, Stream& stream, std::uint64_t horizon_now,
                                   std::int64_t now_ns, std::int64_t grace_ns) {
  stream.checkpoints.emplace_back(now_ns, horizon_now);
  // The newest checkpoint at least grace old: every sequence below its horizon was followed by
  // a later arrival or acknowledged at least grace ago.
  std::optional<std::uint64_t> horizon;
  while (!stream.checkpoints.empty() && stream.checkpoints.front().first <= now_ns - grace_ns) {
    horizon = stream.checkpoints.front().second;
    stream.checkpoints.pop_front();
  }
  if (horizon) {
    stream.checkpoints.emplace_front(now_ns - grace_ns, *horizon);
    stream.tracker.ExpireBelow(*horizon, stream.lost);
    Attribute(topic, stream, false);
  }
}

void TargetAccounting::ArrivedFrom(Stream& stream, std::uint32_t partition,
                                   std::uint64_t sequence) {
  if (partition >= stream.partition_end.size()) stream.partition_end.resize(partition + 1, 0);
  std::uint64_t& end = stream.partition_end[partition];
  end = std::max(end, sequence + 1);
}

// Every sequence below the lowest partition's end that has not arrived was followed by a later
// arrival from its own partition, whichever of the partitions heard from it was sent to. A
// partition never heard from is left out: nothing can be said of it but by the broker's end.
std::uint64_t TargetAccounting::GapHorizon(const Stream& stream, std::uint32_t partitions) {
  if (stream.partition_end.size() < partitions) return 0;
  std::uint64_t horizon = kNoSequence;
  for (std::size_t p = 0; p < stream.partition_end.size(); ++p) {
    const std::uint64_t end = stream.partition_end[p];
    if (end == 0 && p < partitions) return 0;  // not heard from yet
    if (end > 0) horizon = std::min(horizon, end);
  }
  return horizon == kNoSequence ? 0 : horizon;
}

void TargetAccounting::SetPartitions(std::size_t topic, std::uint32_t partitions) {
  topic_state_[topic]->partitions.store(partitions, kRelaxed);
}

void TargetAccounting::OnBrokerBacklog(std::size_t topic, std::optional<std::uint64_t> messages,
                                       std::optional<std::int64_t> handed_stored_before_ns) {
  TopicState& state = *topic_state_[topic];
  state.broker_backlog.store(messages.value_or(kUnknownBacklog), kRelaxed);
  if (!messages || !handed_stored_before_ns) return;
  // The newest Sweep's view no later than that time: acknowledged then, so stored then.
  auto& acked_at = state.acked_at;
  while (acked_at.size() > 1 && acked_at[1].first <= *handed_stored_before_ns) acked_at.pop_front();
  if (!acked_at.empty() && acked_at.front().first <= *handed_stored_before_ns) {
    state.caught_up_end = std::max(state.caught_up_end, acked_at.front().second);
  }
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

void TargetAccounting::Sweep(std::int64_t now_ns, std::int64_t grace_ns) {
  if (receive_ == ReceiveMode::kOwnRun) {
    for (std::size_t topic = 0; topic < streams_.size(); ++topic) {
      Stream& stream = *streams_[topic];
      TopicState& state = *topic_state_[topic];
      state.acked_at.emplace_back(now_ns, state.acked_end.load(kRelaxed));
      if (state.acked_at.size() > kAckedAtKept) state.acked_at.pop_front();
      const std::uint64_t caught_up_end = state.caught_up_end;
      std::lock_guard lock(stream.mutex);
      SweepStream(topic, stream,
                  std::max(GapHorizon(stream, state.partitions.load(kRelaxed)), caught_up_end),
                  now_ns, grace_ns);
    }
  } else if (receive_ == ReceiveMode::kAnySource) {
    sources_->ForEachLive([&](std::size_t topic, Stream& stream) {
      if (stream.started) {
        SweepStream(topic, stream,
                    GapHorizon(stream, topic_state_[topic]->partitions.load(kRelaxed)), now_ns,
                    grace_ns);
      }
    });
    // Silent this long, a source's gaps were all settled above; what is left is settled as lost.
    sources_->Retire(now_ns - 2 * grace_ns, [&](std::size_t topic, Stream& stream) {
      if (!stream.started) return;
      stream.tracker.ExpireBelow(stream.tracker.End(), stream.lost);
      Attribute(topic, stream, false);
    });
  }
}

void TargetAccounting::FinalSweep() {
  if (receive_ == ReceiveMode::kAnySource) {
    sources_->ForEachLive([&](std::size_t topic, Stream& stream) {
      if (!stream.started) return;
      stream.tracker.ExpireBelow(stream.tracker.End(), stream.lost);
      Attribute(topic, stream, true);
    });
    return;
  }
  for (std::size_t topic = 0; topic < streams_.size(); ++topic) {
    Stream& stream = *streams_[topic];
    const std::uint64_t published = TopicTotals(topic).published;
    const std::uint64_t caught_up_end = topic_state_[topic]->caught_up_end;
    std::lock_guard lock(stream.mutex);
    // Behind a later arrival of its partition, or below the broker's end the consumer reached:
    // lost. The rest was never received, and nothing tells whether the broker kept it (a backlog
    // at shutdown, a tail never acknowledged): unconfirmed.
    const std::uint64_t gap_horizon =
        GapHorizon(stream, topic_state_[topic]->partitions.load(kRelaxed));
    stream.tracker.ExpireBelow(std::min(published, std::max(gap_horizon, caught_up_end)),
                               stream.lost);
    Attribute(topic, stream, false);
    stream.tracker.ExpireBelow(published, stream.lost);
    Attribute(topic, stream, true, true);
  }
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
