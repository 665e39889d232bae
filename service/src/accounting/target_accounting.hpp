#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "accounting/broker_figures.hpp"
#include "accounting/latency_histogram.hpp"
#include "accounting/negative_latency.hpp"
#include "accounting/sequence_tracker.hpp"
#include "accounting/source_table.hpp"
#include "driver/status.hpp"
#include "message/header.hpp"

// Everything brokerload counts and measures for one target (kafka or nats), per topic and per
// phase. A phase is a span of scheduled send times: `run` has a warm-up phase and a measured one,
// `compare` a warm-up and one phase per stage. A message belongs to the phase of its scheduled
// (intended) send time, whatever happens to it later, so every column of a phase (published,
// errors, dropped, lost, duplicated...) speaks of the same messages.
//
// What each outcome means (docs/metrics.md says the same):
// - lost: a verdict about the broker, never about brokerload's own backlog: not received within
//   the loss grace after a later message of the same partition (or stream) arrived, or after the
//   consumer caught up with the broker's end (OnBrokerBacklog) once it had been acknowledged; at
//   the end of a run, never received (but see unconfirmed). A consumer that is behind, holds no
//   assignment or is resubscribing loses nothing: what it has not received is its backlog
//   (ConsumerBacklog).
// - unconfirmed: at the end of a run, never received and not known lost (no later arrival of its
//   partition, the broker's end not reached past it): a backlog left at shutdown, or sends never
//   acknowledged within the drain.
// - dropped_by_client: gaps explained by messages the client library itself discarded inside
//   brokerload (e.g. cnats slow-consumer drops): brokerload's loss, not the broker's.
// - duplicated: received again within the tracking window from a new place in the broker: a
//   Kafka offset above every offset already read on its partition, a JetStream stream sequence
//   above every one already read on its stream and delivered there for the first time. A second
//   copy in the log or stream (a producer retry written twice): the broker's or client's fault.
// - redelivered: received again within the tracking window from a place already read (an offset
//   or stream sequence at or below one already read, or a JetStream delivery count above 1): the
//   consumer's at-least-once redelivery after a restart, rebalance or resubscribe. Expected.
// - delivered_after_error: its publish failed (e.g. timed out) and it arrived anyway.
// - arrived_after_lost: late: received after it had been counted lost.
// - older_than_window: received below the tracking window: late or duplicate, unknown which.
// - negative_latency: received (new, not a second arrival) before its scheduled send time by this
//   instance's clock: the sender's clock is ahead (consume-only, another host). Kept out of the
//   end-to-end histograms, where it would read as 0; MostNegativeEndToEndNs says by how much.
//
// What is received is accounted by ReceiveMode: an instance's own messages (its run and producer
// id; others are foreign), nothing (produce-only), or every sender's (consume-only: per source,
// see SourceTable and OnReceived).
//
// Threads: a topic's publisher thread (one per topic, also with several publisher lanes) calls
// OnSent/OnSendFailed/OnDropped; its producer's ack thread OnAck/OnAckFailed (OnAckFailed also the
// housekeeping thread: JetStream's publish timeouts); the consumer thread that owns a topic
// OnReceived; workers (or, without workers, that consumer thread) OnProcessed; the housekeeping
// thread Sweep and OnClientDropped. Scrapes read at any time. Counters are relaxed atomics grouped
// by writing thread (the target-wide send-lag histograms take atomic adds from every publisher
// lane); each topic's sequence tracker (each source's, in consume-only) has its own
// mutex (taken by its consumer thread per message and by Sweep once a second), so no lock is shared
// by all.
namespace brokerload::accounting {

// What a worker needs to process one received message; fixed size, no allocation.
struct WorkItem {
  std::uint8_t target = 0;
  std::uint8_t phase = 0;
  std::uint16_t topic = 0;
  std::uint32_t key = 0;
  std::uint64_t sequence = 0;
  std::uint8_t source = 0;  // kAnySource: the sender's SourceTable slot
};

enum class ReceiveMode {
  kOwnRun,     // full: this run's own messages (run id and producer id); others are foreign
  kNone,       // produce-only: nothing is consumed; no loss, duplicate or end-to-end accounting
  kAnySource,  // consume-only: every sender's messages, each by its own sequences
};

// Why a received message was skipped: no valid header; another run's (kOwnRun); scheduled before
// this instance accepted messages (kAnySource: AcceptFrom); from a sender beyond the
// SourceTable's capacity (kAnySource).
enum class ForeignReason { kInvalidHeader, kOtherRun, kBeforeStart, kTooManySources };
inline constexpr std::size_t kForeignReasons = 4;

// One topic's counters in one phase.
struct alignas(64) PhaseCounters {
  // publisher thread
  std::atomic<std::uint64_t> published{0};
  std::atomic<std::uint64_t> published_bytes{0};  // payload bytes, brokerload's header included
  std::atomic<std::uint64_t> late_sends{0};
  std::atomic<std::uint64_t> dropped_sends{0};
  std::array<std::atomic<std::uint64_t>, driver::kStatusCount> send_errors{};
  // ack thread
  alignas(64) std::atomic<std::uint64_t> acked{0};
  std::array<std::atomic<std::uint64_t>, driver::kStatusCount> ack_errors{};
  // consumer thread
  alignas(64) std::atomic<std::uint64_t> consumed{0};  // every arrival of this run's messages
  std::atomic<std::uint64_t> consumed_bytes{0};        // their payload bytes
  std::atomic<std::uint64_t> consumed_in_window{0};    // first arrivals within the send window
  std::atomic<std::uint64_t> duplicated{0};
  std::atomic<std::uint64_t> redelivered{0};
  std::atomic<std::uint64_t> delivered_after_error{0};  // also the ack thread: failed after it came
  std::atomic<std::uint64_t> arrived_after_lost{0};
  std::atomic<std::uint64_t> older_than_window{0};
  std::atomic<std::uint64_t> negative_latency{0};  // received before its scheduled send time
  // housekeeping thread (and the consumer or ack thread when the tracking window slides)
  alignas(64) std::atomic<std::uint64_t> lost{0};
  std::atomic<std::uint64_t> unconfirmed{0};
  std::atomic<std::uint64_t> dropped_by_client{0};
  // workers
  alignas(64) std::atomic<std::uint64_t> processed{0};
  std::atomic<std::uint64_t> out_of_order{0};
};

// A plain sum of PhaseCounters (over topics, phases or both).
struct Totals {
  std::uint64_t published = 0;
  std::uint64_t published_bytes = 0;
  std::uint64_t late_sends = 0;
  std::uint64_t dropped_sends = 0;
  std::array<std::uint64_t, driver::kStatusCount> send_errors{};
  std::uint64_t acked = 0;
  std::array<std::uint64_t, driver::kStatusCount> ack_errors{};
  std::uint64_t consumed = 0;
  std::uint64_t consumed_bytes = 0;
  std::uint64_t consumed_in_window = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t redelivered = 0;
  std::uint64_t delivered_after_error = 0;
  std::uint64_t arrived_after_lost = 0;
  std::uint64_t older_than_window = 0;
  std::uint64_t negative_latency = 0;
  std::uint64_t lost = 0;
  std::uint64_t unconfirmed = 0;
  std::uint64_t dropped_by_client = 0;
  std::uint64_t processed = 0;
  std::uint64_t out_of_order = 0;

