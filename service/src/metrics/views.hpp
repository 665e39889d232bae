#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounting/target_accounting.hpp"
#include "config/config.hpp"
#include "driver/driver.hpp"

// What the exporter reads of the rest of brokerload: narrow views that the app fills, so that
// metrics depends on neither the publisher (pacing) nor the worker pool (workers). Probes are
// called at scrape time on the scraping thread, under the exporter's lock: they must not block.
namespace brokerload::metrics {

// A target's publisher as one scrape sees it (lane 0: every lane has the same stage, rate and
// real-time state).
struct PublisherSnapshot {
  std::string_view stage;  // the current stage's name; valid for the life of the probe
  double rate = 0;         // what the stage asks for, msg/s: +Inf unpaced, 0 once the profile ended
  std::optional<bool> realtime;  // the thread may run under SCHED_FIFO; nullopt: no thread to ask
};
using PublisherProbe = std::function<PublisherSnapshot()>;

// Messages waiting for a worker, over all workers.
using QueueDepthProbe = std::function<std::size_t()>;

// The outcome of one config reload attempt, as brokerload_config_reloads_total{result} counts it.
enum class ReloadOutcome { kApplied, kUnchanged, kRefused, kInvalid };
inline constexpr std::size_t kReloadOutcomes = 4;

// How many of a target's partitions (Kafka) or streams (JetStream) one broker leads.
struct BrokerLeads {
  std::string broker;  // Kafka: the broker id; JetStream: the server name
  std::uint32_t led = 0;

  bool operator==(const BrokerLeads&) const = default;
};
// The counts last known, one per broker (zeros included); empty while none is known. May take a
// mutex that its writer holds only to swap in a new answer.
using LeadsProbe = std::function<std::vector<BrokerLeads>()>;

// A Kafka target's consumer groups (one per lane) as housekeeping last saw them: who coordinates
// them, and the commits brokerload timed against them (Consumer::TimedCommits).
struct GroupCommits {
  struct Coordinator {
    std::string broker;        // the broker id
    std::uint32_t groups = 0;  // of this target's groups, how many it coordinates
  };
  struct Latency {
    std::string broker;  // the coordinator when the commit started; "unknown" while none known
    accounting::HistogramSnapshot committed;  // request to answer, of the commits that succeeded
  };
  struct Failures {
    std::string broker;       // as Latency::broker
    std::string_view reason;  // driver::CommitFailureName
    std::uint64_t count = 0;
  };
  std::vector<Coordinator> coordinators;  // empty while none is known
  std::vector<Latency> latency;
  std::vector<Failures> failures;
};
// A copy under a mutex that its writer (housekeeping) holds only to record or swap in an answer.
using GroupCommitsProbe = std::function<GroupCommits()>;

// A target that is set up and running. The pointers and the probe must outlive the exporter's use
// of the target (until the caller stops serving scrapes).
struct TargetView {
  std::string name;  // kafka | nats
  std::vector<std::string> topics;
  const accounting::TargetAccounting* accounting = nullptr;
  const driver::Health* health = nullptr;
  PublisherProbe publisher = {};  // empty where no publisher runs (consume-only)
  // Broker and client versions, as the producer described them at start (fixed for the run).
  std::string broker_version = {};
  std::string client_version = {};
  config::Role role = config::Role::kFull;
  // Its consumers acknowledge (JetStream with ack_policy all or explicit): it exports
  // brokerload_broker_ack_pending_messages.
  bool consumer_acks = false;
  // Who leads its partitions or streams (brokerload_broker_partitions_led); empty: not exported.
  LeadsProbe leads = {};
  // The `broker` label of a number its accounting's per-broker latencies hold (JetStream: a
  // server's name); empty: the number itself (Kafka's broker ids).
  std::function<std::string(std::int32_t)> broker_name = {};
  // Kafka: its consumer groups' coordinators and timed commits; empty: not exported.
  GroupCommitsProbe commits = {};
  // What its producers' clients say they sent (driver::Producer::SentBytes, over its lanes);
  // empty, or nullopt while unknown: not exported.
  std::function<std::optional<std::uint64_t>()> sent_bytes = {};
};

}  // namespace brokerload::metrics
