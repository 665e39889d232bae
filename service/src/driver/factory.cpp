#include "driver/factory.hpp"

#include "driver/kafka/kafka_cleanup.hpp"
#include "driver/kafka/kafka_client.hpp"
#include "driver/kafka/kafka_consumer.hpp"
#include "driver/kafka/kafka_producer.hpp"
#include "driver/kafka/kafka_properties.hpp"
#include "driver/nats/nats_cleanup.hpp"
#include "driver/nats/nats_client.hpp"
#include "driver/nats/nats_consumer.hpp"
#include "driver/nats/nats_producer.hpp"
#include "driver/nats/reader_handler.hpp"

namespace brokerload::driver {

config::PropertyVerdict CheckClientProperty(config::ClientRole role, const std::string& name,
                                            const std::string& value) {
  return kafka::CheckProperty(role, name, value);
}

void InitializeClientLibraries() { nats::OpenLibrary(); }

std::vector<std::pair<std::string, std::string>> ClientLibraries() {
  return {{"librdkafka", kafka::LibraryVersion()},
          {"cnats", nats::LibraryVersion()},
          {"nats data path", nats::DataPath()}};
}

bool CreateClients(Backend backend, const config::Config& config,
                   const std::vector<std::string>& topics, AckListener& acks, Health& health,
                   std::chrono::steady_clock::time_point deadline, const std::atomic<bool>& cancel,
                   Clients& clients, std::string& error,
                   const std::vector<std::string>* consumer_topics, bool with_producer) {
  const bool consumes = config.run.role != config::Role::kProduceOnly;
  const std::vector<std::string>& subscribed = consumer_topics ? *consumer_topics : topics;
  std::string detail;
  if (backend == Backend::kKafka) {
    if (with_producer) {
      clients.producer = kafka::CreateProducer(*config.kafka, config.run, topics, acks, health,
                                               deadline, cancel, detail, config.workload);
    }
    if ((clients.producer || !with_producer) && consumes)
      clients.consumer =
          kafka::CreateConsumer(*config.kafka, subscribed, health, detail, config.workload);
  } else {
    if (with_producer) {
      clients.producer = nats::CreateProducer(*config.nats, config.run, topics, acks, health,
                                              deadline, cancel, detail, config.workload);
    }
    if ((clients.producer || !with_producer) && consumes)
      clients.consumer =
          nats::CreateConsumer(*config.nats, subscribed, health, detail, config.workload);
  }
  if ((clients.producer || !with_producer) && (clients.consumer || !consumes)) return true;
  error = std::string(BackendName(backend)) + ": " + detail;
  clients = {};
  return false;
}

bool Cleanup(Backend backend, const config::Config& config, const std::vector<std::string>& topics,
             bool dry_run, std::chrono::milliseconds timeout, CleanupReport& report,
             std::string& error) {
  if (backend == Backend::kKafka) {
    return kafka::Cleanup(*config.kafka, topics, dry_run, timeout, report, error);
  }
  return nats::Cleanup(*config.nats, topics, dry_run, report, error);
}

bool Activity(Backend backend, const config::Config& config, const std::vector<std::string>& topics,
              std::chrono::milliseconds timeout, UseReport& use, std::string& error) {
  if (backend == Backend::kKafka)
    return kafka::Activity(*config.kafka, topics, timeout, use, error);
  return nats::Activity(*config.nats, topics, use, error);
}

}  // namespace brokerload::driver