  void Add(const PhaseCounters& c);
  // Sends refused by the client plus publishes the broker failed, over every reason.
  std::uint64_t Errors() const;
  std::uint64_t AckErrors() const;
  // Distinct messages received: every arrival but second ones and those too old to tell.
  std::uint64_t Received() const { return consumed - duplicated - redelivered - older_than_window; }
  // Published and neither acknowledged nor failed yet: published = acked + ack errors + this.
  std::uint64_t InFlight() const;
};

struct TopicLatencies {                 // measured phases only
  LatencyHistogram publish;             // send to broker ack
  LatencyHistogram end_to_end;          // intended send time to receipt
  LatencyHistogram end_to_end_service;  // actual send time to receipt
};

// A phase's scheduled send times, [start_ns, end_ns) in Unix ns.
struct PhaseWindow {
  std::int64_t start_ns = std::numeric_limits<std::int64_t>::min();
  std::int64_t end_ns = std::numeric_limits<std::int64_t>::max();  // max: open-ended
  bool measured = true;  // false for warm-up: kept out of the latency histograms
};

// Per-phase latency detail, for compare (Options::phase_histograms).
struct PhaseLatencies {
  static constexpr std::size_t kSlices = 10;
  LatencyHistogram publish;
  LatencyHistogram end_to_end;
  // From the actual send, not the scheduled one: end_to_end without the publisher's lateness.
  LatencyHistogram end_to_end_from_send;
  LatencyHistogram send_lag;
  // End-to-end by tenth of the phase's send window, to tell a steady stage from a settling one.
  std::array<LatencyHistogram, kSlices> end_to_end_slices;
};

class TargetAccounting {
 public:
  static constexpr std::uint64_t kUnknownBacklog = ~std::uint64_t{0};
  struct Options {
    std::uint8_t target_index = 0;
    std::size_t topics = 1;
    std::uint32_t keys = 0;
    RunIdentity identity;
    std::int64_t late_threshold_ns = 2'000'000;
    std::size_t phases = 1;
    bool phase_histograms = false;
    ReceiveMode receive = ReceiveMode::kOwnRun;
    // kAnySource: each source's messages scheduled less than this after the first one accounted
    // are its warm-up, kept out of the latency histograms: the sender's run.warmup when the same,
    // to within the order in which its first messages arrive. 0: every message is measured.
    std::int64_t source_warmup_ns = 0;
    // Figures also by broker (BrokerFigures): latencies, publish errors and duplicates under the
    // broker the client names for each message (Kafka), else its topic's (SetTopicBroker:
    // JetStream); a loss under the broker that acknowledged the message (AckedBy), else its
    // topic's.
    bool latency_by_broker = false;
  };

