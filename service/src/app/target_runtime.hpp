#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "accounting/target_accounting.hpp"
#include "config/config.hpp"
#include "driver/factory.hpp"
#include "pacing/clock.hpp"
#include "pacing/publisher.hpp"
#include "pacing/schedule.hpp"
#include "workers/pool.hpp"

// Everything one target (kafka or nats) runs on, owned in one place. Member order is teardown
// order in reverse: the publisher threads go first, then the clients, then the accounting that
// their callbacks write to.
//
// With workload.publishers N > 1 a target has N lanes (pacing::Lane): lane k has a producer
// connection and publisher thread of its own, which send the schedule's messages n % N == k (to
// topics t % N == k), and a consumer connection of its own that reads those topics (Kafka: in
// consumer group <group>-c<k>, so that no lane's join rebalances another's). One accounting
// serves all lanes.
namespace brokerload::app {

// Makes a target's clients, with driver::CreateClients's contract (its parameters in its order);
// the engine's unit tests pass fakes.
using ClientFactory = std::function<bool(
    driver::Backend backend, const config::Config& config, const std::vector<std::string>& topics,
    driver::AckListener& acks, driver::Health& health,
    std::chrono::steady_clock::time_point deadline, const std::atomic<bool>& cancel,
    driver::Clients& clients, std::string& error, const std::vector<std::string>* consumer_topics,
    bool with_producer)>;

class TargetRuntime final : public driver::MessageListener {
 public:
  // `phases`: accounting phases (see accounting::TargetAccounting), with per-phase latency
  // detail when `phase_histograms`.
  TargetRuntime(driver::Backend backend, std::uint8_t index, const config::Config& config,
                std::vector<std::string> topics, accounting::RunIdentity identity,
                const pacing::Clock& clock, const pacing::Schedule& schedule, std::size_t phases,
                bool phase_histograms, ClientFactory create_clients);
  ~TargetRuntime() override;

  const std::string& Name() const { return name_; }
  driver::Backend Backend() const { return backend_; }
  const std::vector<std::string>& Topics() const { return topics_; }
  accounting::TargetAccounting& Accounting() { return *accounting_; }
  const accounting::TargetAccounting& Accounting() const { return *accounting_; }
  const driver::Health& Health() const { return health_; }
  // Lane 0's publisher and thread (stage, rate, real-time state: the same in every lane); null
  // before StartPublishing and in consume-only.
  const pacing::Publisher* Publisher() const {
    return publishers_.empty() ? nullptr : publishers_.front().get();
  }
  const pacing::PublisherThread* PublisherThread() const {
    return publisher_threads_.empty() ? nullptr : publisher_threads_.front().get();
  }
  // True once every lane sent the last message of a bounded profile; false in consume-only.
  bool PublishingFinished() const;

  // Connects, creates topics or streams (with a leader for every Kafka partition), and
  // subscribes (with an assignment covering every topic), retrying once a second until
  // `deadline`; false with `error` when it never succeeded or `cancel` was set.
  bool Setup(workers::Pool& pool, const std::atomic<bool>& cancel,
             std::chrono::steady_clock::time_point deadline, std::string& error);
  // The readiness proof: one probe message to every partition of every topic, each received
  // back by this run's consumers (resent every 2 s while missing). Probes never enter the
  // counts. Call after Setup and before StartPublishing, from one thread. False with `error`
  // naming the topics still missing at `deadline`, or once `cancel` is set. Only a full
  // instance has both ends of the round trip: the other roles are ready after Setup.
  bool Probe(const std::atomic<bool>& cancel, std::chrono::steady_clock::time_point deadline,
             std::string& error);
  // Versions and settings, read once by Probe (full only: compare's reports).
  const driver::Description& Description() const { return description_; }
  // Starts sending on the common schedule, one thread per lane (not in consume-only).
  void StartPublishing(std::int64_t start_ns);
  // Hands every lane's publisher `schedule` from `start_ns` with the workload's sizes and payload
  // and the run's max_send_lag and min_wake (pacing::Publisher::Offer). `schedule` outlives this.
  // After StartPublishing; never blocks the publisher.
  void Reload(const config::Workload& workload, const config::Run& run,
              const pacing::Schedule& schedule, std::int64_t start_ns);
  // Stops sending and waits (bounded) for outstanding acknowledgements.
  bool StopPublishing(std::chrono::milliseconds flush_timeout);
  // True once every acknowledged message has been received; always in produce-only and
  // consume-only, which have no own messages to wait for.
  bool Drained() const;
  void StopConsuming();
  // Housekeeping, about once a second: the producer's and consumer's upkeep after reconnects, the
  // consumers' backlogs as the broker sees them, and the loss sweep (each may wait for the
  // broker, bounded; never on the publisher's thread).
  void Maintain(std::int64_t now_ns, std::int64_t loss_grace_ns);

