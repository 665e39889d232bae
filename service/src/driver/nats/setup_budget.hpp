#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

// The bound a caller puts on work made of one JetStream API request after another (Consumer::
// Start's `timeout` and `cancel`, a stop's or housekeeping's own budget). cnats cannot interrupt
// a request in flight, so the bound is kept by checking before each request and by giving each
// one no more than what is left; a cancel is therefore seen within one request's wait (a
// millisecond on a healthy server). Pure but for the clock, which is injected: the tests step it
// by hand.
namespace brokerload::driver::nats {

enum class Cutoff {
  kNone,
  kTimedOut,   // the deadline is reached
  kCancelled,  // the caller's cancel flag is set (wins over a deadline reached as well)
};

// The most one JetStream API request waits: cnats' default, which every request had before they
// were bounded by their callers.
inline constexpr std::chrono::milliseconds kRequestWait{5'000};

// For a budget that only time ends (a stop's, housekeeping's).
inline const std::atomic<bool> kNeverCancelled{false};

class SetupBudget {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;

  // Until `timeout` from now, or until `cancel` is set; `cancel` must outlive the budget.
  SetupBudget(std::chrono::milliseconds timeout, const std::atomic<bool>& cancel,
              Now now = Clock::now);

  // Whether to stop before the next request.
  Cutoff Check() const;
  // The wait (ms, for jsOptions.Wait) to give the next request: what is left, rounded up to a
  // whole millisecond and at most `cap`; 0 when Check() says stop. Never 0 otherwise: cnats takes
  // a wait of 0 for its default of 5 s.
  std::int64_t RequestWaitMs(std::chrono::milliseconds cap) const;
  // The end of an error message for `cutoff`: "timed out after 1500 ms" or "cancelled".
  std::string Describe(Cutoff cutoff) const;

 private:
  Now now_;
  std::chrono::milliseconds timeout_;
  Clock::time_point deadline_;
  const std::atomic<bool>& cancel_;
};

// What one step of RunWithin came to.
enum class Step {
  kDone,
  kFailed,
  kOutOfTime,  // its request waited all it was given (NATS_TIMEOUT)
};

// How far RunWithin got.
struct Steps {
  std::size_t done = 0;  // steps that succeeded, from the first
  Cutoff cutoff = Cutoff::kNone;
  bool Complete(std::size_t count) const { return done == count; }
};

// Runs step(i, wait_ms) for i = 0, 1, ... `count` - 1, each given RequestWaitMs(cap), while
// `budget` allows: checked before each step and after one that did not succeed. Stops at the
// first step that does not succeed. A step out of time that was given less than `cap` was given
// what was left: that is the deadline (cnats' timer may fire a little before it).
Steps RunWithin(std::size_t count, const SetupBudget& budget, std::chrono::milliseconds cap,
                const std::function<Step(std::size_t, std::int64_t)>& step);

// The error of a RunWithin of `count` steps that did not complete: the failed step's own
// `step_error`, or at a cutoff "<what>: timed out after <ms> ms with <done> of <count> <done_word>"
// (or "cancelled with ..."), the step's error, if any, after it in parentheses.
std::string StepsError(const Steps& steps, std::size_t count, const SetupBudget& budget,
                       const std::string& what, const std::string& done_word,
                       const std::string& step_error);

}  // namespace brokerload::driver::nats
