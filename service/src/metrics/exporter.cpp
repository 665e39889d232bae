#include "metrics/exporter.hpp"

#include <chrono>
#include <cmath>
#include <limits>
#include <string_view>
#include <tuple>

#include "metrics/process_stats.hpp"

namespace brokerload::metrics {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

constexpr auto kRelaxed = std::memory_order_relaxed;

MetricFamily Family(const char* name, const char* help, MetricType type) {
  return MetricFamily{name, help, type, {}};
}

void AddValue(MetricFamily& family, Labels labels, double value) {
  ClientMetric metric;
  metric.label = std::move(labels);
  if (family.type == MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
}

void AddHistogram(MetricFamily& family, Labels labels, const accounting::HistogramSnapshot& h,
                  const std::vector<double>& bounds, const std::vector<std::int64_t>& bounds_ns) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.histogram.sample_count = h.Count();
  metric.histogram.sample_sum = h.SumSeconds();
  const std::vector<std::uint64_t> counts = h.CountsAtOrBelow(bounds_ns);
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    metric.histogram.bucket.push_back({counts[i], bounds[i]});
  }
  metric.histogram.bucket.push_back({h.Count(), std::numeric_limits<double>::infinity()});
  family.metric.push_back(std::move(metric));
}

// A target's histograms, each merged over its topics.
struct TargetSnapshots {
  accounting::HistogramSnapshot publish;
  accounting::HistogramSnapshot end_to_end;
  accounting::HistogramSnapshot end_to_end_service;
  accounting::HistogramSnapshot send_lag;
};

TargetSnapshots Snapshots(const TargetView& t) {
  TargetSnapshots s;
  for (std::size_t i = 0; i < t.topics.size(); ++i) {
    const accounting::TopicLatencies& l = t.accounting->Latencies(i);
    s.publish.Merge(l.publish.Snapshot());
    s.end_to_end.Merge(l.end_to_end.Snapshot());
    s.end_to_end_service.Merge(l.end_to_end_service.Snapshot());
  }
  s.send_lag = t.accounting->SendLag().Snapshot();
  return s;
}

struct Window {
  const char* label;
  std::int64_t ns;
};
constexpr Window kWindows[] = {{"1m", 60'000'000'000}, {"5m", 300'000'000'000}};
constexpr std::pair<const char*, double> kQuantiles[] = {
    {"0.5", 0.5}, {"0.9", 0.9}, {"0.99", 0.99}, {"0.999", 0.999}};

// One gauge per window and quantile; NaN (as a summary without observations) for an empty window.
void AddWindowQuantiles(MetricFamily& family, const std::string& target,
                        const WindowedQuantiles& windows,
                        const accounting::HistogramSnapshot& cumulative) {
  for (const Window& w : kWindows) {
    const accounting::HistogramSnapshot values = windows.Window(w.ns, cumulative);
    for (const auto& [label, q] : kQuantiles) {
      AddValue(family, {{"target", target}, {"quantile", label}, {"window", w.label}},
               values.Count() == 0 ? std::numeric_limits<double>::quiet_NaN()
                                   : static_cast<double>(values.QuantileNs(q)) * 1e-9);
    }
  }
}

bool Publishes(config::Role role) { return role != config::Role::kConsumeOnly; }
bool Consumes(config::Role role) { return role != config::Role::kProduceOnly; }

std::string_view RoleName(config::Role role) {
  switch (role) {
    case config::Role::kProduceOnly:
      return "produce-only";
    case config::Role::kConsumeOnly:
      return "consume-only";
    case config::Role::kFull:
      break;
  }
  return "full";
}

// The window checks that apply to a role (target_health.hpp).
HealthChecks ChecksFor(config::Role role) {
  return {.publishing = Publishes(role), .consuming = role == config::Role::kFull};
}

double Seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace

Exporter::Exporter(std::string version, std::vector<double> latency_buckets_seconds)
    : version_(std::move(version)),
      buckets_(std::move(latency_buckets_seconds)),
      config_loaded_seconds_(Seconds(std::chrono::system_clock::now())) {
  for (double bound : buckets_) bounds_ns_.push_back(std::llround(bound * 1e9));
}

