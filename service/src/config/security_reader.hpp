#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "config/config.hpp"
#include "config/loader.hpp"
#include "config/yaml_reader.hpp"

// The secured-connection parts of the config: targets.kafka.security, the NATS credentials and
// TLS keys, and the Kafka pass-through properties (vetted by the driver's PropertyCheck).
namespace brokerload::config {

void ReadKafkaSecurity(YamlReader& r, const YAML::Node& node, const std::string& path,
                       KafkaSecurity& out);

// Reads tls, user, password, token, nkey_seed_file and credentials_file of targets.nats.
void ReadNatsSecurity(YamlReader& r, const YAML::Node& nats, const std::string& path,
                      NatsTarget& out);

// metrics.tls and metrics.basic_auth.
void ReadMetricsSecurity(YamlReader& r, const YAML::Node& node, const std::string& path,
                         Metrics& out);

// targets.kafka.producer or .consumer: `${env:NAME}` values are resolved, literal secrets warned
// about, and each property vetted by `check` when it is set.
// With `security_set`, a property that targets.kafka.security sets is an error here (two places
// for one setting, the later silently winning).
void ReadClientProperties(YamlReader& r, const YAML::Node& map, const std::string& path,
                          const char* key, ClientRole role, const PropertyCheck& check,
                          bool security_set, Properties& out);

}  // namespace brokerload::config
