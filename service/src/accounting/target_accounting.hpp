#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "accounting/latency_histogram.hpp"
#include "accounting/sequence_tracker.hpp"
#include "driver/status.hpp"

// Everything brokerload counts and measures for one target (kafka or nats), per topic.
//
// Threads: the publisher thread calls OnSent/OnSendFailed; the driver's ack thread calls
// OnAck/OnAckFailed; the consumer thread that owns a topic calls OnReceived; workers call
// OnProcessed; the housekeeping thread calls Sweep. Scrapes read at any time. Counters are
// relaxed atomics; each topic's sequence tracker has its own mutex (taken by its consumer thread
// per message and by Sweep once a second), so no lock is shared by all threads.
namespace brokerload::accounting {

struct RunIdentity {
  std::uint64_t run_id = 0;
  std::uint32_t producer_id = 0;
};

// What a worker needs to process one received message; fixed size, no allocation.
struct WorkItem {
  std::uint16_t target = 0;
  std::uint16_t topic = 0;
  std::uint32_t key = 0;
  std::uint64_t sequence = 0;
};

enum class ForeignReason { kInvalidHeader, kOtherRun };

struct alignas(64) TopicCounters {
  // publisher thread
  std::atomic<std::uint64_t> published{0};
  std::atomic<std::uint64_t> late_sends{0};
  std::atomic<std::uint64_t> dropped_sends{0};
  std::array<std::atomic<std::uint64_t>, driver::kStatusCount> send_errors{};
  // ack thread
  alignas(64) std::atomic<std::uint64_t> acked{0};
  std::atomic<std::uint64_t> warmup_acked{0};
  std::array<std::atomic<std::uint64_t>, driver::kStatusCount> ack_errors{};
  // Messages scheduled before the measurement start (see SetMeasureFrom): counted here as well
  // as in the totals, and left out of the latency histograms.
  std::atomic<std::uint64_t> warmup_published{0};
  // consumer thread
  alignas(64) std::atomic<std::uint64_t> consumed{0};
  std::atomic<std::uint64_t> warmup_consumed{0};
  std::atomic<std::uint64_t> duplicated{0};
  std::atomic<std::uint64_t> arrived_after_lost{0};
  std::array<std::atomic<std::uint64_t>, 2> foreign{};
  // housekeeping thread (and the consumer thread when the window slides)
  std::atomic<std::uint64_t> lost{0};
  // workers
  alignas(64) std::atomic<std::uint64_t> processed{0};
  std::atomic<std::uint64_t> out_of_order{0};
};

// A target's counters summed over its topics (a consistent-enough read for reports and logs).
struct Totals {
  std::uint64_t published = 0;
  std::uint64_t warmup_published = 0;
  std::uint64_t acked = 0;
  std::uint64_t warmup_acked = 0;
  std::uint64_t consumed = 0;
  std::uint64_t warmup_consumed = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t lost = 0;
  std::uint64_t out_of_order = 0;
  std::uint64_t late_sends = 0;
  std::uint64_t dropped_sends = 0;
  std::array<std::uint64_t, driver::kStatusCount> errors{};  // send and ack errors by status

  std::uint64_t Errors() const;
};

struct TopicLatencies {
  LatencyHistogram publish;             // send to broker ack
  LatencyHistogram end_to_end;          // intended send time to receipt
  LatencyHistogram end_to_end_service;  // actual send time to receipt
};

class TargetAccounting {
 public:
  TargetAccounting(std::uint16_t target_index, std::size_t topics, std::uint32_t keys,
                   RunIdentity identity, std::int64_t late_threshold_ns);

  std::size_t Topics() const { return counters_.size(); }
  const TopicCounters& Counters(std::size_t topic) const { return *counters_[topic]; }
  const TopicLatencies& Latencies(std::size_t topic) const { return *latencies_[topic]; }
  const LatencyHistogram& SendLag() const { return send_lag_; }

  // Messages scheduled before `measure_from_ns` are warm-up: counted apart and kept out of the
  // latency histograms. Set before publishing starts; default: everything is measured.
  void SetMeasureFrom(std::int64_t measure_from_ns) { measure_from_ns_ = measure_from_ns; }
  // When the last measured message was received (Unix ns), 0 before any.
  std::int64_t LastReceiveNs() const { return last_receive_ns_.load(std::memory_order_relaxed); }

  // Publisher side.
  void OnSent(std::uint16_t topic, std::int64_t lag_ns, std::int64_t intended_ns = 0);
  void OnSendFailed(std::uint16_t topic, driver::Status status);
  void OnDropped(std::uint16_t topic, std::uint64_t count);
  void OnAck(std::span<const std::byte> payload, std::int64_t now_ns);
  void OnAckFailed(std::span<const std::byte> payload, driver::Status status);

  // Consumer side. Returns true, with `item` filled, when the message is this run's and new
  // (so a worker should process it); counts foreign messages and duplicates otherwise.
  bool OnReceived(std::size_t topic_hint, std::span<const std::byte> payload, std::int64_t now_ns,
                  WorkItem& item);
  void OnProcessed(const WorkItem& item);

  // Declares lost the gaps still open `grace_ns` after a later sequence arrived.
  void Sweep(std::int64_t now_ns, std::int64_t grace_ns);
  // At the end of a run: every sequence published but never received is lost.
  void FinalSweep();

  Totals Sum() const;

  // Outstanding publishes: sent and neither acked nor failed.
  std::uint64_t InFlight() const;

 private:
  struct Stream {
    std::mutex mutex;
    SequenceTracker tracker;
    std::deque<std::pair<std::int64_t, std::uint64_t>> checkpoints;  // (time, tracker End())
  };

  std::uint16_t target_index_;
  std::uint32_t keys_;
  RunIdentity identity_;
  std::int64_t late_threshold_ns_;
  std::vector<std::unique_ptr<TopicCounters>> counters_;
  std::vector<std::unique_ptr<TopicLatencies>> latencies_;
  std::vector<std::unique_ptr<Stream>> streams_;
  std::vector<std::uint64_t> last_key_sequence_;  // [topic * keys + key]; one worker per key
  LatencyHistogram send_lag_;
  std::int64_t measure_from_ns_ = std::numeric_limits<std::int64_t>::min();
  std::atomic<std::int64_t> last_receive_ns_{0};
};

}  // namespace brokerload::accounting
