#pragma once

#include <cstdint>
#include <deque>

// Whether a target works end to end, judged from its own counters over a sliding window: what
// /metrics exports as brokerload_target_health{target,check} and brokerload_target_healthy.
// Pure (the caller passes the time and the counts), so the rules are tested exactly; not
// thread-safe: the exporter owns one per target and feeds it once a second under its lock.
//
// Checks, over the last `window`:
// - connected:  the client says it is connected now.
// - publishing: false when sends were made in the window (handed to the client, or refused by
//               it or failed: publish errors) and no acknowledgement came back in it. A window
//               with no sends at all (a stage of 0 msg/s, the profile's end) keeps it true.
// - consuming:  false when messages were acknowledged in the window and none was received in it
//               (the broker takes messages and hands none back).
// healthy is all three that apply (HealthChecks): a produce-only instance consumes nothing, so
// consuming does not apply to it; a consume-only instance publishes nothing and knows nothing of
// what its producers sent, so only connected applies. Until one whole window has been observed,
// publishing and consuming are true: too little has been seen for a verdict.
//
// A broker outage, a stalled consumer or revoked permissions turn it to 0 within one window;
// /readyz deliberately does not follow it (docs/metrics.md: a restart of brokerload does not cure
// a broker).
namespace brokerload::metrics {

struct HealthSample {
  std::int64_t now_ns = 0;
  bool connected = false;
  std::uint64_t published = 0;  // cumulative counts, as exported
  std::uint64_t errors = 0;     // publish errors: refused at send or failed after
  std::uint64_t acked = 0;
  std::uint64_t received = 0;
};

// Which of the window checks apply (connected always does).
struct HealthChecks {
  bool publishing = true;
  bool consuming = true;
};

class TargetHealth {
 public:
  static constexpr std::int64_t kDefaultWindowNs = 10'000'000'000;

  explicit TargetHealth(std::int64_t window_ns = kDefaultWindowNs, HealthChecks checks = {})
      : window_ns_(window_ns), checks_(checks) {}

  // Samples must come in time order, about once a second.
  void Observe(const HealthSample& sample);

  bool Connected() const { return connected_; }
  bool Publishing() const { return publishing_; }
  bool Consuming() const { return consuming_; }
  // The window checks that apply pass (connected aside).
  bool WindowChecksPass() const {
    return (publishing_ || !checks_.publishing) && (consuming_ || !checks_.consuming);
  }
  bool Healthy() const { return connected_ && WindowChecksPass(); }
  const HealthChecks& Checks() const { return checks_; }

 private:
  std::int64_t window_ns_;
  HealthChecks checks_;
  std::deque<HealthSample> samples_;  // the newest ones, back to the last one a window old
  bool connected_ = false;
  bool publishing_ = true;
  bool consuming_ = true;
};

}  // namespace brokerload::metrics