void Exporter::RecordReload(config::ReloadResult result, std::chrono::system_clock::time_point at) {
  std::lock_guard lock(mutex_);
  ++reloads_[static_cast<std::size_t>(result)];
  last_reload_successful_ =
      result == config::ReloadResult::kApplied || result == config::ReloadResult::kUnchanged;
  if (result == config::ReloadResult::kApplied) config_loaded_seconds_ = Seconds(at);
}

void Exporter::AddStartingTarget(std::string name, const driver::Health* health,
                                 config::Role role) {
  std::lock_guard lock(mutex_);
  starting_.push_back({std::move(name), health, role});
}

void Exporter::AddTarget(TargetView target) {
  std::lock_guard lock(mutex_);
  std::erase_if(starting_, [&](const StartingTarget& s) { return s.name == target.name; });
  auto windows = std::make_unique<Windows>();
  windows->health = TargetHealth(TargetHealth::kDefaultWindowNs, ChecksFor(target.role));
  targets_.push_back(std::move(target));
  windows_.push_back(std::move(windows));
}

void Exporter::Advance(std::int64_t now_ns) {
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    Windows& w = *windows_[i];
    const TargetView& t = targets_[i];
    const accounting::Totals totals = t.accounting->Sum();
    w.health.Observe({now_ns, t.health->Connected(), totals.published, totals.Errors(),
                      totals.acked, totals.Received()});
    // The three share their boundaries, so one test says whether a snapshot is needed.
    if (!w.end_to_end.Due(now_ns)) continue;
    const TargetSnapshots s = Snapshots(targets_[i]);
    w.end_to_end.Advance(now_ns, s.end_to_end);
    w.publish.Advance(now_ns, s.publish);
    w.send_lag.Advance(now_ns, s.send_lag);
  }
}

void Exporter::SetPool(const workers::Pool* pool) {
  std::lock_guard lock(mutex_);
  pool_ = pool;
}

