#pragma once

#include <yaml-cpp/yaml.h>

#include "config/config.hpp"
#include "config/property_check.hpp"
#include "config/yaml_reader.hpp"

// The targets section of the config: targets.kafka and targets.nats, their topic and stream
// settings (their security and client properties are security_reader's).
namespace brokerload::config {

// Reads `targets` (the node may be undefined: the section is missing) into config.kafka and
// config.nats; at least one of them must be there and enabled. `check` vets the Kafka client
// properties.
void ReadTargets(YamlReader& r, const YAML::Node& targets, const PropertyCheck& check,
                 Config& config);

}  // namespace brokerload::config
