#pragma once

#include <limits>
#include <optional>

#include "metrics/views.hpp"
#include "pacing/publisher.hpp"
#include "workers/pool.hpp"

// The exporter's views (metrics/views.hpp) of the publisher and the worker pool, which the
// metrics module does not depend on.
namespace brokerload::app {

// Lane 0's publisher and thread (TargetRuntime::Publisher); empty without a publisher
// (consume-only). Both must outlive the probe.
inline metrics::PublisherProbe PublisherProbeOf(const pacing::Publisher* publisher,
                                                const pacing::PublisherThread* thread) {
  if (publisher == nullptr) return {};
  return [publisher, thread] {
    const pacing::StagePlan& plan = publisher->CurrentStagePlan();  // in the schedule: outlives it
    const double rate =
        publisher->Unpaced() ? std::numeric_limits<double>::infinity() : plan.rate;  // rate: max
    return metrics::PublisherSnapshot{
        .stage = plan.name,
        .rate = publisher->Finished() ? 0 : rate,
        .realtime = thread != nullptr ? std::optional<bool>(thread->Realtime()) : std::nullopt};
  };
}

// `pool` must outlive the probe.
inline metrics::QueueDepthProbe QueueDepthOf(const workers::Pool& pool) {
  return [&pool] { return pool.QueueDepth(); };
}

}  // namespace brokerload::app
