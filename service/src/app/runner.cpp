#include "app/runner.hpp"

#include <prometheus/text_serializer.h>

#include <memory>

#include "app/config_reloader.hpp"
#include "app/engine.hpp"
#include "app/exit_codes.hpp"
#include "app/exporter_views.hpp"
#include "app/http_server.hpp"
#include "app/run_loop.hpp"
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

EngineOptions EngineOptionsFor(const config::Config& config) {
  EngineOptions options;
  options.backends = Backends(config);
  options.profile = config.profile;
  options.warmup = config.run.warmup;
  return options;
}

void LogStarted(const Engine& engine) {
  const config::Config& config = engine.RunConfig();
  const std::string& first_topic = engine.Targets().front()->Topics().front();
  if (config.run.role == config::Role::kConsumeOnly) {
    LOG_INFO(
        "consume-only: accounting for every producer's messages on %zu target(s), %d "
        "topics (%s...)",
        engine.Targets().size(), config.workload.topics, first_topic.c_str());
  } else {
    LOG_INFO("%s to %zu target(s), %d topics (%s...), profile of %zu stage(s)",
             config.run.role == config::Role::kFull ? "publishing" : "publishing (produce-only)",
             engine.Targets().size(), config.workload.topics, first_topic.c_str(),
             config.profile.stages.size());
  }
  if (config.profile.max_in_flight) {
    LOG_INFO(
        "profile rate: max: unpaced, closed loop, at most %llu messages in flight per target; "
        "latencies are not corrected for coordinated omission (no message waits for a schedule)",
        static_cast<unsigned long long>(*config.profile.max_in_flight));
  }
}

// Whether `target`'s consumers acknowledge what they take (JetStream's ack_policy): then the
// broker counts what awaits their acks.
bool ConsumerAcks(const config::Config& config, const TargetRuntime& target) {
  return target.Backend() == driver::Backend::kNats && config.nats &&
         config.nats->ack_policy != config::AckPolicy::kNone;
}

// The started targets' figures on /metrics, and ready.
void ServeTargets(const Engine& engine, metrics::Exporter& exporter) {
  for (const auto& target : engine.Targets()) {
    exporter.AddTarget({target->Name(), target->Topics(), &target->Accounting(), &target->Health(),
                        PublisherProbeOf(target->Publisher(), target->PublisherThread()),
                        target->Description().broker_version, target->Description().client_version,
                        engine.RunConfig().run.role, ConsumerAcks(engine.RunConfig(), *target),
                        [&leaders = target->Leaders()] { return leaders.Counts(); },
                        target->Backend() == driver::Backend::kNats
                            ? std::function<std::string(std::int32_t)>(
                                  [&leaders = target->Leaders()](std::int32_t number) {
                                    return leaders.NameOf(number);
                                  })
                            : nullptr,
                        target->Backend() == driver::Backend::kKafka
                            ? metrics::GroupCommitsProbe(
                                  [&groups = target->Groups()] { return groups.Snapshot(); })
                            : nullptr,
                        [&runtime = *target] { return runtime.SentBytes(); }});
  }
  exporter.SetReady(true);
}

// Reloads of the config file into `engine`, from the start on (ConfigReloader).
std::unique_ptr<ConfigReloader> NewReloader(const config::Config& loaded,
                                            const RunOptions& run_options, Engine& engine,
                                            metrics::Exporter& exporter) {
  auto apply = [&engine, &run_options,
                level = loaded.log.level](const config::Config& next) mutable {
    engine.Reload(next);
    if (next.log.level == level) return;
    level = next.log.level;
    if (run_options.log_level_from_command_line) {
      LOG_INFO("config reload: log.level changed; --log-level on the command line wins");
    } else {
      log::SetLevel(next.log.level);
    }
  };
  LOG_INFO("config reload: on SIGHUP, and when %s changes (read every second)",
           run_options.config_path.c_str());
  return std::make_unique<ConfigReloader>(run_options.config_path, loaded,
                                          driver::CheckClientProperty, std::move(apply), exporter);
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

  RunLoop loop;  // signals from here on: one during the setup cancels it
  Engine engine(loaded, EngineOptionsFor(loaded));
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

  std::unique_ptr<ConfigReloader> reloader;
  bool finished_logged = false;
  RunLoop::Hooks hooks;
  hooks.on_started = [&] {
    ServeTargets(engine, exporter);
    LogStarted(engine);
    reloader = NewReloader(loaded, run_options, engine, exporter);
  };
  hooks.on_hangup = [&] { reloader->Reload(ConfigReloader::Trigger::kSignal); };
  hooks.on_tick = [&] {
    exporter.Advance(engine.Clock().NowNs());
    reloader->Poll();
    if (!engine.Finished()) {
      finished_logged = false;  // a reload started a new profile
    } else if (!finished_logged) {
      finished_logged = true;
      LOG_INFO("profile finished; serving metrics until SIGTERM or SIGINT");
    }
  };
  // Not ready from the moment the drain begins: an orchestrator sends nothing new its way.
  hooks.on_stopping = [&] { exporter.SetReady(false); };
  hooks.drain_timeout = [&] { return reloader->Running().run.drain_timeout; };
  const RunLoop::Result result = loop.Run(engine, hooks);
  switch (result.outcome) {
    case RunLoop::Outcome::kSetupInterrupted:
      return kExitOk;
    case RunLoop::Outcome::kSetupFailed:
      LOG_ERROR("%s", result.error.c_str());
      return kExitBrokerUnavailable;
    case RunLoop::Outcome::kInterrupted:
    case RunLoop::Outcome::kDone:
      break;
  }
  PrintSummary(engine.Targets(), engine.Clock().NowNs() - engine.StartNs(),
               engine.Schedule().WarmupNs(), config.run.role);
  return kExitOk;
}

}  // namespace brokerload::app
