#include <algorithm>
#include <array>
#include <mutex>
#include <optional>
#include <vector>

#include "accounting/target_accounting.hpp"

// What TargetAccounting declares lost, and when: the housekeeping thread's sweeps, the broker's
// end as a horizon, the final accounting, and each gap's attribution to a phase and a cause (lost,
// dropped by the client, unconfirmed).
namespace brokerload::accounting {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;
// Sweeps' views of what was acknowledged, kept per topic (one a second): an answer that the
// consumer reached the broker's end speaks of the previous answer's time, about a second ago.
constexpr std::size_t kAckedAtKept = 300;

}  // namespace

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
      CountLostByBroker(topic, first, end, count);
    }
  }
  stream.lost.clear();
}

// What is lost of a range was acknowledged, as a rule (what was not is unconfirmed, or failed and
// never a gap): so the brokers that acknowledged its sequences take it, as far as their counts go.
void TargetAccounting::CountLostByBroker(std::size_t topic, std::uint64_t first, std::uint64_t end,
                                         std::uint64_t lost) {
  if (!brokers_ || lost == 0) return;
  const TopicState& state = *topic_state_[topic];
  const std::uint64_t acked_end = state.acked_end.load(kRelaxed);
  std::array<std::uint64_t, BrokerFigures::kCapacity> acked{};
  // Entries further back than the window are later sequences' (AckedBy::SlotOf).
  const std::uint64_t from =
      acked_end > AckedBy::kWindow ? std::max(first, acked_end - AckedBy::kWindow) : first;
  for (std::uint64_t s = from; s < end; ++s) {
    if (const std::optional<std::size_t> slot = state.acked_by->SlotOf(s, acked_end))
      ++acked[*slot];
  }
  for (std::size_t slot = 0; slot < acked.size() && lost > 0; ++slot) {
    const std::uint64_t count = std::min(acked[slot], lost);
    if (count > 0) brokers_->CountLostAt(slot, count);
    lost -= count;
  }
  if (lost == 0) return;
  if (const std::optional<std::size_t> slot =
          brokers_->SlotOf(topic_broker_[topic].load(kRelaxed))) {
    brokers_->CountLostAt(*slot, lost);
  }
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
                                       std::optional<std::int64_t> handed_stored_before_ns,
                                       std::optional<std::uint64_t> ack_pending) {
  TopicState& state = *topic_state_[topic];
  state.broker_backlog.store(messages.value_or(kUnknownBacklog), kRelaxed);
  state.broker_ack_pending.store(ack_pending.value_or(kUnknownBacklog), kRelaxed);
  if (!messages || !handed_stored_before_ns) return;
  // The newest Sweep's view no later than that time: acknowledged then, so stored then.
  auto& acked_at = state.acked_at;
  while (acked_at.size() > 1 && acked_at[1].first <= *handed_stored_before_ns) acked_at.pop_front();
  if (!acked_at.empty() && acked_at.front().first <= *handed_stored_before_ns) {
    state.caught_up_end = std::max(state.caught_up_end, acked_at.front().second);
  }
}

void TargetAccounting::Sweep(std::int64_t now_ns, std::int64_t grace_ns) {
  negative_latency_.Advance(now_ns);
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

}  // namespace brokerload::accounting
