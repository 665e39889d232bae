#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "driver/driver.hpp"
#include "driver/factory.hpp"
#include "metrics/views.hpp"

// Which broker leads each of a target's partitions (Kafka) or streams (JetStream), counted per
// broker: a broker that leads none receives no message first, so brokerload measures nothing of
// it. Asked of the target's producer once at the end of setup and then every kInterval by
// housekeeping, never on the message path; logged when the spread changes; read by the exporter
// (brokerload_broker_partitions_led).
namespace brokerload::app {

// How many of `leadership`'s leaders each broker is: one entry per broker it lists (0 for one
// that leads none) and one per leader it does not list, ordered by broker name (numerically
// where both names are numbers: Kafka's ids). An unknown leader ("") counts for no broker.
std::vector<metrics::BrokerLeads> CountLeads(const driver::Leadership& leadership);

// What a target's log lines call its brokers and what they lead.
struct LeaderWords {
  const char* broker;  // "broker" | "server"
  const char* led;     // "partition" | "stream"
  const char* remedy;  // how to make every broker lead one
};
LeaderWords WordsFor(driver::Backend backend);

// The info line: "kafka: partition leaders: broker 1 leads 2, broker 2 leads 1 (3 partitions)",
// with ", 1 without a leader" inside the parentheses when `without_leader` > 0.
std::string SpreadLine(std::string_view target, const LeaderWords& words,
                       const std::vector<metrics::BrokerLeads>& counts, std::size_t without_leader);
// The warning naming every broker of `counts` that leads none, with the remedy; "" when each
// leads one.
std::string NoneLedLine(std::string_view target, const LeaderWords& words,
                        const std::vector<metrics::BrokerLeads>& counts);

// One target's leadership as last asked. Refresh from one thread at a time (the target's setup,
// then housekeeping); Counts from any thread.
class LeaderWatch {
 public:
  using Clock = std::chrono::steady_clock;
  // Between two asks: a leader change shows within this plus one housekeeping tick.
  static constexpr std::chrono::seconds kInterval{5};
  // The most one ask waits for the broker from housekeeping.
  static constexpr std::chrono::milliseconds kTimeout{500};

  LeaderWatch(std::string target, driver::Backend backend)
      : target_(std::move(target)), words_(WordsFor(backend)) {}

  // Asks `producer` (Producer::Leaders, waiting up to `timeout`) at the first call and then once
  // `kInterval` has passed since the last ask; `now` is the caller's reading of Clock. Logs the
  // spread (info) and the brokers that lead none (warning) at the first answer and whenever the
  // counts change. Without an answer the last one stays.
  void Refresh(driver::Producer& producer, Clock::time_point now,
               std::chrono::milliseconds timeout = kTimeout);
  // The last answer's counts (CountLeads); empty before the first. A copy under a mutex that
  // Refresh holds only to swap in a new answer.
  std::vector<metrics::BrokerLeads> Counts() const;
  const LeaderWords& Words() const { return words_; }
  // The last answer's leaders (driver::Leadership::leaders) as numbers that NameOf turns back
  // into names: each name's place in the order first seen, from 0. Where an answer names no
  // leader (an election), the one an earlier answer named stays; driver::kUnknownBroker until
  // one is named. For the per-broker latencies of a target whose client names no broker
  // (JetStream: the server leading each stream). Refresh's thread only.
  std::vector<std::int32_t> LeaderNumbers();
  // The name of a number LeaderNumbers gave; "" for any other. Any thread.
  std::string NameOf(std::int32_t number) const;

 private:
  std::string target_;
  LeaderWords words_;
  std::optional<Clock::time_point> asked_;  // Refresh's thread only
  std::string logged_;                      // the same: the spread line last logged
  std::vector<std::string> leaders_;        // the same: the last answer's leaders
  std::vector<std::int32_t> numbers_;       // the same: LeaderNumbers' last result
  mutable std::mutex mutex_;
  std::vector<metrics::BrokerLeads> counts_;  // guarded by mutex_
  std::vector<std::string> names_;            // guarded by mutex_: LeaderNumbers' names
};

}  // namespace brokerload::app
