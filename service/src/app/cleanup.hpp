#pragma once

#include <cstdint>

#include "config/config.hpp"

namespace brokerload::app {

// `brokerload cleanup`: on every enabled target, deletes the topics (Kafka) or streams (JetStream)
// that `config` names for producer ids 0 .. replicas - 1 (one set without topics_per_replica), and
// the Kafka consumer groups its runs joined; prints one line per name and what became of it.
// Never touches another name: the topics are built from workload.topic_prefix as `run` builds
// them, the groups matched as <consumer_group>-<run id>[-c<lane>]. Returns kExitOk when nothing
// was left that should have gone, kExitBrokerUnavailable when a broker could not be reached or
// refused, kExitRuntime when a name was kept (a group in use, a refusal: the line says why).
int Cleanup(const config::Config& config, std::uint32_t replicas, bool dry_run);

}  // namespace brokerload::app
