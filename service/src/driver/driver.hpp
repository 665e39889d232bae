#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "driver/status.hpp"

// The broker-neutral interfaces the engine uses. driver/kafka and driver/nats are the only places
// that include librdkafka or cnats; driver/factory.hpp is the one place that picks a backend.
namespace brokerload::driver {

// One setup wait: until `deadline` (the start's, run.startup_timeout), at most 30 s, at least 0.
inline std::chrono::milliseconds SetupWait(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return std::clamp(left, std::chrono::milliseconds(0), std::chrono::milliseconds(30'000));
}

// Receives the broker's verdict on each sent message, with the bytes that start with its brokerload
// header (the payload sent, or the value of the message header that carried it), as soon as
// the client has it (the listener timestamps acks on arrival). Called on a thread of the client's
// own, never the publisher's: Kafka's producer poll thread (or the thread in Flush()); for
// JetStream the producer connection's reader thread with the reader hook, otherwise cnats'
// delivery thread of the PubAck subscription (driver/nats/nats_producer.hpp). OnAck calls for
// one producer never overlap; OnAckFailed with kTimeout may also come from the thread in
// Producer::Maintain or Flush (JetStream's publish timeouts, each message settled once), at the
// same time as OnAck or another OnAckFailed from the client's thread. None comes after the
// producer is destroyed. Must not block.
class AckListener {
 public:
  virtual ~AckListener() = default;
  // `broker`: the one that acknowledged it, or that failed it or it was sent to (kUnknownBroker
  // where the client does not say, or it was never sent).
  virtual void OnAck(std::span<const std::byte> header, std::int32_t broker) = 0;
  virtual void OnAckFailed(std::span<const std::byte> header, Status status,
                           std::int32_t broker) = 0;
};

// What a report needs to say what was compared: versions and the settings that decide the outcome.
struct Description {
  std::string broker_version;  // as the broker reports it, or why it is unknown
  std::string client_version;  // client library and version
  std::vector<std::pair<std::string, std::string>> settings;  // effective values
  std::string durability;  // when an acknowledged message is safe, in plain words
};

// Who leads a target's partitions (Kafka) or streams (JetStream), as the broker said when asked.
struct Leadership {
  // Every broker known, by the name the metrics label it with: Kafka, the broker ids the cluster's
  // metadata lists; JetStream, the server names the streams' cluster info holds (leaders and
  // replicas; a single server names itself the leader of each).
  std::vector<std::string> brokers;
  // The leader of each of the run's partitions (Kafka: each topic's, in order) or streams
  // (JetStream: one per topic); "" where none is known (an election under way).
  std::vector<std::string> leaders;
};

class Producer {
 public:
  virtual ~Producer() = default;
  // Partitions of `topic` (1 where the broker has no such notion); known once created.
  virtual std::size_t Partitions(std::size_t) const { return 1; }
  // Sends to one partition of `topic` (probes reach every partition); otherwise as Send.
  virtual Status SendToPartition(std::size_t topic, std::size_t /*partition*/,
                                 std::span<const std::byte> payload) {
    return Send(topic, {}, payload);
  }
  // Versions and effective settings. May ask the broker: bounded, not for the message path.
  virtual Description Describe() const = 0;
  // Hands one message to the client; copies key and payload; never blocks. `payload` starts with
  // brokerload's header; with workload.brokerload_header: message_header the client sends that
  // header in a message header named "brokerload" and the rest as the payload, with the
  // workload's extra headers (message/message_headers.hpp). kQueueFull is
  // backpressure (try later). Called from one thread (the publisher's).
  virtual Status Send(std::size_t topic, std::span<const std::byte> key,
                      std::span<const std::byte> payload) = 0;
  // Housekeeping, about once a second from the housekeeping thread, never the publisher's (NATS:
  // re-creating streams a restarted server lost). May wait for the broker, bounded by the
  // client's request timeout; may run while Send is called on the publisher's thread.
  virtual void Maintain() {}
  // Leadership of the run's topics, asked of the broker now; nullopt when it did not answer in
  // full within `timeout` (or the backend cannot tell: the default). Called from the thread that
  // set the producer up or the housekeeping thread, never concurrently with itself, never from
  // the publisher's; waits at most about `timeout` (Kafka: one metadata request; JetStream: one
  // stream info request per topic).
  virtual std::optional<Leadership> Leaders(std::chrono::milliseconds /*timeout*/) {
    return std::nullopt;
  }
  // Waits up to `timeout` for every outstanding message; true when none is left. Called once
  // sending has stopped, from the thread that stopped it.
  virtual bool Flush(std::chrono::milliseconds timeout) = 0;
  // The bytes the client says it has sent to the brokers so far; nullopt where it cannot tell
  // (the default). Kafka: librdkafka's tx_bytes (the requests on the wire, after the producer's
  // compression), as its statistics last reported it (every statistics.interval.ms, 5 s by
  // default); NATS: cnats' outBytes (the payloads published and JetStream API requests on the
  // producer's connection). Any thread; never waits for the broker (NATS takes the connection's
  // lock for a moment).
  virtual std::optional<std::uint64_t> SentBytes() const { return std::nullopt; }
  // How long after the last send SentBytes may still leave some of it out: Kafka,
  // statistics.interval.ms (0 where statistics are off: SentBytes is then nullopt); 0 where the
  // count is live (NATS, the default). Any thread.
  virtual std::chrono::milliseconds SentBytesDelay() const { return {}; }
};

// Receives consumed messages. For any one topic, calls come from one thread at a time.
class MessageListener {
 public:
  virtual ~MessageListener() = default;
  // `replayed`: the message comes from a place the consumer had already read: a Kafka offset at
  // or below the highest offset delivered so far on its partition, or a JetStream message whose
  // delivery count is above 1 or whose stream sequence is at or below the highest delivered so
  // far on its stream. A second arrival that is replayed is a redelivery (at-least-once); one
  // that is not is a second copy in the broker (docs/metrics.md). `partition`: the Kafka partition
  // it was read from (0 where the broker has none: a JetStream stream is one ordered log);
  // `broker`: the one it was read from (kUnknownBroker where the client does not say). `header`:
  // the bytes that start with brokerload's header: the payload, or the value of the message header
  // that carries it (workload.brokerload_header: message_header; the payload where the message has
  // no such header, as a producer in payload mode sends it); `bytes`: the message's size as the
  // workload counts it (the payload, and message::kHeaderSize more where the header came in a
  // message header).
  virtual void OnMessage(std::size_t topic, std::uint32_t partition, std::int32_t broker,
                         std::span<const std::byte> header, std::size_t bytes, bool replayed) = 0;
  // True when OnMessage may wait (a worker pool's full queue, simulated work). The consumer then
  // keeps a client-side buffer between the socket and the listener, so that a slow consumer's
  // backlog is in brokerload (its to process) and not left in the broker (lost with a memory
  // stream when the server restarts). False: the client may call from the thread that reads.
  virtual bool MayWait() const { return false; }
  // The client library discarded `count` received messages of `topic` inside brokerload (e.g.
  // over its pending limits). Called from Consumer::Maintain's thread.
  virtual void OnClientDropped(std::size_t /*topic*/, std::uint64_t /*count*/) {}
};

class Consumer {
 public:
  virtual ~Consumer() = default;
  // Subscribes to every topic and starts delivering; returns true once messages published from
  // now on will be received, false (with `error`) by `timeout` or once `cancel` is set (seen
  // between requests to the broker: Kafka's wait up to 5 s each). What it started on the
  // client's thread (Kafka: the first assignment's end-offset lookup) keeps to `timeout` too and
  // ends within a request (Kafka: 1 s) once Start returned false.
  virtual bool Start(MessageListener& listener, std::chrono::milliseconds timeout,
                     const std::atomic<bool>& cancel, std::string& error) = 0;
  // Called about once a second from the housekeeping thread: restores subscriptions that a
  // broker restart lost. Bounded by the client's request timeout.
  virtual void Maintain() {}
  // The broker's view of one topic for this consumer, asked of the broker now (Backlog).
  struct TopicBacklog {
    // What the broker holds that the consumer has yet to hand to its listener: Kafka, the
    // partitions' end offsets minus the consumer's positions over its assignment (a position
    // below its partition's log start counts as at it: deleted records are not held); JetStream,
    // the stream's last sequence (delivered + pending) minus the last one handed over (brokerload's
    // client-side queue included).
    std::uint64_t messages = 0;
    // Everything the broker had stored at this time has been handed to the listener, or deleted
    // by the broker since (Kafka: retention, DeleteRecords): the end it reported when asked then
    // (every assigned partition's) is now reached. nullopt until a second answer shows it.
    std::optional<std::chrono::steady_clock::time_point> handed_stored_before;
    // Where the consumer acknowledges (JetStream with ack_policy all or explicit): what the
    // broker delivered and awaits the acknowledgement of (the consumer's num_ack_pending): those
    // delivered and not yet handed over (part of `messages`) and those handed over and not yet
    // acknowledged; nullopt where there are no acks.
    std::optional<std::uint64_t> ack_pending;
  };
  // Per topic (the consumer's topic index); nullopt where it cannot tell (no assignment covering
  // the topic, neither a position nor a start offset known, the connection down, no answer
  // within 500 ms, a consumer being restored, a topic not asked this time). Optional: the default
  // knows nothing (an empty vector: every topic unknown). Called about once a second from the
  // housekeeping thread, after Maintain, never from a thread that delivers messages, and never
  // concurrently with itself; it takes no lock that the message path takes for each message.
  // Waits for the broker at most about 500 ms in all (Kafka: one request; JetStream: one per
  // topic until the 500 ms are spent, the next call going on from there) and stops asking at the
  // first request that fails.
  virtual std::vector<std::optional<TopicBacklog>> Backlog() { return {}; }
  // The broker id of the consumer group's coordinator, asked of the broker now (Kafka: the group
  // described, FindCoordinator then DescribeGroups); nullopt without an answer within `timeout`,
  // or where the backend has no group (the default). Housekeeping's thread, never concurrently
  // with itself or TimedCommits; waits at most about `timeout`.
  virtual std::optional<std::int32_t> Coordinator(std::chrono::milliseconds /*timeout*/) {
    return std::nullopt;
  }
  // One commit of the consumed offsets that brokerload timed, as its coordinator answered it.
  struct CommitResult {
    std::chrono::nanoseconds latency{0};  // from the request to the coordinator's answer
    CommitFailure failure = CommitFailure::kNone;
  };
  struct TimedCommitsAnswer {
    std::vector<CommitResult> answered;  // at most one: one commit is outstanding at a time
    bool started = false;                // a new commit was started after them
  };
  // Housekeeping (its thread, never concurrently with Coordinator): the answers to timed commits
  // that arrived since the last call; then, when `start` and none is outstanding, the next timed
  // commit of the offsets already handed to the listener (Kafka: the stored offsets, exactly what
  // auto-commit commits at its next tick; it goes on as before). Never waits for the broker; the
  // answer is timed on the client's thread when it arrives, not when this is next called.
  // Default: no commits (JetStream acknowledges messages instead).
  virtual TimedCommitsAnswer TimedCommits(bool /*start*/) { return {}; }
  // Stops delivering and closes the subscription, within a bound each backend states whatever
  // the broker does (Kafka: kConsumerStopBound, kafka_consumer.hpp), plus a listener's OnMessage
  // under way. A close that the broker does not answer in time is abandoned: the broker ends the
  // membership itself (Kafka: after session.timeout.ms).
  virtual void Stop() = 0;
};

// What `brokerload cleanup` did on one target: each name with what became of it.
struct CleanupReport {
  std::vector<std::string> deleted;  // topics, streams or consumer groups
  std::vector<std::string> absent;   // already gone
  std::vector<std::string> kept;     // "<name>: <why>" (a group still in use, a refusal)
};

// Whether a run may still be using what cleanup would delete.
struct UseReport {
  std::vector<std::string> in_use;  // "<name>: <why>": a group with members, a stream's consumers
  std::uint64_t messages = 0;  // the topics' end offsets or the streams' last sequences, summed
};

// Connection state and client-level errors of one target, for metrics and logs. Written by client
// threads, read by scrapes. A target has several connections (a producer and a consumer per
// lane); each holds a Link, and the target is connected while it has at least one and none of
// them is down, so one lane's lost connection shows even while another's is up.
struct Health {
  bool Connected() const {
    const std::uint64_t links = links_.load();
    return (links >> 32) > 0 && (links & 0xffff'ffffU) == 0;
  }
  std::atomic<std::uint64_t> disconnects{0};
  std::atomic<std::uint64_t> client_errors{0};
  // The broker refused this client's credentials or certificate, or it spoke the wrong protocol:
  // set by the client; setup stops retrying once it is set.
  std::atomic<bool> refused{false};

 private:
  friend class Link;
  // Links registered (high 32 bits) and of those down (low 32 bits), one word so that a scrape
  // never sees a link registered but not yet counted down.
  std::atomic<std::uint64_t> links_{0};
};

// One connection's part in its target's Health: registered down on construction, up or down as
// the client sees it, gone on Close() or destruction (closing is not an outage: a callback after
// it changes nothing). Any thread; Up() and an already-up SetUp() are one atomic load, the rest
// take the link's own mutex (state changes only).
class Link {
 public:
  explicit Link(Health& health) : health_(health) { health_.links_.fetch_add(kLink + 1); }
  ~Link() { Close(); }
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  // True when it was down (the caller may log the recovery).
  bool SetUp() {
    if (up_.load(std::memory_order_relaxed)) return false;
    const std::lock_guard lock(mutex_);
    if (closed_ || up_.load()) return false;
    up_.store(true);
    health_.links_.fetch_sub(1);
    return true;
  }
  // True when it was up (the caller counts a disconnect).
  bool SetDown() {
    const std::lock_guard lock(mutex_);
    if (closed_ || !up_.load()) return false;
    up_.store(false);
    health_.links_.fetch_add(1);
    return true;
  }
  bool Up() const { return up_.load(std::memory_order_relaxed); }
  // Deregisters; idempotent.
  void Close() {
    const std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    health_.links_.fetch_sub(up_.load() ? kLink : kLink + 1);
  }

 private:
  static constexpr std::uint64_t kLink = std::uint64_t{1} << 32;
  Health& health_;
  std::mutex mutex_;
  std::atomic<bool> up_{false};
  bool closed_ = false;  // guarded by mutex_
};

}  // namespace brokerload::driver
