#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "accounting/latency_histogram.hpp"
#include "driver/driver.hpp"
#include "metrics/views.hpp"

// A Kafka target's consumer groups (one per lane): which broker coordinates each, asked every
// kInterval by housekeeping (never on the message path) and logged when it changes; and the
// commits brokerload times against them (driver::Consumer::TimedCommits), one per group every
// kInterval, each recorded under the coordinator its group had when it started. Read by the
// exporter (brokerload_kafka_group_coordinator, brokerload_broker_commit_latency_seconds,
// brokerload_broker_commit_failures_total).
namespace brokerload::app {

// The info line naming each group's coordinator, "kafka: consumer group coordinator: g-1 at
// broker 2" ("coordinators: g-c0 at broker 2, g-c1 at broker 3" for several groups; "broker
// unknown" for a group whose coordinator never answered).
std::string CoordinatorLine(std::string_view target, const std::vector<std::string>& groups,
                            const std::vector<std::optional<std::int32_t>>& coordinators);

class GroupWatch {
 public:
  using Clock = std::chrono::steady_clock;
  // Between two asks of the coordinators, and between two timed commits of one group.
  static constexpr std::chrono::seconds kInterval{5};
  // The most one ask of a coordinator waits for the broker.
  static constexpr std::chrono::milliseconds kTimeout{500};
  // The broker label of a commit started while its group's coordinator was unknown.
  static constexpr std::string_view kUnknown = "unknown";

  explicit GroupWatch(std::string target) : target_(std::move(target)) {}

  // Housekeeping (one thread): `consumers`, one per lane (null where a lane has none), in
  // `groups` (the same order; the log line's names). Takes the
  // answers of earlier timed commits every call; at the first call and then once kInterval has
  // passed since the last, asks each consumer its coordinator (waiting up to `timeout` each;
  // without an answer the last one stays) and starts its next timed commit. Logs the
  // coordinators (info) at the first answer and whenever they change.
  void Refresh(const std::vector<driver::Consumer*>& consumers,
               const std::vector<std::string>& groups, Clock::time_point now,
               std::chrono::milliseconds timeout = kTimeout);
  // What the exporter reads; any thread.
  metrics::GroupCommits Snapshot() const;

 private:
  void Record(const std::string& broker, const driver::Consumer::CommitResult& result);

  std::string target_;
  std::optional<Clock::time_point> asked_;                 // Refresh's thread only
  std::vector<std::optional<std::int32_t>> coordinators_;  // the same: per lane, last answer
  std::vector<std::string> committed_under_;  // the same: per lane, label of the last commit
  std::string logged_;                        // the same: the line last logged
  mutable std::mutex mutex_;
  std::vector<metrics::GroupCommits::Coordinator> counted_;                          // mutex_
  std::map<std::string, std::unique_ptr<accounting::LatencyHistogram>> latency_;     // mutex_
  std::map<std::pair<std::string, driver::CommitFailure>, std::uint64_t> failures_;  // mutex_
};

}  // namespace brokerload::app
