#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "app/engine.hpp"

// The one loop that drives an Engine for `run` and for `compare`: Prepare, Start, housekeeping
// about once a second, then a bounded drain (Engine::Finish).
//
// Signals, from construction until destruction: the first SIGINT or SIGTERM stops whatever runs
// (a Prepare is cancelled, a started engine drains) and every later Run returns at once; the
// handlers replace an inherited SIG_IGN (a background job of a script ignores SIGINT), and once
// the first has come the default action is back, so a second signal ends the process at once.
// SIGHUP never ends the process: it goes to Hooks::on_hangup once the engine has started (one
// that comes during Prepare is delivered once, right after on_started) and is ignored during
// the drain.
//
// Not thread-safe: one thread constructs it and calls Run; the hooks run on that thread.
namespace brokerload::app {

class RunLoop {
 public:
  struct Hooks {
    std::function<void()> on_started;   // after Engine::Start, before the first tick
    std::function<void()> on_tick;      // about once a second, after Engine::Maintain
    std::function<void()> on_hangup;    // SIGHUP (null: ignored)
    std::function<bool()> done;         // read each tick: true ends the loop (null: never)
    std::function<void()> on_stopping;  // once the loop ends, before the drain
    // The drain's bound, read as the loop ends (a reload may have changed it).
    std::function<std::chrono::nanoseconds()> drain_timeout;
  };

  enum class Outcome {
    kSetupFailed,       // Prepare failed: Result::error names the target and the cause
    kSetupInterrupted,  // a signal came before the engine started: nothing was sent
    kInterrupted,       // a signal stopped the started engine; it drained
    kDone,              // Hooks::done said so; the engine drained
  };
  struct Result {
    Outcome outcome = Outcome::kDone;
    std::string error;
    bool drained = true;  // the consumers caught up within the drain's bound
    // When the loop ended, once started (the engine's clock, Unix ns): the publishers stop right
    // after, in Engine::Finish.
    std::int64_t stop_ns = 0;
  };

  // `tick`: the housekeeping period (about a second in production; shorter in tests).
  explicit RunLoop(std::chrono::milliseconds tick = std::chrono::seconds(1));
  ~RunLoop();
  RunLoop(const RunLoop&) = delete;
  RunLoop& operator=(const RunLoop&) = delete;

  // Once interrupted, returns kSetupInterrupted at once: nothing more starts.
  Result Run(Engine& engine, const Hooks& hooks);

  // The first SIGINT or SIGTERM has come (or Stop was called).
  bool Interrupted() const { return signal_.load() != 0; }
  // That signal (SIGTERM for Stop), 0 when none.
  int Signal() const { return signal_.load(); }
  // Stops as a first SIGTERM would, from any thread (tests; a caller's own reasons), but leaves
  // the signal handlers in place: a real signal after it stops nothing more, a second one ends
  // the process.
  void Stop();

 private:
  struct Signals;

  std::chrono::milliseconds tick_;
  std::atomic<int> signal_{0};
  std::unique_ptr<Signals> signals_;  // last: its thread reads the members above
};

}  // namespace brokerload::app
