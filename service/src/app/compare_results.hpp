#pragma once

#include <cstdint>

#include "app/engine.hpp"
#include "app/resource_sampler.hpp"
#include "report/results.hpp"

// compare's report assembly: a finished engine's accounting phases read as stage results.
namespace brokerload::app {

// Appends to `comparison` a result per target and measured stage of `engine` (after
// Engine::Finish), each target's pooled figures and what was compared. Sending stopped at
// `stop_ns` (Unix ns): a stage that had not begun by then is left out, and the one under way is
// measured over the part of its window before it.
void AddResults(const Engine& engine, const ResourceSampler& sampler, std::int64_t stop_ns,
                report::Comparison& comparison);

}  // namespace brokerload::app
