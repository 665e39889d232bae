#pragma once

#include <string>

#include "config/config.hpp"
#include "config/property_check.hpp"

// The load-time check of targets.kafka.producer/consumer, against librdkafka itself.
namespace brokerload::driver::kafka {

// Vets one pass-through property on a scratch conf: unknown names (with the nearest known one),
// values librdkafka refuses, and properties of the other client role (from librdkafka's own
// property table). Thread-safe; no broker, no client thread.
config::PropertyVerdict CheckProperty(config::ClientRole role, const std::string& name,
                                      const std::string& value);

}  // namespace brokerload::driver::kafka