  explicit TargetAccounting(const Options& options);

  // The memory one target's accounting may take for `topics` and `keys` (per topic: the sequence
  // tracker's window, the three latency histograms and one sequence per key; with kAnySource a
  // tracker and the key sequences per topic for each of SourceTable::kCapacity sources), in
  // bytes; the config loader refuses workloads whose estimate is unreasonable. Per-phase state is
  // small.
  static std::uint64_t EstimateBytes(std::uint64_t topics, std::uint64_t keys,
                                     ReceiveMode receive = ReceiveMode::kOwnRun);

  std::size_t Topics() const { return topics_; }
  std::size_t Phases() const { return windows_.size(); }

  // Sets each phase's window; phase p covers intended times from windows[p].start_ns up to the
  // next phase's start, except that phase 0 also takes anything earlier. Call before publishing
  // starts. kAnySource ignores it: one open phase (senders keep their own schedules).
  void SetPhases(const std::vector<PhaseWindow>& windows);
  const PhaseWindow& Window(std::size_t phase) const { return windows_[phase]; }
  std::size_t PhaseOf(std::int64_t intended_ns) const;

  // Publisher side. `sequence` is the message's sequence on its topic.
  void OnSent(std::uint16_t topic, std::uint64_t sequence, std::int64_t lag_ns,
              std::int64_t intended_ns, std::size_t bytes = 0);
  void OnSendFailed(std::uint16_t topic, driver::Status status, std::int64_t intended_ns);
  void OnDropped(std::uint16_t topic, std::uint64_t count, std::size_t phase);
  // `broker`: where it was produced to (driver::AckListener::OnAck), or its topic's.
  void OnAck(std::span<const std::byte> payload, std::int64_t now_ns,
             std::int32_t broker = driver::kUnknownBroker);
  void OnAckFailed(std::span<const std::byte> payload, driver::Status status,
                   std::int32_t broker = driver::kUnknownBroker);

  // The broker of `topic`'s messages where the client names none (JetStream: the server leading
  // its stream, as last asked); driver::kUnknownBroker until set. Any thread.
  void SetTopicBroker(std::size_t topic, std::int32_t broker) {
    topic_broker_[topic].store(broker, std::memory_order_relaxed);
    if (broker >= 0) topic_brokers_named_.store(true, std::memory_order_relaxed);
  }
  // Losses can be told by broker: this instance's own messages (the broker that acknowledged
  // each), or its topics' brokers named (JetStream). A consume-only Kafka target cannot: a lost
  // message's partition, hence its broker, is not known.
  bool LossesByBroker() const {
    return brokers_ && (receive_ == ReceiveMode::kOwnRun ||
                        topic_brokers_named_.load(std::memory_order_relaxed));
  }

