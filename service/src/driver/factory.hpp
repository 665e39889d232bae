#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "config/property_check.hpp"
#include "driver/driver.hpp"

namespace brokerload::driver {

enum class Backend { kKafka, kNats };

constexpr std::string_view BackendName(Backend backend) {
  return backend == Backend::kKafka ? "kafka" : "nats";
}

struct Clients {
  std::unique_ptr<Producer> producer;
  std::unique_ptr<Consumer> consumer;
};

// The check of client pass-through properties that config::LoadFile takes (librdkafka's, on a
// scratch conf): so that validate-config finds a misspelt property, not a broker outage.
config::PropertyVerdict CheckClientProperty(config::ClientRole role, const std::string& name,
                                            const std::string& value);

// The client libraries this process runs with, as they report themselves (name, version), and
// the NATS data path this build has ("nats data path", reader_handler.hpp's DataPath).
std::vector<std::pair<std::string, std::string>> ClientLibraries();

// Starts the client libraries' process-wide threads (cnats') ahead of any measurement.
void InitializeClientLibraries();

// The one place that picks a backend: connects a producer and a consumer on separate
// connections and creates topics or streams when the config asks for it. With run.role
// produce-only there is no consumer; a consume-only instance has a producer all the same, which
// creates the topics (and sends nothing): its consumers can then listen before any producer
// instance started. On failure, returns false with `error` naming the target and what went
// wrong. Waits for the broker end by `deadline` (cnats' connect timeout bounds NATS' connection),
// and soon after `cancel` is set: within about half a second for Kafka's waits for an answer and
// for leaders, after the request in flight for NATS' stream creation. The producer knows every
// topic of `topics` by its index there; the consumer subscribes to `consumer_topics` (indexes in
// MessageListener calls are into that list), or to `topics` when it is null. Without
// `with_producer`, only the consumer (a consume-only instance's further connections).
bool CreateClients(Backend backend, const config::Config& config,
                   const std::vector<std::string>& topics, AckListener& acks, Health& health,
                   std::chrono::steady_clock::time_point deadline, const std::atomic<bool>& cancel,
                   Clients& clients, std::string& error,
                   const std::vector<std::string>* consumer_topics = nullptr,
                   bool with_producer = true);

// `brokerload cleanup`: deletes what a config's runs created on one target: `topics` (Kafka
// topics, JetStream streams) and, on Kafka, the consumer groups its runs joined (never another
// name). With `dry_run`, lists instead. False with `error` when the broker cannot be reached
// within `timeout` (cnats' own timeouts bound NATS) or refuses the whole request.
bool Cleanup(Backend backend, const config::Config& config, const std::vector<std::string>& topics,
             bool dry_run, std::chrono::milliseconds timeout, CleanupReport& report,
             std::string& error);

// What may still use `topics` on one target (cleanup's --wait): Kafka consumer groups of the
// config's runs that have members, and how far the topics or streams have grown. False with
// `error` as Cleanup.
bool Activity(Backend backend, const config::Config& config, const std::vector<std::string>& topics,
              std::chrono::milliseconds timeout, UseReport& use, std::string& error);

}  // namespace brokerload::driver
