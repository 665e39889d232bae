#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "accounting/target_accounting.hpp"
#include "app/group_watch.hpp"
#include "app/lane.hpp"
#include "app/leader_watch.hpp"
#include "app/problem_log.hpp"
#include "config/config.hpp"
#include "driver/factory.hpp"
#include "pacing/clock.hpp"
#include "pacing/publisher.hpp"
#include "pacing/schedule.hpp"
#include "workers/pool.hpp"

// Everything one target (kafka or nats) runs on, owned in one place: its accounting, its lanes'
// ends (app/lane.hpp), its clients and its publishers. Member order is teardown order in reverse:
// the publisher threads go first, then the clients, then the lane ends and the accounting that
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

// What every target of one engine shares; each outlives the targets.
struct TargetContext {
  const config::Config& config;  // the run's (ForRun)
  accounting::RunIdentity identity;
  const pacing::Clock& clock;
  const pacing::Schedule& schedule;
  workers::Pool& pool;
  ClientFactory create_clients;
};

class TargetRuntime {
 public:
  // `index`: the target's place in the engine; `phases`: accounting phases (see
  // accounting::TargetAccounting), with per-phase latency detail when `phase_histograms`.
  TargetRuntime(driver::Backend backend, std::uint8_t index, std::vector<std::string> topics,
                std::size_t phases, bool phase_histograms, const TargetContext& context);
  ~TargetRuntime();
  TargetRuntime(const TargetRuntime&) = delete;
  TargetRuntime& operator=(const TargetRuntime&) = delete;

  const std::string& Name() const { return name_; }
  // What its producers' clients say they sent (driver::Producer::SentBytes), summed over its
  // lanes; nullopt while any lane's is unknown. Any thread.
  std::optional<std::uint64_t> SentBytes() const;
  // The longest of its producers' driver::Producer::SentBytesDelay.
  std::chrono::milliseconds SentBytesDelay() const;
  driver::Backend Backend() const { return backend_; }
  const std::vector<std::string>& Topics() const { return topics_; }
  accounting::TargetAccounting& Accounting() { return *accounting_; }
  const accounting::TargetAccounting& Accounting() const { return *accounting_; }
  const driver::Health& Health() const { return health_; }
  // Who leads its partitions or streams: asked once Setup succeeded, then by Maintain.
  const LeaderWatch& Leaders() const { return leaders_; }
  // Kafka: its consumer groups' coordinators and timed commits, refreshed by Maintain.
  const GroupWatch& Groups() const { return groups_; }
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
  // `deadline` (RetrySetup); false with `error` when it never succeeded or `cancel` was set.
  bool Setup(const std::atomic<bool>& cancel, std::chrono::steady_clock::time_point deadline,
             std::string& error);
  // After Setup, in a full instance (the other roles have only one end: ready after Setup): the
  // probe round trip (ProbeRoundTrip), then the versions and settings (Description). False with
  // `error` as ProbeRoundTrip.
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
  // consumers' backlogs as the broker sees them, the loss sweep, every LeaderWatch::kInterval the
  // leaders (each may wait for the broker, bounded; never on the publisher's thread), Kafka's
  // group coordinators and timed commits (GroupWatch), and every tenth call the problem log.
  void Maintain(std::int64_t now_ns, std::int64_t loss_grace_ns);

 private:
  // Creates lane k's clients and starts its consumer (one Setup attempt's part).
  bool CreateLane(std::size_t k, std::chrono::steady_clock::time_point deadline,
                  const std::atomic<bool>& cancel, std::string& error);
  void RecordBrokerBacklogs(std::int64_t now_ns);
  // Kafka: GroupWatch::Refresh over the lanes' consumers.
  void WatchGroups();
  // JetStream: each topic's latencies under the server leading its stream (cnats names none), as
  // the leaders were last asked.
  void AttributeStreams();
  // Once, when the latency by broker met more brokers than it keeps.
  void WarnBrokerOverflow();

  driver::Backend backend_;
  std::string name_;
  TargetContext context_;
  config::Role role_;
  std::vector<std::string> topics_;
  ProblemLog problems_;
  LeaderWatch leaders_;
  GroupWatch groups_;
  int maintain_calls_ = 0;
  bool overflow_warned_ = false;  // Maintain's thread
  driver::Description description_;
  std::unique_ptr<accounting::TargetAccounting> accounting_;
  driver::Health health_;
  std::vector<std::unique_ptr<LaneListener>> lane_listeners_;  // per lane; outlive clients_
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
