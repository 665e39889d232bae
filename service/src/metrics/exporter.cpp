#include "metrics/exporter.hpp"

#include <chrono>
#include <cmath>
#include <limits>

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
                  const std::vector<double>& bounds) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.histogram.sample_count = h.Count();
  metric.histogram.sample_sum = h.SumSeconds();
  for (double bound : bounds) {
    metric.histogram.bucket.push_back(
        {h.CountAtOrBelow(static_cast<std::int64_t>(std::llround(bound * 1e9))), bound});
  }
  metric.histogram.bucket.push_back({h.Count(), std::numeric_limits<double>::infinity()});
  family.metric.push_back(std::move(metric));
}

double Seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace

Exporter::Exporter(std::string version, std::vector<double> latency_buckets_seconds)
    : version_(std::move(version)),
      buckets_(std::move(latency_buckets_seconds)),
      config_loaded_seconds_(Seconds(std::chrono::system_clock::now())) {}

void Exporter::AddTarget(TargetView target) {
  std::lock_guard lock(mutex_);
  targets_.push_back(std::move(target));
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
  auto ready =
      Family("brokerload_ready", "1 once every target publishes and consumes.", MetricType::Gauge);
  AddValue(ready, {}, ready_.load() ? 1 : 0);

  auto published = Family("brokerload_messages_published_total",
                          "Messages handed to the broker client.", MetricType::Counter);
  auto acked = Family("brokerload_messages_acked_total", "Messages the broker acknowledged.",
                      MetricType::Counter);
  auto errors = Family("brokerload_publish_errors_total",
                       "Sends refused by the client or failed at the broker, by reason.",
                       MetricType::Counter);
  auto consumed = Family("brokerload_messages_consumed_total",
                         "This run's messages received by the consumers, duplicates included.",
                         MetricType::Counter);
  auto lost = Family("brokerload_messages_lost_total",
                     "Messages acknowledged, or followed by a later one, and not received within "
                     "run.loss_grace; at shutdown, never received (unconfirmed apart).",
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
             "Messages received again within the tracking window.", MetricType::Counter);
  auto out_of_order =
      Family("brokerload_messages_out_of_order_total",
             "Messages of a key processed after a later one (key mode).", MetricType::Counter);
  auto foreign =
      Family("brokerload_messages_foreign_total",
             "Messages without a valid header, or from another run; skipped.", MetricType::Counter);
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
                    "From scheduled send time to receipt (corrected for coordinated omission).",
                    MetricType::Histogram);
  auto e2e_service = Family("brokerload_end_to_end_service_latency_seconds",
                            "From actual send time to receipt.", MetricType::Histogram);
  auto send_lag = Family("brokerload_send_lag_seconds",
                         "How far behind its schedule each send was made.", MetricType::Histogram);
  auto target_rate =
      Family("brokerload_target_messages_per_second",
             "The rate the current stage asks for; 0 once the profile ended.", MetricType::Gauge);
  auto in_flight = Family("brokerload_in_flight_messages",
                          "Messages sent and not yet acknowledged or failed.", MetricType::Gauge);
  auto stage = Family("brokerload_stage_info", "The current stage of the profile; always 1.",
                      MetricType::Gauge);
  auto connected = Family("brokerload_broker_connected",
                          "1 while the client is connected to the broker.", MetricType::Gauge);
  auto disconnects = Family("brokerload_broker_disconnects_total",
                            "Connections to the broker lost.", MetricType::Counter);
  auto client_errors = Family("brokerload_client_errors_total",
                              "Errors reported by the broker client library.", MetricType::Counter);

  for (const TargetView& t : targets_) {
    for (std::size_t i = 0; i < t.topics.size(); ++i) {
      const accounting::Totals c = t.accounting->TopicTotals(i);
      const Labels labels = {{"target", t.name}, {"topic", t.topics[i]}};
      AddValue(published, labels, static_cast<double>(c.published));
      AddValue(acked, labels, static_cast<double>(c.acked));
      for (std::size_t r = 0; r < driver::kStatusCount; ++r) {
        const auto status = static_cast<driver::Status>(r);
        if (status == driver::Status::kOk || status == driver::Status::kQueueFull) continue;
        Labels with_reason = labels;
        with_reason.push_back({"reason", std::string(driver::StatusName(status))});
        AddValue(errors, with_reason, static_cast<double>(c.send_errors[r] + c.ack_errors[r]));
      }
      AddValue(consumed, labels, static_cast<double>(c.consumed));
      AddValue(lost, labels, static_cast<double>(c.lost));
      AddValue(unconfirmed, labels, static_cast<double>(c.unconfirmed));
      AddValue(after_lost, labels, static_cast<double>(c.arrived_after_lost));
      AddValue(after_error, labels, static_cast<double>(c.delivered_after_error));
      AddValue(older, labels, static_cast<double>(c.older_than_window));
      AddValue(client_dropped, labels, static_cast<double>(c.dropped_by_client));
      AddValue(duplicated, labels, static_cast<double>(c.duplicated));
      AddValue(out_of_order, labels, static_cast<double>(c.out_of_order));
      const char* reasons[] = {"invalid_header", "other_run"};
      for (std::size_t r = 0; r < 2; ++r) {
        Labels with_reason = labels;
        with_reason.push_back({"reason", reasons[r]});
        AddValue(foreign, with_reason,
                 static_cast<double>(
                     t.accounting->ForeignCount(i, static_cast<accounting::ForeignReason>(r))));
      }
      AddValue(processed, labels, static_cast<double>(c.processed));
      AddValue(late, labels, static_cast<double>(c.late_sends));
      AddValue(dropped, labels, static_cast<double>(c.dropped_sends));
      const accounting::TopicLatencies& l = t.accounting->Latencies(i);
      AddHistogram(publish_latency, labels, l.publish.Snapshot(), buckets_);
      AddHistogram(e2e, labels, l.end_to_end.Snapshot(), buckets_);
      AddHistogram(e2e_service, labels, l.end_to_end_service.Snapshot(), buckets_);
    }
    const Labels target = {{"target", t.name}};
    AddHistogram(send_lag, target, t.accounting->SendLag().Snapshot(), buckets_);
    AddValue(in_flight, target, static_cast<double>(t.accounting->InFlight()));
    if (t.publisher != nullptr) {
      const std::size_t current = t.publisher->CurrentStage();
      const pacing::StagePlan& plan = t.schedule->Stages()[current];
      AddValue(target_rate, target, t.publisher->Finished() ? 0 : plan.rate);
      AddValue(stage, {{"target", t.name}, {"stage", plan.name}}, 1);
    }
    AddValue(connected, target, t.health->connected.load() ? 1 : 0);
    AddValue(disconnects, target, static_cast<double>(t.health->disconnects.load(kRelaxed)));
    AddValue(client_errors, target, static_cast<double>(t.health->client_errors.load(kRelaxed)));
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

  return {build,         config_loaded, ready,        published,
          acked,         errors,        consumed,     lost,
          unconfirmed,   after_error,   older,        client_dropped,
          after_lost,    duplicated,    out_of_order, foreign,
          processed,     late,          dropped,      publish_latency,
          e2e,           e2e_service,   send_lag,     target_rate,
          in_flight,     stage,         connected,    disconnects,
          client_errors, queue_depth,   cpu,          rss,
          vsize,         fds,           threads,      start};
}

}  // namespace brokerload::metrics