  // kAnySource: messages scheduled before `from_ns` (Unix ns) are skipped as kBeforeStart, all
  // are until this is called. Call once the consumers subscribed: what was scheduled after that
  // is surely received, what was scheduled before may have been sent before they listened.
  void AcceptFrom(std::int64_t from_ns) { accept_from_ns_.store(from_ns); }

  // Consumer side. Returns true, with `item` filled, when the message is accounted and new
  // (so a worker should process it); counts probes, foreign messages and second arrivals
  // otherwise. `replayed`: the client read it from a place it had read before (see redelivered);
  // it decides whether a second arrival is redelivered or duplicated.
  //
  // kAnySource: a message is accounted in its source's stream for its topic (the source added at
  // its first accounted message, while fewer than SourceTable::kCapacity are live). Tracking of a
  // stream starts at the first sequence accounted on it (SequenceTracker::Restart): lower ones
  // arriving later count as received, and what never arrives below it is never counted lost,
  // since it cannot be told from what was sent before this instance listened. A sender's tail
  // (sent after the last message received) is invisible: nothing follows it and no ack is known.
  // Other instances' probes are ignored.
  // `partition`: where it was read from (driver::MessageListener::OnMessage); each partition's
  // highest arrival is a horizon for that partition's gaps. `broker`: the broker it was read from,
  // or its topic's.
  // `header`: the bytes that start with the message's brokerload header; `bytes`: its size
  // (driver::MessageListener::OnMessage).
  bool OnReceived(std::size_t topic_hint, std::span<const std::byte> header, std::size_t bytes,
                  std::int64_t now_ns, WorkItem& item, bool replayed = false,
                  std::uint32_t partition = 0, std::int32_t broker = driver::kUnknownBroker);
  // A message whose payload starts with its header.
  bool OnReceived(std::size_t topic_hint, std::span<const std::byte> payload, std::int64_t now_ns,
                  WorkItem& item, bool replayed = false, std::uint32_t partition = 0,
                  std::int32_t broker = driver::kUnknownBroker) {
    return OnReceived(topic_hint, payload, payload.size(), now_ns, item, replayed, partition,
                      broker);
  }
  void OnProcessed(const WorkItem& item);
  // The client library discarded `count` messages of `topic` inside brokerload.
  void OnClientDropped(std::size_t topic, std::uint64_t count);

  // The broker's view of the consumer's backlog on `topic` (driver::Consumer::Backlog), or nullopt
  // when unknown; `handed_stored_before_ns` (Unix ns), when known: the consumer has been handed
  // everything the broker had stored at that time, so every message acknowledged before it has
  // arrived, and what of it has not `grace` later is lost (Sweep). kOwnRun only uses that (the
  // others know no acknowledgements); every mode exports the backlog (BrokerBacklog).
  // Housekeeping thread.
  // `ack_pending`: where the consumer acknowledges (JetStream with acks), what the broker delivered
  // and awaits the acknowledgement of (num_ack_pending); nullopt otherwise or when unknown.
  void OnBrokerBacklog(std::size_t topic, std::optional<std::uint64_t> messages,
                       std::optional<std::int64_t> handed_stored_before_ns,
                       std::optional<std::uint64_t> ack_pending = std::nullopt);
  // How many partitions `topic` has (known once the producer is up; JetStream: 1). Until every
  // one of them has delivered a message, no gap on the topic is told by later arrivals (only by
  // the broker's end): a sequence missing below another partition's arrivals may be waiting in a
  // partition not read yet. Unset (0): the partitions heard from are taken as all there are.
  void SetPartitions(std::size_t topic, std::uint32_t partitions);
  // Sum over topics; nullopt while any topic's is unknown or none was reported.
  std::optional<std::uint64_t> BrokerBacklog() const;
  // One topic's, as last reported; nullopt while unknown.
  std::optional<std::uint64_t> BrokerBacklog(std::size_t topic) const;
  std::optional<std::uint64_t> BrokerAckPending(std::size_t topic) const;
  // kOwnRun: acknowledged, and neither received, counted lost nor discarded inside brokerload
  // (brokerload's own view of what its consumers have yet to take); 0 in the other modes.
  std::uint64_t ConsumerBacklog() const;
  // The most negative end-to-end latency over the last minute (NegativeLatencyWindow, advanced
  // by Sweep), in ns; 0 when none. Any thread.
  std::int64_t MostNegativeEndToEndNs() const { return negative_latency_.MostNegativeNs(); }

