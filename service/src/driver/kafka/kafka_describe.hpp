#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <vector>

#include "config/config.hpp"
#include "driver/driver.hpp"
#include "driver/kafka/broker_release.hpp"

// What a report says about a Kafka target: client, broker release and the settings that matter.
namespace brokerload::driver::kafka {

// The producer's description for reports: librdkafka's version, the effective producer settings
// that decide the outcome, and the brokers' release (Kafka does not report it to clients): inferred
// from `api_versions`, the ApiVersions answers the producer's connections recorded
// (DescribeBrokerVersion); where they name none, inter.broker.protocol.version read by
// DescribeConfigs (3.x has it), bounded by `timeout` per request (two requests).
Description DescribeProducer(rd_kafka_t* rk, const config::KafkaTarget& target,
                             std::vector<BrokerApis> api_versions,
                             std::chrono::milliseconds timeout);

}  // namespace brokerload::driver::kafka
