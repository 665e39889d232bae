#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "driver/driver.hpp"
#include "driver/kafka/kafka_errors.hpp"

// Making a run's topics ready: creating them, waiting for their partitions' leaders; and who
// leads them.
namespace brokerload::driver::kafka {

// Creates the topics that do not exist yet, each with `partitions` (settings.partitions resolved:
// PartitionsToCreate) and the rest of `settings`; false with `error` when the broker refuses or
// does not answer within `timeout`. A refusal by the authorizer (no Create ACL) is also recorded
// in `fatal` as "not authorized: …": waiting cannot fix it.
bool CreateTopics(rd_kafka_t* rk, const std::vector<std::string>& topics,
                  const config::KafkaTopicSettings& settings, int partitions,
                  std::chrono::milliseconds timeout, FatalError& fatal, std::string& error);

// The partitions each new topic gets: the configured count, or with per_broker the number of
// brokers the cluster's metadata lists now (at least 1; one request waiting up to `timeout`).
// nullopt with `error` when per_broker and no broker answered.
std::optional<int> PartitionsToCreate(rd_kafka_t* rk, const config::PartitionCount& partitions,
                                      std::chrono::milliseconds timeout, std::string& error);

// Leadership (driver.hpp) of every partition of `topics` as one metadata request for the topics
// this client knows says, waiting up to `timeout`: the brokers it lists by id, each partition's
// leader id ("" for one without a leader). A topic missing from the answer adds no partition.
// nullopt when no broker answered.
std::optional<Leadership> PartitionLeaders(rd_kafka_t* rk, const std::vector<std::string>& topics,
                                           std::chrono::milliseconds timeout);

// Waits until the client has metadata for `topic` in which every partition has a leader; sets
// `partitions`. False with `error` after `timeout` (each request waits at most 5 s or what is left
// of it), or at once when the authorizer refuses the topic's metadata (no Describe ACL), which is
// then recorded in `fatal` as "not authorized: …".
// `cancelled`, when set, is asked between requests: true ends the wait (false, "cancelled").
bool WaitForLeaders(rd_kafka_t* rk, rd_kafka_topic_t* topic, std::chrono::milliseconds timeout,
                    FatalError& fatal, std::size_t& partitions, std::string& error,
                    const std::function<bool()>& cancelled = {});

}  // namespace brokerload::driver::kafka