  // Declares lost what is still missing `grace_ns` after a later sequence of its partition
  // arrived, or after the consumer caught up with the broker's end once it was acknowledged
  // (OnBrokerBacklog). kAnySource: then retires sources silent for twice `grace_ns`. Also moves
  // the window of MostNegativeEndToEndNs (`now_ns` on the run's clock).
  void Sweep(std::int64_t now_ns, std::int64_t grace_ns);
  // At the end of a run (the drain over, no grace left): a sequence never received is lost when a
  // later one of its partition arrived or the consumer reached the broker's end past it, and
  // unconfirmed otherwise (a backlog left at shutdown, or sends never acknowledged: nothing says
  // the broker lost them). kAnySource: gaps still open (a later sequence arrived, less than the
  // grace ago) are unconfirmed: no acknowledgement is known.
  void FinalSweep();

  Totals TopicTotals(std::size_t topic) const;  // every phase
  Totals PhaseTotals(std::size_t phase) const;  // every topic
  Totals Sum() const;                           // everything
  std::uint64_t InFlight() const { return Sum().InFlight(); }
  // In flight on topics first, first + stride, ... (a publisher lane's: pacing::Lane).
  std::uint64_t InFlight(std::size_t first, std::size_t stride) const;

  std::uint64_t ForeignCount(std::size_t topic, ForeignReason reason) const;
  ReceiveMode Receive() const { return receive_; }
  // kAnySource: the sources live now; 0 otherwise.
  std::size_t Sources() const { return sources_ ? sources_->Live() : 0; }
  // Bit p set: the probe sent to partition p (mod 64) of `topic` came back.
  std::uint64_t ProbesReceived(std::size_t topic) const;
  // When the phase's last first arrival was received (Unix ns), 0 before any.
  std::int64_t LastReceiveNs(std::size_t phase) const;

  const TopicLatencies& Latencies(std::size_t topic) const { return *latencies_[topic]; }
  // Only with Options::phase_histograms.
  const PhaseLatencies& PhaseLatency(std::size_t phase) const { return *phase_latencies_[phase]; }
  const LatencyHistogram& SendLag() const { return send_lag_; }
  // Only with Options::latency_by_broker; null otherwise.
  const BrokerFigures* Brokers() const { return brokers_.get(); }

 private:
  // A phase's first sequence before the phase began; a key's last sequence before any.
  static constexpr std::uint64_t kNoSequence = std::numeric_limits<std::uint64_t>::max();

  struct alignas(64) TopicState {
    std::array<std::atomic<std::uint64_t>, kForeignReasons> foreign{};
    std::atomic<std::uint64_t> probes{0};     // bit p: the probe of partition p % 64 came back
    std::atomic<std::uint64_t> acked_end{0};  // ack thread: highest acked sequence + 1
    // Housekeeping thread: acked_end as it was at each Sweep (Unix ns, acked_end), the last few
    // minutes of them, and the horizon that the consumer's catching up with the broker's end
    // proved handed over.
    std::deque<std::pair<std::int64_t, std::uint64_t>> acked_at;
    std::uint64_t caught_up_end = 0;
    std::atomic<std::uint64_t> broker_backlog{kUnknownBacklog};      // scrapes read it
    std::atomic<std::uint64_t> broker_ack_pending{kUnknownBacklog};  // the same
    std::atomic<std::uint32_t> partitions{0};      // SetPartitions; read under the stream's mutex
    std::atomic<std::uint64_t> client_dropped{0};  // not yet matched to a gap
    std::vector<std::atomic<std::uint64_t>> first_sequence;  // per phase; publisher writes
    std::size_t publisher_phase = 0;                         // publisher thread only
    std::unique_ptr<AckedBy> acked_by;  // with BrokerFigures, kOwnRun: the ack thread writes
  };