std::vector<MetricFamily> Exporter::Collect() const {
  std::lock_guard lock(mutex_);
  auto build =
      Family("brokerload_build_info", "brokerload's version; always 1.", MetricType::Gauge);
  AddValue(build, {{"version", version_}}, 1);
  auto config_loaded =
      Family("brokerload_config_loaded_timestamp_seconds",
             "When the running configuration was loaded (Unix time).", MetricType::Gauge);
  AddValue(config_loaded, {}, config_loaded_seconds_);
  auto reloads = Family("brokerload_config_reloads_total",
                        "Config reload attempts (SIGHUP, or a change of the config file's "
                        "content), by result: applied, unchanged, refused (a key that needs a "
                        "restart changed), invalid (the file does not load).",
                        MetricType::Counter);
  for (std::size_t r = 0; r < config::kReloadResultCount; ++r) {
    AddValue(
        reloads,
        {{"result", std::string(config::ReloadResultName(static_cast<config::ReloadResult>(r)))}},
        static_cast<double>(reloads_[r]));
  }
  auto reload_ok =
      Family("brokerload_config_last_reload_successful",
             "0 when the last reload attempt was refused or invalid (the file holds a config that "
             "does not run), else 1.",
             MetricType::Gauge);
  AddValue(reload_ok, {}, last_reload_successful_ ? 1 : 0);
  auto ready =
      Family("brokerload_ready",
             "1 once every target was ready end to end and publishing started, until shutdown.",
             MetricType::Gauge);
  AddValue(ready, {}, ready_.load() ? 1 : 0);

  auto published = Family("brokerload_messages_published_total",
                          "Messages handed to the broker client.", MetricType::Counter);
  auto acked = Family("brokerload_messages_acked_total", "Messages the broker acknowledged.",
                      MetricType::Counter);
  auto errors = Family("brokerload_publish_errors_total",
                       "Sends refused by the client or failed at the broker, by reason.",
                       MetricType::Counter);
  auto consumed =
      Family("brokerload_messages_consumed_total",
             "Messages received and accounted, duplicates included: this run's own, or in "
             "consume-only every producer's scheduled after it started listening.",
             MetricType::Counter);
  auto lost = Family("brokerload_messages_lost_total",
                     "Messages acknowledged, or followed by a later one, and not received within "
                     "run.loss_grace; at shutdown, never received (unconfirmed apart). "
                     "Consume-only: gaps only (a producer's last messages are invisible).",
                     MetricType::Counter);
  auto unconfirmed = Family("brokerload_messages_unconfirmed_total",
                            "At shutdown: never received and never acknowledged within the drain.",
                            MetricType::Counter);
  auto after_error = Family("brokerload_messages_delivered_after_error_total",
                            "Messages whose publish failed (e.g. timed out) that arrived anyway.",
                            MetricType::Counter);
  auto older = Family("brokerload_messages_older_than_window_total",
                      "Messages received below the tracking window: late or duplicate, unknown.",
                      MetricType::Counter);
  auto client_dropped =
      Family("brokerload_messages_dropped_by_client_total",
             "Messages the client library discarded inside brokerload (e.g. cnats slow consumer): "
             "brokerload's loss, never counted as the broker's.",
             MetricType::Counter);
  auto after_lost =
      Family("brokerload_messages_arrived_after_loss_total",
             "Messages received after they had been counted lost.", MetricType::Counter);
  auto duplicated =
      Family("brokerload_messages_duplicated_total",
             "Messages received again from a new place in the broker (a Kafka offset or JetStream "
             "stream sequence above all read before): a second copy in the log or stream.",
             MetricType::Counter);
  auto redelivered =
      Family("brokerload_messages_redelivered_total",
             "Messages received again from a place already read (a Kafka offset or JetStream "
             "stream sequence read before, or a JetStream delivery count above 1): the "
             "consumer's at-least-once redelivery.",
             MetricType::Counter);
  auto out_of_order =
      Family("brokerload_messages_out_of_order_total",
             "Messages of a key processed after a later one (key mode).", MetricType::Counter);
  auto foreign =
      Family("brokerload_messages_foreign_total",
             "Messages skipped: without a valid header, from another run, scheduled before a "
             "consume-only instance listened, or from producers beyond the 64 it tracks.",
             MetricType::Counter);
  auto sources = Family("brokerload_sources",
                        "Producers (run id, producer id) a consume-only instance tracks now; at "
                        "most 64.",
                        MetricType::Gauge);
  auto role = Family("brokerload_role_info",
                     "The target's run.role (full, produce-only, consume-only); always 1.",
                     MetricType::Gauge);
  auto processed = Family("brokerload_messages_processed_total",
                          "Messages the worker pool finished.", MetricType::Counter);
  auto late =
      Family("brokerload_sends_late_total",
             "Sends made more than two ticks after their scheduled time.", MetricType::Counter);
  auto dropped = Family("brokerload_sends_dropped_total",
                        "Scheduled sends skipped because brokerload was over max_send_lag behind.",
                        MetricType::Counter);
  auto publish_latency = Family("brokerload_publish_latency_seconds",
                                "From send to broker acknowledgement.", MetricType::Histogram);
  auto e2e = Family("brokerload_end_to_end_latency_seconds",
                    "From scheduled send time to receipt (corrected for coordinated omission); "
                    "consume-only: across processes, assuming their clocks in sync.",
                    MetricType::Histogram);
  auto e2e_service = Family("brokerload_end_to_end_service_latency_seconds",
                            "From actual send time to receipt (consume-only: clocks assumed in "
                            "sync).",
                            MetricType::Histogram);
  auto send_lag = Family("brokerload_send_lag_seconds",
                         "How far behind its schedule each send was made.", MetricType::Histogram);
  auto e2e_window = Family("brokerload_end_to_end_latency_window_seconds",
                           "Exact end-to-end latency quantile over the last `window` (1m, 5m), "
                           "to 0.8%; NaN when empty.",
                           MetricType::Gauge);
  auto publish_window = Family("brokerload_publish_latency_window_seconds",
                               "Exact publish latency quantile over the last `window` (1m, 5m), "
                               "to 0.8%; NaN when empty.",
                               MetricType::Gauge);
  auto send_lag_window = Family("brokerload_send_lag_window_seconds",
                                "Exact send lag quantile over the last `window` (1m, 5m), to "
                                "0.8%; NaN when empty.",
                                MetricType::Gauge);
  auto target_rate =
      Family("brokerload_target_messages_per_second",
             "The rate the current stage asks for; 0 once the profile ended.", MetricType::Gauge);
  auto in_flight = Family("brokerload_in_flight_messages",
                          "Messages sent and not yet acknowledged or failed.", MetricType::Gauge);
  auto stage = Family("brokerload_stage_info", "The current stage of the profile; always 1.",
                      MetricType::Gauge);
  auto target_info =
      Family("brokerload_target_info", "The broker's and the client library's versions; always 1.",
             MetricType::Gauge);
  auto realtime = Family("brokerload_publisher_realtime",
                         "1 while the publisher thread may run under SCHED_FIFO "
                         "(run.realtime_priority, permitted); 0: normal priority.",
                         MetricType::Gauge);
  auto connected = Family("brokerload_broker_connected",
                          "1 while the client is connected to the broker.", MetricType::Gauge);
  auto disconnects = Family("brokerload_broker_disconnects_total",
                            "Connections to the broker lost.", MetricType::Counter);
  auto client_errors = Family("brokerload_client_errors_total",
                              "Errors reported by the broker client library.", MetricType::Counter);
  auto health = Family("brokerload_target_health",
                       "1 while the check passes over the last 10 s: connected (now), publishing "
                       "(sends get acknowledged), consuming (acknowledged messages arrive).",
                       MetricType::Gauge);
  auto bytes_published =
      Family("brokerload_bytes_published_total",
             "Payload bytes of the messages published (header included).", MetricType::Counter);
  auto bytes_consumed =
      Family("brokerload_bytes_consumed_total",
             "Payload bytes of every arrival counted in consumed.", MetricType::Counter);
  auto consumer_backlog = Family("brokerload_consumer_backlog_messages",
                                 "Acknowledged and not yet received, lost or discarded: what this "
                                 "instance's consumers have yet to take, by its own counts.",
                                 MetricType::Gauge);
  auto broker_backlog = Family("brokerload_broker_backlog_messages",
                               "What the broker holds for the consumers and they have not taken "
                               "yet: Kafka end offsets minus positions, JetStream pending.",
                               MetricType::Gauge);
  auto healthy =
      Family("brokerload_target_healthy", "1 while every check of brokerload_target_health passes.",
             MetricType::Gauge);

  for (std::size_t ti = 0; ti < targets_.size(); ++ti) {
    const TargetView& t = targets_[ti];
    const bool publishes = Publishes(t.role);
    const bool consumes = Consumes(t.role);
    // In flight from the very counts exported with it, so that published = acked + broker errors
    // + in flight holds within the scrape.
    std::uint64_t target_in_flight = 0;
    std::uint64_t target_bytes_published = 0;
    std::uint64_t target_bytes_consumed = 0;
    for (std::size_t i = 0; i < t.topics.size(); ++i) {
      const accounting::Totals c = t.accounting->TopicTotals(i);
      target_in_flight += c.InFlight();
      target_bytes_published += c.published_bytes;
      target_bytes_consumed += c.consumed_bytes;
      const Labels labels = {{"target", t.name}, {"topic", t.topics[i]}};
      if (publishes) {
        AddValue(published, labels, static_cast<double>(c.published));
        AddValue(acked, labels, static_cast<double>(c.acked));
        for (std::size_t r = 0; r < driver::kStatusCount; ++r) {
          const auto status = static_cast<driver::Status>(r);
          if (status == driver::Status::kOk || status == driver::Status::kQueueFull) continue;
          Labels with_reason = labels;
          with_reason.push_back({"reason", std::string(driver::StatusName(status))});
          AddValue(errors, with_reason, static_cast<double>(c.send_errors[r] + c.ack_errors[r]));
        }
        AddValue(late, labels, static_cast<double>(c.late_sends));
        AddValue(dropped, labels, static_cast<double>(c.dropped_sends));
      }
      if (!consumes) continue;
      AddValue(consumed, labels, static_cast<double>(c.consumed));
      AddValue(lost, labels, static_cast<double>(c.lost));
      AddValue(unconfirmed, labels, static_cast<double>(c.unconfirmed));
      AddValue(after_lost, labels, static_cast<double>(c.arrived_after_lost));
      AddValue(after_error, labels, static_cast<double>(c.delivered_after_error));
      AddValue(older, labels, static_cast<double>(c.older_than_window));
      AddValue(client_dropped, labels, static_cast<double>(c.dropped_by_client));
      AddValue(duplicated, labels, static_cast<double>(c.duplicated));
      AddValue(redelivered, labels, static_cast<double>(c.redelivered));
      AddValue(out_of_order, labels, static_cast<double>(c.out_of_order));
      // The reasons the role can count: another run's messages only where the own are told
      // apart, the start and the source limit only in consume-only.
      using accounting::ForeignReason;
      const bool any = t.role == config::Role::kConsumeOnly;
      for (const auto& [reason, name, counted] :
           {std::tuple{ForeignReason::kInvalidHeader, "invalid_header", true},
            std::tuple{ForeignReason::kOtherRun, "other_run", !any},
            std::tuple{ForeignReason::kBeforeStart, "before_start", any},
            std::tuple{ForeignReason::kTooManySources, "too_many_sources", any}}) {
        if (!counted) continue;
        Labels with_reason = labels;
        with_reason.push_back({"reason", name});
        AddValue(foreign, with_reason, static_cast<double>(t.accounting->ForeignCount(i, reason)));
      }
      AddValue(processed, labels, static_cast<double>(c.processed));
    }
    const Labels target = {{"target", t.name}};
    AddValue(role, {{"target", t.name}, {"role", std::string(RoleName(t.role))}}, 1);
    const TargetSnapshots s = Snapshots(t);
    const Windows& w = *windows_[ti];
    if (publishes) {
      AddHistogram(publish_latency, target, s.publish, buckets_, bounds_ns_);
      AddHistogram(send_lag, target, s.send_lag, buckets_, bounds_ns_);
      AddWindowQuantiles(publish_window, t.name, w.publish, s.publish);
      AddWindowQuantiles(send_lag_window, t.name, w.send_lag, s.send_lag);
      AddValue(in_flight, target, static_cast<double>(target_in_flight));
      AddValue(bytes_published, target, static_cast<double>(target_bytes_published));
    }
    if (consumes) {
      AddValue(bytes_consumed, target, static_cast<double>(target_bytes_consumed));
      // Unknown (no assignment, no answer): NaN, so that a threshold is false, not "no backlog".
      const std::optional<std::uint64_t> broker = t.accounting->BrokerBacklog();
      AddValue(broker_backlog, target,
               broker ? static_cast<double>(*broker) : std::numeric_limits<double>::quiet_NaN());
    }
    if (t.role == config::Role::kFull) {
      AddValue(consumer_backlog, target, static_cast<double>(t.accounting->ConsumerBacklog()));
    }
    if (consumes) {
      AddHistogram(e2e, target, s.end_to_end, buckets_, bounds_ns_);
      AddHistogram(e2e_service, target, s.end_to_end_service, buckets_, bounds_ns_);
      AddWindowQuantiles(e2e_window, t.name, w.end_to_end, s.end_to_end);
    }
    if (t.role == config::Role::kConsumeOnly) {
      AddValue(sources, target, static_cast<double>(t.accounting->Sources()));
    }
    if (t.publisher != nullptr) {
      const pacing::StagePlan& plan = t.publisher->CurrentStagePlan();
      const double rate = t.publisher->Unpaced() ? std::numeric_limits<double>::infinity()
                                                 : plan.rate;  // rate: max
      AddValue(target_rate, target, t.publisher->Finished() ? 0 : rate);
      AddValue(stage, {{"target", t.name}, {"stage", plan.name}}, 1);
    }
    AddValue(target_info,
             {{"target", t.name},
              {"broker_version", t.broker_version},
              {"client_version", t.client_version}},
             1);
    if (t.publisher_thread != nullptr) {
      AddValue(realtime, target, t.publisher_thread->Realtime() ? 1 : 0);
    }
    AddValue(connected, target, t.health->Connected() ? 1 : 0);
    AddValue(disconnects, target, static_cast<double>(t.health->disconnects.load(kRelaxed)));
    AddValue(client_errors, target, static_cast<double>(t.health->client_errors.load(kRelaxed)));
    // The window checks as of the last Advance (once a second); the connection as of now, so
    // that healthy never says 1 beside brokerload_broker_connected 0 in one scrape. Only the
    // checks that apply to the role are exported (target_health.hpp).
    const TargetHealth& h = windows_[ti]->health;
    const bool connected_now = t.health->Connected();
    AddValue(health, {{"target", t.name}, {"check", "connected"}}, connected_now ? 1 : 0);
    if (h.Checks().publishing) {
      AddValue(health, {{"target", t.name}, {"check", "publishing"}}, h.Publishing() ? 1 : 0);
    }
    if (h.Checks().consuming) {
      AddValue(health, {{"target", t.name}, {"check", "consuming"}}, h.Consuming() ? 1 : 0);
    }
    AddValue(healthy, target, connected_now && h.WindowChecksPass() ? 1 : 0);
  }
  for (const StartingTarget& t : starting_) {
    const Labels target = {{"target", t.name}};
    AddValue(role, {{"target", t.name}, {"role", std::string(RoleName(t.role))}}, 1);
    AddValue(connected, target, t.health->Connected() ? 1 : 0);
    AddValue(health, {{"target", t.name}, {"check", "connected"}}, 0);
    AddValue(healthy, target, 0);
  }
  auto queue_depth = Family("brokerload_worker_queue_depth",
                            "Messages waiting for a worker, over all workers.", MetricType::Gauge);
  AddValue(queue_depth, {}, pool_ ? static_cast<double>(pool_->QueueDepth()) : 0);

  const ProcessStats process = ReadProcessStats();
  auto cpu =
      Family("process_cpu_seconds_total", "User and system CPU time spent.", MetricType::Counter);
  AddValue(cpu, {}, process.cpu_seconds);
  auto rss = Family("process_resident_memory_bytes", "Resident memory size.", MetricType::Gauge);
  AddValue(rss, {}, static_cast<double>(process.resident_bytes));
  auto vsize = Family("process_virtual_memory_bytes", "Virtual memory size.", MetricType::Gauge);
  AddValue(vsize, {}, static_cast<double>(process.virtual_bytes));
  auto fds = Family("process_open_fds", "Open file descriptors.", MetricType::Gauge);
  AddValue(fds, {}, static_cast<double>(process.open_fds));
  auto threads = Family("process_threads", "OS threads.", MetricType::Gauge);
  AddValue(threads, {}, static_cast<double>(process.threads));
  auto start =
      Family("process_start_time_seconds", "Start time since the Unix epoch.", MetricType::Gauge);
  AddValue(start, {}, process.start_time_seconds);

  return {build,
          config_loaded,
          reloads,
          reload_ok,
          ready,
          published,
          acked,
          errors,
          consumed,
          lost,
          unconfirmed,
          after_error,
          older,
          client_dropped,
          after_lost,
          duplicated,
          redelivered,
          out_of_order,
          foreign,
          sources,
          role,
          processed,
          late,
          dropped,
          publish_latency,
          e2e,
          e2e_service,
          send_lag,
          e2e_window,
          publish_window,
          send_lag_window,
          target_rate,
          in_flight,
          stage,
          target_info,
          realtime,
          connected,
          disconnects,
          client_errors,
          health,
          healthy,
          bytes_published,
          bytes_consumed,
          consumer_backlog,
          broker_backlog,
          queue_depth,
          cpu,
          rss,
          vsize,
          fds,
          threads,
          start};
}

}  // namespace brokerload::metrics
