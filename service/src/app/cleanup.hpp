#pragma once

#include <chrono>
#include <cstdint>

#include "config/config.hpp"

namespace brokerload::app {

// How long the names must have been left alone before `cleanup --wait` deletes them: at least
// kQuietBeforeCleanup, and as long as a run of `config` may still retry and drain after its last
// message went through (run.publish_timeout + run.drain_timeout).
inline constexpr std::chrono::seconds kQuietBeforeCleanup{10};
std::chrono::seconds QuietBeforeCleanup(const config::Config& config);

// `brokerload cleanup`: on every enabled target, deletes the topics (Kafka) or streams (JetStream)
// that `config` names for producer ids 0 .. replicas - 1 (one set without topics_per_replica), and
// the Kafka consumer groups its runs joined; prints one line per name and what became of it.
// Never touches another name: the topics are built from workload.topic_prefix as `run` builds
// them, the groups matched as <consumer_group>-<run id>[-c<lane>]. Returns kExitOk when nothing
// was left that should have gone, kExitBrokerUnavailable when a broker could not be reached or
// refused, kExitRuntime when a name was kept (a group in use, a refusal: the line says why).
//
// With `wait` above zero (and no dry run), first waits until no run appears to use those names:
// no run group has members, no stream has a consumer, and the topics' ends and streams' last
// sequences have not moved for QuietBeforeCleanup(config) (asked every 2 s; a broker that cannot
// be asked counts as in use). Deleting earlier would let a producer still draining recreate a
// Kafka topic (librdkafka producers ask brokers to auto-create). What it cannot see: a producer
// that is alive but idle longer than that. Still in use after `wait`: deletes nothing, names what
// is in use on stderr, returns kExitRuntime (kExitBrokerUnavailable when a broker could not be
// asked at the end). `wait` should be above QuietBeforeCleanup(config): the CLI raises it to that.
int Cleanup(const config::Config& config, std::uint32_t replicas, bool dry_run,
            std::chrono::seconds wait = std::chrono::seconds{0});

}  // namespace brokerload::app
