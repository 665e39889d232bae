#include "app/runner.hpp"

#include <prometheus/text_serializer.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "app/exit_codes.hpp"
#include "app/http_server.hpp"
#include "app/summary.hpp"
#include "app/target_runtime.hpp"
#include "app/version.hpp"
#include "log/log.hpp"
#include "metrics/exporter.hpp"

namespace brokerload::app {
namespace {

void SimulateWork(const config::Workload& workload) {
  if (workload.work == config::WorkMode::kSpin) {
    const auto until = std::chrono::steady_clock::now() + workload.work_time;
    while (std::chrono::steady_clock::now() < until) {
    }
  } else if (workload.work == config::WorkMode::kSleep) {
    std::this_thread::sleep_for(workload.work_time);
  }
}

HttpResponse Serve(const std::string& path, const std::string& metrics_path,
                   const metrics::Exporter& exporter) {
  if (path == metrics_path) {
    return {200, "text/plain; version=0.0.4; charset=utf-8",
            prometheus::TextSerializer().Serialize(exporter.Collect())};
  }
  if (path == "/healthz") return {200, "text/plain; charset=utf-8", "ok\n"};
  if (path == "/readyz") {
    return exporter.Ready() ? HttpResponse{200, "text/plain; charset=utf-8", "ready\n"}
                            : HttpResponse{503, "text/plain; charset=utf-8", "starting\n"};
  }
  return {404, "text/plain; charset=utf-8", "not found; try " + metrics_path + "\n"};
}

}  // namespace

int Run(const config::Config& loaded) {
  const accounting::RunIdentity identity = NewRunIdentity();
  const config::Config config = ForRun(loaded, identity);
  const pacing::RunClock clock;
  const pacing::Schedule schedule(config.profile);
  metrics::Exporter exporter(std::string(Version()), config.metrics.latency_buckets);

  // Metrics come up before any broker I/O, so probes and scrapes work while brokers are slow.
  std::unique_ptr<HttpServer> http;
  try {
    http = std::make_unique<HttpServer>(config.metrics.listen, [&](const std::string& path) {
      return Serve(path, config.metrics.path, exporter);
    });
  } catch (const std::exception& error) {
    LOG_ERROR("%s", error.what());
    return kExitRuntime;
  }
  LOG_INFO("brokerload %s run %016llx: metrics on port %u at %s", std::string(Version()).c_str(),
           static_cast<unsigned long long>(identity.run_id), http->Port(),
           config.metrics.path.c_str());

  const std::vector<std::string> topics = TopicNames(config.workload);
  std::vector<std::unique_ptr<TargetRuntime>> targets;
  std::uint16_t index = 0;
  if (config.kafka) {
    targets.push_back(std::make_unique<TargetRuntime>(driver::Backend::kKafka, index++, config,
                                                      topics, identity, clock, schedule));
  }
  if (config.nats) {
    targets.push_back(std::make_unique<TargetRuntime>(driver::Backend::kNats, index++, config,
                                                      topics, identity, clock, schedule));
  }
  workers::Pool pool(static_cast<std::size_t>(config.workload.workers),
                     static_cast<std::size_t>(config.workload.worker_queue),
                     [&](const accounting::WorkItem& item) {
                       SimulateWork(config.workload);
                       targets[item.target]->Accounting().OnProcessed(item);
                     });
  exporter.SetPool(&pool);

  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  std::atomic<bool> stop_requested{false};
  signals.async_wait([&](const boost::system::error_code& error, int signal) {
    if (error) return;
    LOG_INFO("signal %d: stopping (a second signal exits at once)", signal);
    stop_requested = true;
    signals.cancel();
    signals.clear();
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    io.stop();
  });
  // Setup blocks, so signals are served on their own thread meanwhile.
  std::thread signal_thread([&] { io.run(); });
  for (auto& target : targets) {
    std::string error;
    if (!target->Setup(pool, stop_requested, error)) {
      if (stop_requested) break;
      LOG_ERROR("%s", error.c_str());
      io.stop();
      signal_thread.join();
      return kExitBrokerUnavailable;
    }
  }
  io.stop();
  signal_thread.join();
  if (stop_requested) return kExitOk;
  io.restart();

  // One start for every target: side by side, they run identical schedules.
  const std::int64_t start_ns = clock.NowNs() + 50'000'000;
  for (auto& target : targets) {
    target->StartPublishing(start_ns);
    exporter.AddTarget({target->Name(), target->Topics(), &target->Accounting(), &target->Health(),
                        &schedule, target->Publisher()});
  }
  exporter.SetReady(true);
  LOG_INFO("publishing to %zu target(s), %d topics, profile of %zu stage(s)", targets.size(),
           config.workload.topics, schedule.Stages().size());

  boost::asio::steady_timer housekeeping(io);
  bool finished_logged = false;
  std::function<void(const boost::system::error_code&)> on_housekeeping =
      [&](const boost::system::error_code& error) {
        if (error) return;
        bool all_finished = true;
        for (auto& target : targets) {
          target->Maintain(clock.NowNs(), config.run.loss_grace.count());
          all_finished = all_finished && target->Publisher()->Finished();
        }
        exporter.Advance(clock.NowNs());
        if (all_finished && !finished_logged) {
          finished_logged = true;
          LOG_INFO("profile finished; serving metrics until SIGTERM or SIGINT");
        }
        housekeeping.expires_after(std::chrono::seconds(1));
        housekeeping.async_wait(on_housekeeping);
      };
  housekeeping.expires_after(std::chrono::seconds(1));
  housekeeping.async_wait(on_housekeeping);
  io.run();  // until the first signal

  // Graceful stop, bounded by run.drain_timeout: no new sends, outstanding acks, then consumers.
  if (!Drain(targets, std::chrono::steady_clock::now() + config.run.drain_timeout)) {
    LOG_WARN("consumers not drained within run.drain_timeout");
  }
  for (auto& target : targets) target->StopConsuming();
  pool.Stop();
  for (auto& target : targets) target->Accounting().FinalSweep();
  exporter.SetReady(false);
  PrintSummary(targets, clock.NowNs() - start_ns);
  http->Stop();
  return kExitOk;
}

}  // namespace brokerload::app