  PhaseCounters& At(std::size_t topic, std::size_t phase) {
    return counters_[topic * windows_.size() + phase];
  }
  const PhaseCounters& At(std::size_t topic, std::size_t phase) const {
    return counters_[topic * windows_.size() + phase];
  }
  void CountForeign(std::size_t topic, ForeignReason reason);
  // `broker` when the client named one, else `topic`'s (SetTopicBroker).
  std::int32_t BrokerOf(std::size_t topic, std::int32_t broker) const {
    return broker >= 0 ? broker : topic_broker_[topic].load(std::memory_order_relaxed);
  }
  bool OnReceivedFromAny(const message::Header& header, std::size_t bytes, std::uint32_t partition,
                         std::int64_t now_ns, WorkItem& item, bool replayed, std::int32_t broker);
  // Notes that `sequence` arrived from `partition` (stream's mutex held).
  static void ArrivedFrom(Stream& stream, std::uint32_t partition, std::uint64_t sequence);
  // The lowest of the partitions' ends (stream's mutex held); 0 before every one of `partitions`
  // (when known, else of those heard from) delivered a message.
  static std::uint64_t GapHorizon(const Stream& stream, std::uint32_t partitions);
  // Counts an accounted arrival's outcome and latencies; true when it is new.
  bool Account(const message::Header& header, std::size_t phase, bool measured,
               SequenceTracker::Outcome outcome, std::uint8_t source, std::int64_t now_ns,
               WorkItem& item, bool replayed, std::int32_t broker);
  // Adds a checkpoint at `horizon` (every sequence below it followed by a later arrival of its
  // partition, or handed over by a consumer that reached the broker's end) and declares lost what
  // is below the newest checkpoint at least grace old.
  void SweepStream(std::size_t topic, Stream& stream, std::uint64_t horizon, std::int64_t now_ns,
                   std::int64_t grace_ns);
  // Counts `stream.lost` (then clears it) as lost, client drops or, at the end, unconfirmed (as
  // far as its phase's unacknowledged go; every one with `unconfirmed_only`).
  void Attribute(std::size_t topic, Stream& stream, bool final_sweep,
                 bool unconfirmed_only = false);
  // Counts `lost` of `topic`'s sequences [first, end) by broker: under the brokers that
  // acknowledged sequences of the range, as far as they go, the rest under the topic's broker.
  void CountLostByBroker(std::size_t topic, std::uint64_t first, std::uint64_t end,
                         std::uint64_t lost);

  std::uint8_t target_index_;
  ReceiveMode receive_;
  std::int64_t source_warmup_ns_;
  std::atomic<std::int64_t> accept_from_ns_{std::numeric_limits<std::int64_t>::max()};
  std::size_t topics_;
  std::uint32_t keys_;
  RunIdentity identity_;
  std::int64_t late_threshold_ns_;
  std::vector<PhaseWindow> windows_;
  std::atomic<bool> phases_set_{false};        // windows_ written (release), see PhaseOf
  std::unique_ptr<PhaseCounters[]> counters_;  // [topic * phases + phase]
  std::vector<std::unique_ptr<TopicState>> topic_state_;
  std::vector<std::unique_ptr<TopicLatencies>> latencies_;
  std::vector<std::unique_ptr<PhaseLatencies>> phase_latencies_;
  std::vector<std::unique_ptr<Stream>> streams_;                  // kOwnRun: one per topic
  std::unique_ptr<SourceTable> sources_;                          // kAnySource
  std::unique_ptr<std::atomic<std::int64_t>[]> last_receive_ns_;  // per phase
  // kOwnRun, [topic * keys + key]: one worker per key, or the topic's consumer thread (two,
  // briefly, while a replaced NATS subscription drains: atomics keep that overlap defined).
  std::vector<std::atomic<std::uint64_t>> last_key_sequence_;
  LatencyHistogram send_lag_;
  NegativeLatencyWindow negative_latency_;
  std::unique_ptr<BrokerFigures> brokers_;                     // Options::latency_by_broker
  std::unique_ptr<std::atomic<std::int32_t>[]> topic_broker_;  // per topic: SetTopicBroker
  std::atomic<bool> topic_brokers_named_{false};
};

}  // namespace brokerload::accounting
