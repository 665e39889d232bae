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

#include "app/config_reloader.hpp"
#include "app/engine.hpp"
#include "app/exit_codes.hpp"
#include "app/exporter_views.hpp"
#include "app/http_server.hpp"
#include "app/summary.hpp"
#include "app/version.hpp"
#include "driver/factory.hpp"
#include "log/log.hpp"
#include "metrics/exporter.hpp"

namespace brokerload::app {
namespace {

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

// metrics.tls and metrics.basic_auth; the probes stay open, as Kubernetes sends them no
// credentials (over TLS it probes with scheme HTTPS, which verifies no certificate).
HttpSecurity MetricsSecurity(const config::Metrics& metrics) {
  HttpSecurity security;
  if (metrics.tls) {
    security.tls_cert_file = metrics.tls->cert_file;
    security.tls_key_file = metrics.tls->key_file;
  }
  if (metrics.basic_auth) {
    security.basic_auth.emplace(metrics.basic_auth->username,
                                metrics.basic_auth->password.Reveal());
  }
  security.open_paths = {"/healthz", "/readyz"};
  return security;
}

}  // namespace

int Run(const config::Config& loaded, const RunOptions& run_options) {
  metrics::Exporter exporter(std::string(Version()), loaded.metrics.latency_buckets);

  // Metrics come up before any broker I/O, so probes and scrapes work while brokers are slow.
  std::unique_ptr<HttpServer> http;
  try {
    http = std::make_unique<HttpServer>(
        loaded.metrics.listen,
        [&](const std::string& path) { return Serve(path, loaded.metrics.path, exporter); },
        MetricsSecurity(loaded.metrics));
  } catch (const std::exception& error) {
    LOG_ERROR("%s", error.what());
    return kExitRuntime;
  }

  EngineOptions options;
  if (loaded.kafka) options.backends.push_back(driver::Backend::kKafka);
  if (loaded.nats) options.backends.push_back(driver::Backend::kNats);
  options.profile = loaded.profile;
  options.warmup = loaded.run.warmup;
  Engine engine(loaded, options);
  // Scrapes read the engine: they stop before it goes, on every return below.
  struct StopServing {
    HttpServer& http;
    ~StopServing() { http.Stop(); }
  } stop_serving{*http};
  const config::Config& config = engine.RunConfig();
  LOG_INFO("brokerload %s run %016llx: metrics on port %u at %s", std::string(Version()).c_str(),
           static_cast<unsigned long long>(engine.Identity().run_id), http->Port(),
           config.metrics.path.c_str());
  exporter.SetQueueDepth(QueueDepthOf(engine.Pool()));
  for (const auto& target : engine.Targets()) {
    exporter.AddStartingTarget(target->Name(), &target->Health(), loaded.run.role);
  }

  boost::asio::io_context io;
  // SIGHUP: from the start on, so that it never ends the process (its default action).
  std::unique_ptr<ConfigReloader> reloader;
  bool hangup_during_start = false;
  boost::asio::signal_set hangup(io, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_hangup =
      [&](const boost::system::error_code& error, int) {
        if (error) return;
        if (reloader) {
          reloader->Reload(ConfigReloader::Trigger::kSignal);
        } else if (!hangup_during_start) {
          hangup_during_start = true;
          LOG_INFO("SIGHUP during the start: the config is read again once publishing starts");
        }
        hangup.async_wait(on_hangup);
      };
  hangup.async_wait(on_hangup);
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
  std::string setup_error;
  const bool prepared = engine.Prepare(stop_requested, setup_error);
  io.stop();
  signal_thread.join();
  if (stop_requested) return kExitOk;
  if (!prepared) {
    LOG_ERROR("%s", setup_error.c_str());
    return kExitBrokerUnavailable;
  }
  io.restart();

  engine.Start();
  for (const auto& target : engine.Targets()) {
    exporter.AddTarget({target->Name(), target->Topics(), &target->Accounting(), &target->Health(),
                        PublisherProbeOf(target->Publisher(), target->PublisherThread()),
                        target->Description().broker_version, target->Description().client_version,
                        config.run.role});
  }
  exporter.SetReady(true);
  if (config.run.role == config::Role::kConsumeOnly) {
    LOG_INFO(
        "consume-only: accounting for every producer's messages on %zu target(s), %d topics "
        "(%s...)",
        engine.Targets().size(), config.workload.topics,
        engine.Targets().front()->Topics().front().c_str());
  } else {
    LOG_INFO("%s to %zu target(s), %d topics (%s...), profile of %zu stage(s)",
             config.run.role == config::Role::kFull ? "publishing" : "publishing (produce-only)",
             engine.Targets().size(), config.workload.topics,
             engine.Targets().front()->Topics().front().c_str(), config.profile.stages.size());
  }
  if (config.profile.max_in_flight) {
    LOG_INFO(
        "profile rate: max: unpaced, closed loop, at most %llu messages in flight per target; "
        "latencies are not corrected for coordinated omission (no message waits for a schedule)",
        static_cast<unsigned long long>(*config.profile.max_in_flight));
  }
  reloader = std::make_unique<ConfigReloader>(
      run_options.config_path, loaded, driver::CheckClientProperty,
      [&](const config::Config& next) {
        engine.Reload(next);
        if (next.log.level == reloader->Running().log.level) return;
        if (run_options.log_level_from_command_line) {
          LOG_INFO("config reload: log.level changed; --log-level on the command line still wins");
        } else {
          log::SetLevel(next.log.level);
        }
      },
      exporter);
  LOG_INFO("config reload: on SIGHUP, and when %s changes (read every second)",
           run_options.config_path.c_str());
  if (hangup_during_start) reloader->Reload(ConfigReloader::Trigger::kSignal);

  boost::asio::steady_timer housekeeping(io);
  bool finished_logged = false;
  std::function<void(const boost::system::error_code&)> on_housekeeping =
      [&](const boost::system::error_code& error) {
        if (error) return;
        engine.Maintain();
        exporter.Advance(engine.Clock().NowNs());
        reloader->Poll();
        if (!engine.Finished()) {
          finished_logged = false;  // a reload started a new profile
        } else if (!finished_logged) {
          finished_logged = true;
          LOG_INFO("profile finished; serving metrics until SIGTERM or SIGINT");
        }
        housekeeping.expires_after(std::chrono::seconds(1));
        housekeeping.async_wait(on_housekeeping);
      };
  housekeeping.expires_after(std::chrono::seconds(1));
  housekeeping.async_wait(on_housekeeping);
  io.run();  // until the first signal

  // Not ready from the moment the drain begins: an orchestrator sends nothing new its way.
  exporter.SetReady(false);
  // Graceful stop, bounded by run.drain_timeout: no new sends, outstanding acks, then consumers.
  if (!engine.Finish(std::chrono::steady_clock::now() + reloader->Running().run.drain_timeout)) {
    LOG_WARN("consumers not drained within run.drain_timeout");
  }
  PrintSummary(engine.Targets(), engine.Clock().NowNs() - engine.StartNs(),
               engine.Schedule().WarmupNs(), config.run.role);
  http->Stop();
  return kExitOk;
}

}  // namespace brokerload::app
