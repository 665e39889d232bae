#include "driver/nats/setup_budget.hpp"

#include <algorithm>
#include <utility>

namespace brokerload::driver::nats {

SetupBudget::SetupBudget(std::chrono::milliseconds timeout, const std::atomic<bool>& cancel,
                         Now now)
    : now_(std::move(now)), timeout_(timeout), deadline_(now_() + timeout), cancel_(cancel) {}

Cutoff SetupBudget::Check() const {
  if (cancel_.load()) return Cutoff::kCancelled;
  return now_() >= deadline_ ? Cutoff::kTimedOut : Cutoff::kNone;
}

std::int64_t SetupBudget::RequestWaitMs(std::chrono::milliseconds cap) const {
  const Clock::time_point now = now_();
  if (cancel_.load() || now >= deadline_) return 0;
  // Rounded up: a few microseconds left are 1 ms, never cnats' 0 (its default).
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - now);
  return std::max<std::int64_t>(1, std::min(left, cap).count());
}

std::string SetupBudget::Describe(Cutoff cutoff) const {
  switch (cutoff) {
    case Cutoff::kCancelled:
      return "cancelled";
    case Cutoff::kTimedOut:
      return "timed out after " + std::to_string(timeout_.count()) + " ms";
    case Cutoff::kNone:
      break;
  }
  return "";
}

Steps RunWithin(std::size_t count, const SetupBudget& budget, std::chrono::milliseconds cap,
                const std::function<Step(std::size_t, std::int64_t)>& step) {
  Steps steps;
  while (steps.done < count) {
    // One reading of the clock decides both whether to go on and the wait (checked, then read
    // again, the wait could come out 0: cnats' 5 s).
    const std::int64_t wait_ms = budget.RequestWaitMs(cap);
    if (wait_ms == 0) {
      steps.cutoff = budget.Check() == Cutoff::kCancelled ? Cutoff::kCancelled : Cutoff::kTimedOut;
      return steps;
    }
    const Step result = step(steps.done, wait_ms);
    if (result == Step::kDone) {
      ++steps.done;
      continue;
    }
    steps.cutoff = budget.Check();
    if (steps.cutoff == Cutoff::kNone && result == Step::kOutOfTime && wait_ms < cap.count()) {
      steps.cutoff = Cutoff::kTimedOut;
    }
    return steps;
  }
  return steps;
}

std::string StepsError(const Steps& steps, std::size_t count, const SetupBudget& budget,
                       const std::string& what, const std::string& done_word,
                       const std::string& step_error) {
  if (steps.cutoff == Cutoff::kNone) return step_error;
  return what + ": " + budget.Describe(steps.cutoff) + " with " + std::to_string(steps.done) +
         " of " + std::to_string(count) + " " + done_word +
         (step_error.empty() ? "" : " (" + step_error + ")");
}

}  // namespace brokerload::driver::nats
