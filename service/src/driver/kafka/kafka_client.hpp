#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "driver/driver.hpp"

// librdkafka ownership and the few helpers the Kafka producer and consumer share.
namespace brokerload::driver::kafka {

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
struct TopicDeleter {
  void operator()(rd_kafka_topic_t* rkt) const { rd_kafka_topic_destroy(rkt); }
};
using KafkaPtr = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using TopicPtr = std::unique_ptr<rd_kafka_topic_t, TopicDeleter>;

// The one mapping from librdkafka's errors to the engine's Status.
Status MapError(rd_kafka_resp_err_t err);

// A conf with `settings` applied in order (later ones win); false with `error` naming the bad
// property.
bool BuildConf(const config::Properties& settings, ConfPtr& conf, std::string& error);

// Creates the client; the conf passes to librdkafka only on success.
KafkaPtr NewClient(rd_kafka_type_t type, ConfPtr conf, std::string& error);

// What a client's error callback does: feeds `health`, and logs once per change of connection
// state rather than at every retry.
void ReportClientError(int err, const char* reason, Health& health);

// Creates the topics that do not exist yet; false with `error` when the broker refuses.
bool CreateTopics(rd_kafka_t* rk, const std::vector<std::string>& topics,
                  const config::KafkaTopicSettings& settings, std::chrono::milliseconds timeout,
                  std::string& error);

// Waits until the client has metadata for `topic` in which every partition has a leader; sets
// `partitions`. False with `error` after `timeout`.
bool WaitForLeaders(rd_kafka_t* rk, rd_kafka_topic_t* topic, std::chrono::milliseconds timeout,
                    std::size_t& partitions, std::string& error);

// The producer's description for reports: librdkafka's version, the effective producer settings
// that decide the outcome, and what the broker says of its version (Kafka does not report its
// release to clients; inter.broker.protocol.version is read where the broker has it). Asks the
// broker, bounded by `timeout`.
Description DescribeProducer(rd_kafka_t* rk, const config::KafkaTarget& target,
                             std::chrono::milliseconds timeout);

}  // namespace brokerload::driver::kafka
