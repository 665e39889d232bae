#pragma once

#include <cstdint>
#include <string>

#include "app/engine.hpp"
#include "app/resource_sampler.hpp"
#include "config/config.hpp"
#include "report/results.hpp"

// compare's report assembly: a finished engine's accounting phases read as stage results, and
// the words that name the workload compared.
namespace brokerload::app {

// Appends to `comparison` a result per target and measured stage of `engine` (after
// Engine::Finish), each target's pooled figures and what was compared. Sending stopped at
// `stop_ns` (Unix ns): a stage that had not begun by then is left out, and the one under way is
// measured over the part of its window before it.
void AddResults(const Engine& engine, const ResourceSampler& sampler, std::int64_t stop_ns,
                report::Comparison& comparison);

// The workload's messages as a report names them (report::Comparison::message_sizes): their sizes,
// header included ("256-byte messages", "messages of 100 to 2000 bytes (uniform)", a log-normal's
// p50 and p99 and its cut, a table's first 8 sizes and weights, samples' file, count, order and
// mean), then, each after "; ", compressible payloads, brokerload's header in a message header,
// and the extra headers' count and size. A baseline of another workload is named by it.
std::string WorkloadText(const config::Workload& workload);

}  // namespace brokerload::app
