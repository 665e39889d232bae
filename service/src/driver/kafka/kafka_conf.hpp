#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "config/config.hpp"
#include "driver/kafka/kafka_handles.hpp"

// How brokerload's Kafka clients are configured: the one assembly of their librdkafka properties
// and the conf built from them. No client is created here.
namespace brokerload::driver::kafka {

// The clients brokerload makes: each has its own defaults and client.id.
enum class ClientKind : std::uint8_t {
  kProducer,  // targets.kafka.producer passes through
  kConsumer,  // targets.kafka.consumer passes through
  kAdmin,     // cleanup's: brokerload's connection settings only
};

// Every librdkafka property of a `kind` client, in the order they are applied (later ones win):
// bootstrap.servers and client.id, brokerload's defaults for the kind, targets.kafka.security,
// the kind's pass-through map, and for the producer last its debug property (the user's
// contexts plus "feature", which shows the brokers' ApiVersions: broker_release.hpp).
// `publish_timeout` is the producer's message.timeout.ms. Secrets included: for BuildConf only.
config::Properties ClientSettings(const config::KafkaTarget& target, ClientKind kind,
                                  std::chrono::milliseconds publish_timeout = {});

// The highest librdkafka log level a producer forwards to brokerload's log (syslog levels): the
// user's log_level (6 by default) unless the user asked for debug contexts (7), so that the
// "feature" context ClientSettings adds does not flood the log.
int ForwardedLogLevel(const config::Properties& producer);

// A conf with `settings` applied in order (later ones win); false with `error` naming the bad
// property (never a secret's value).
bool BuildConf(const config::Properties& settings, ConfPtr& conf, std::string& error);

// The librdkafka properties of targets.kafka.security (secrets included: for BuildConf only),
// applied after brokerload's defaults and before the producer/consumer pass-through maps.
config::Properties SecurityProperties(const config::KafkaSecurity& security);

// The effective value of a property of `conf` ("" when unset or longer than 255 bytes).
std::string ConfValue(const rd_kafka_conf_t* conf, const char* name);

// Installs `callback` as the conf's certificate verify callback when the client speaks TLS and
// verifies certificates (the conf's settings say so); otherwise leaves the conf alone.
void SetCertificateCallback(rd_kafka_conf_t* conf,
                            int (*callback)(rd_kafka_t*, const char*, int32_t, int*, int,
                                            const char*, size_t, char*, size_t, void*));

}  // namespace brokerload::driver::kafka
