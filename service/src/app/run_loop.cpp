#include "app/run_loop.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <thread>

#include "log/log.hpp"

namespace brokerload::app {

// The signals' own thread: it only records what came and wakes the loop.
struct RunLoop::Signals {
  explicit Signals(RunLoop& loop)
      : stop_signals(io, SIGINT, SIGTERM),
        hangup(io, SIGHUP),
        work(boost::asio::make_work_guard(io)) {
    stop_signals.async_wait([this, &loop](const boost::system::error_code& error, int signal) {
      if (error) return;
      LOG_INFO("signal %d: stopping (a second signal exits at once)", signal);
      stop_signals.clear();
      std::signal(SIGINT, SIG_DFL);
      std::signal(SIGTERM, SIG_DFL);
      Raise(loop, signal);
    });
    WaitForHangup();
    thread = std::thread([this] {
      log::NameThread("signals");
      io.run();
    });
  }
  ~Signals() {
    work.reset();
    io.stop();
    if (thread.joinable()) thread.join();
  }

  void WaitForHangup() {
    hangup.async_wait([this](const boost::system::error_code& error, int) {
      if (error) return;
      {
        const std::lock_guard lock(mutex);
        ++hangups;
      }
      wake.notify_all();
      WaitForHangup();
    });
  }

  void Raise(RunLoop& loop, int signal) {
    {
      const std::lock_guard lock(mutex);
      int none = 0;
      loop.signal_.compare_exchange_strong(none, signal);
      stop.store(true);
    }
    wake.notify_all();
  }

  boost::asio::io_context io;
  boost::asio::signal_set stop_signals;
  boost::asio::signal_set hangup;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work;
  std::mutex mutex;
  std::condition_variable wake;
  int hangups = 0;                // guarded by mutex
  std::atomic<bool> stop{false};  // Prepare's cancel flag too
  std::thread thread;
};

RunLoop::RunLoop(std::chrono::milliseconds tick)
    : tick_(tick), signals_(std::make_unique<Signals>(*this)) {}

RunLoop::~RunLoop() = default;

void RunLoop::Stop() { signals_->Raise(*this, SIGTERM); }

RunLoop::Result RunLoop::Run(Engine& engine, const Hooks& hooks) {
  Result result;
  Signals& s = *signals_;
  if (s.stop.load()) {  // a signal before this Run: nothing starts
    result.outcome = Outcome::kSetupInterrupted;
    return result;
  }
  int hangups_served = 0;  // SIGHUPs before this Run belong to an earlier one
  {
    const std::lock_guard lock(s.mutex);
    hangups_served = s.hangups;
  }
  if (!engine.Prepare(s.stop, result.error)) {
    result.outcome = s.stop.load() ? Outcome::kSetupInterrupted : Outcome::kSetupFailed;
    return result;
  }
  if (s.stop.load()) {
    result.outcome = Outcome::kSetupInterrupted;
    return result;
  }
  engine.Start();
  if (hooks.on_started) hooks.on_started();

  auto next_tick = std::chrono::steady_clock::now() + tick_;
  std::unique_lock lock(s.mutex);
  for (;;) {
    s.wake.wait_until(lock, next_tick, [&] {
      return s.stop.load() || (hooks.on_hangup && s.hangups > hangups_served);
    });
    if (s.stop.load()) break;
    const bool hangup = hooks.on_hangup && s.hangups > hangups_served;
    hangups_served = s.hangups;
    lock.unlock();
    if (hangup) hooks.on_hangup();
    bool done = false;
    if (std::chrono::steady_clock::now() >= next_tick) {
      engine.Maintain();
      if (hooks.on_tick) hooks.on_tick();
      done = hooks.done && hooks.done();
      next_tick = std::chrono::steady_clock::now() + tick_;
    }
    lock.lock();
    if (done) break;
  }
  lock.unlock();
  result.outcome = s.stop.load() ? Outcome::kInterrupted : Outcome::kDone;
  result.stop_ns = engine.Clock().NowNs();
  if (hooks.on_stopping) hooks.on_stopping();
  const auto drain = hooks.drain_timeout
                         ? hooks.drain_timeout()
                         : std::chrono::nanoseconds(engine.RunConfig().run.drain_timeout);
  result.drained =
      engine.Finish(std::chrono::steady_clock::now() +
                    std::chrono::duration_cast<std::chrono::steady_clock::duration>(drain));
  if (!result.drained) LOG_WARN("consumers not drained within run.drain_timeout");
  return result;
}

}  // namespace brokerload::app
