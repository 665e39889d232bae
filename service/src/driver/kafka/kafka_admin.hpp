#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "driver/kafka/kafka_errors.hpp"

// Making a run's topics ready: creating them, waiting for their partitions' leaders.
namespace brokerload::driver::kafka {

// Creates the topics that do not exist yet; false with `error` when the broker refuses or does not
// answer within `timeout`. A refusal by the authorizer (no Create ACL) is also recorded in `fatal`
// as "not authorized: …": waiting cannot fix it.
bool CreateTopics(rd_kafka_t* rk, const std::vector<std::string>& topics,
                  const config::KafkaTopicSettings& settings, std::chrono::milliseconds timeout,
                  FatalError& fatal, std::string& error);

// Waits until the client has metadata for `topic` in which every partition has a leader; sets
// `partitions`. False with `error` after `timeout` (each request waits at most 5 s or what is left
// of it), or at once when the authorizer refuses the topic's metadata (no Describe ACL), which is
// then recorded in `fatal` as "not authorized: …".
// `cancelled`, when set, is asked between requests: true ends the wait (false, "cancelled").
bool WaitForLeaders(rd_kafka_t* rk, rd_kafka_topic_t* topic, std::chrono::milliseconds timeout,
                    FatalError& fatal, std::size_t& partitions, std::string& error,
                    const std::function<bool()>& cancelled = {});

}  // namespace brokerload::driver::kafka
