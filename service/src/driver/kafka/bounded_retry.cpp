#include "driver/kafka/bounded_retry.hpp"

#include <algorithm>
#include <thread>

namespace brokerload::driver::kafka {

WaitClock SteadyWaitClock() {
  return {[] { return std::chrono::steady_clock::now(); },
          [](std::chrono::milliseconds pause) { std::this_thread::sleep_for(pause); }};
}

bool RetryUntil(std::chrono::steady_clock::time_point deadline, RetryPolicy policy,
                const std::function<bool()>& stop,
                const std::function<bool(std::chrono::milliseconds wait)>& attempt,
                const WaitClock& clock) {
  // Rounded up: 0.3 ms left is a 1 ms request, not a 0 ms one (librdkafka's "do not wait").
  const auto left = [&] {
    return std::chrono::ceil<std::chrono::milliseconds>(deadline - clock.now());
  };
  while (!stop()) {
    const std::chrono::milliseconds before = left();
    if (before <= std::chrono::milliseconds::zero()) return false;
    if (attempt(std::min(policy.attempt, before))) return true;
    if (stop()) return false;
    const std::chrono::milliseconds after = left();
    if (after <= std::chrono::milliseconds::zero()) return false;
    if (policy.pause > std::chrono::milliseconds::zero())
      clock.sleep(std::min(policy.pause, after));
  }
  return false;
}

}  // namespace brokerload::driver::kafka
