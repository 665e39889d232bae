#include "accounting/target_accounting.hpp"

#include <algorithm>

// TargetAccounting's set-up: its memory estimate, construction and phase windows. The rest is
// in target_accounting_messages.cpp (the per-message path), target_accounting_loss.cpp (loss
// sweeps and the final accounting) and target_accounting_totals.cpp (totals for readers).
namespace brokerload::accounting {

std::uint64_t TargetAccounting::EstimateBytes(std::uint64_t topics, std::uint64_t keys,
                                              ReceiveMode receive) {
  const std::uint64_t stream = SequenceTracker::BytesFor(SequenceTracker::kDefaultWindow) +
                               sizeof(Stream) + keys * sizeof(std::uint64_t);
  const std::uint64_t streams = receive == ReceiveMode::kAnySource ? SourceTable::kCapacity : 1;
  return topics *
         (sizeof(TopicLatencies) + sizeof(TopicState) + AckedBy::kWindow + streams * stream);
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
      last_key_sequence_(receive_ == ReceiveMode::kOwnRun ? topics_ * keys_ : 0),
      negative_latency_(topics_),
      topic_broker_(std::make_unique<std::atomic<std::int32_t>[]>(topics_)) {
  for (std::size_t i = 0; i < topics_; ++i) {
    topic_broker_[i].store(driver::kUnknownBroker, std::memory_order_relaxed);
  }
  for (auto& last : last_key_sequence_) last.store(kNoSequence, std::memory_order_relaxed);
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
  if (options.latency_by_broker) {
    brokers_ = std::make_unique<BrokerFigures>();
    for (auto& state : topic_state_) state->acked_by = std::make_unique<AckedBy>();
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

}  // namespace brokerload::accounting