  // Each lane's LaneAcks passes its producer's acks here (the producer's ack thread; timeouts
  // also housekeeping's: driver::AckListener).
  void OnAck(std::span<const std::byte> payload);
  void OnAckFailed(std::span<const std::byte> payload, driver::Status status);
  // driver::MessageListener (called on the consumer's threads)
  void OnMessage(std::size_t topic, std::uint32_t partition, std::span<const std::byte> payload,
                 bool replayed) override;
  bool MayWait() const override {
    return pool_->Size() > 0 || config_.workload.work != config::WorkMode::kNone;
  }
  void OnClientDropped(std::size_t topic, std::uint64_t count) override;

 private:
  // Lane k's producer's acks: counted by the target, and rung on the lane's doorbell so that an
  // unpaced publisher with a full window sleeps until it has room (pacing::Doorbell).
  class LaneAcks final : public driver::AckListener {
   public:
    explicit LaneAcks(TargetRuntime& target) : target_(target) {}
    void OnAck(std::span<const std::byte> payload) override {
      target_.OnAck(payload);
      doorbell.Settled();
    }
    void OnAckFailed(std::span<const std::byte> payload, driver::Status status) override {
      target_.OnAckFailed(payload, status);
      doorbell.Settled();
    }
    pacing::Doorbell doorbell;

   private:
    TargetRuntime& target_;
  };

  // Lane k's consumer listener: its topic i is the target's topic k + i * N.
  class LaneListener final : public driver::MessageListener {
   public:
    LaneListener(TargetRuntime& target, std::size_t lane, std::size_t lanes)
        : target_(target), lane_(lane), lanes_(lanes) {}
    void OnMessage(std::size_t topic, std::uint32_t partition, std::span<const std::byte> payload,
                   bool replayed) override {
      target_.OnMessage(lane_ + topic * lanes_, partition, payload, replayed);
    }
    void OnClientDropped(std::size_t topic, std::uint64_t count) override {
      target_.OnClientDropped(lane_ + topic * lanes_, count);
    }
    bool MayWait() const override { return target_.MayWait(); }

   private:
    TargetRuntime& target_;
    std::size_t lane_;
    std::size_t lanes_;
  };

  std::size_t WorkerFor(const accounting::WorkItem& item);
  void LogProblems();

  // Totals at the last problem log, so that each log line reports one interval.
  struct ProblemTotals {
    std::uint64_t errors = 0;
    std::uint64_t lost = 0;
    std::uint64_t dropped = 0;
    std::uint64_t late = 0;
    std::uint64_t published = 0;
    std::uint64_t too_many_sources = 0;
  };
  ProblemTotals logged_;
  int maintain_calls_ = 0;

  driver::Backend backend_;
  ClientFactory create_clients_;
  std::string name_;
  const config::Config& config_;
  config::Role role_;
  std::vector<std::string> topics_;
  accounting::RunIdentity identity_;
  const pacing::Clock& clock_;
  const pacing::Schedule& schedule_;
  workers::Pool* pool_ = nullptr;
  driver::Description description_;
  std::unique_ptr<accounting::TargetAccounting> accounting_;
  driver::Health health_;
  std::vector<std::unique_ptr<LaneListener>> lane_listeners_;  // N > 1 only
  std::vector<std::unique_ptr<LaneAcks>> lane_acks_;           // per lane; outlive clients_
  std::vector<driver::Clients> clients_;                       // per lane
  std::vector<std::unique_ptr<pacing::Publisher>> publishers_;
  std::vector<std::unique_ptr<pacing::PublisherThread>> publisher_threads_;
};

// What `run` and `compare` share around their targets.

// <topic_prefix>-0 .. <topic_prefix>-(topics - 1); with topics_per_replica,
// <topic_prefix>-p<producer id>-0 .. -(topics - 1).
std::vector<std::string> TopicNames(const config::Workload& workload, std::uint32_t producer_id);

// A fresh run id; the producer id from BROKERLOAD_PRODUCER_ID (each replica sets its own).
accounting::RunIdentity NewRunIdentity();

// The config a run uses: a Kafka consumer group of its own, <consumer_group>-<run id>, so that a
// crashed run's stale member never delays the next (the first assignment starts at the end).
config::Config ForRun(const config::Config& config, const accounting::RunIdentity& identity);

// Stops publishing on every target, flushing until `deadline`, then waits until the consumers have
// caught up or `deadline` passed; true when they caught up. Consumers keep running.
bool Drain(const std::vector<std::unique_ptr<TargetRuntime>>& targets,
           std::chrono::steady_clock::time_point deadline);

}  // namespace brokerload::app
