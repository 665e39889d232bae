#include "metrics/target_health.hpp"

namespace brokerload::metrics {

void TargetHealth::Observe(const HealthSample& sample) {
  samples_.push_back(sample);
  // Keep one sample at least a window old as the base; drop those before it.
  while (samples_.size() >= 2 && sample.now_ns - samples_[1].now_ns >= window_ns_) {
    samples_.pop_front();
  }
  connected_ = sample.connected;
  const HealthSample& base = samples_.front();
  if (sample.now_ns - base.now_ns < window_ns_) return;  // less than a window seen
  const bool sent = sample.published > base.published || sample.errors > base.errors;
  publishing_ = !(sent && sample.acked == base.acked);
  consuming_ = !(sample.acked > base.acked && sample.received == base.received);
}

}  // namespace brokerload::metrics
