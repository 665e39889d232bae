#pragma once

#include <chrono>
#include <functional>

// The Kafka driver's waits for a broker (a first answer, topic leaders, end offsets): asked again
// and again, each request bounded, all of them by one deadline and a stop condition. Pure but for
// the clock and the pause, which tests inject. No librdkafka here.
namespace brokerload::driver::kafka {

struct RetryPolicy {
  std::chrono::milliseconds attempt;  // the longest one request may wait
  std::chrono::milliseconds pause;    // after a request that did not succeed
};

// The time and the pause of a wait; steady_clock and sleep_for unless a test says otherwise.
struct WaitClock {
  std::function<std::chrono::steady_clock::time_point()> now;
  std::function<void(std::chrono::milliseconds)> sleep;
};
WaitClock SteadyWaitClock();

// Calls `attempt(wait)` until it returns true (then true). False once `deadline` has passed or
// `stop()` is true, both checked before and after each attempt. `wait` is policy.attempt, or
// what is left before the deadline when less (rounded up to whole ms), so an attempt that keeps
// to its wait ends by the deadline; a pause is cut short at the deadline. With no time left at
// the start, no attempt is made. Runs on the caller's thread.
bool RetryUntil(std::chrono::steady_clock::time_point deadline, RetryPolicy policy,
                const std::function<bool()>& stop,
                const std::function<bool(std::chrono::milliseconds wait)>& attempt,
                const WaitClock& clock = SteadyWaitClock());

}  // namespace brokerload::driver::kafka
