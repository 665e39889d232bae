// The catalogue is the exporter's whole output and docs/metrics.md documents it: a family dropped,
// renamed or retyped by a change fails here, as does one exported or documented outside it.
#include "metrics/catalogue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "exporter_scene.hpp"

namespace brokerload::metrics {
namespace {

using prometheus::MetricType;

struct Expected {
  std::string_view name;
  MetricType type;
};
constexpr Expected kExpected[] = {
    {"brokerload_build_info", MetricType::Gauge},
    {"brokerload_config_loaded_timestamp_seconds", MetricType::Gauge},
    {"brokerload_config_reloads_total", MetricType::Counter},
    {"brokerload_config_last_reload_successful", MetricType::Gauge},
    {"brokerload_ready", MetricType::Gauge},
    {"brokerload_messages_published_total", MetricType::Counter},
    {"brokerload_messages_acked_total", MetricType::Counter},
    {"brokerload_publish_errors_total", MetricType::Counter},
    {"brokerload_messages_consumed_total", MetricType::Counter},
    {"brokerload_messages_lost_total", MetricType::Counter},
    {"brokerload_messages_unconfirmed_total", MetricType::Counter},
    {"brokerload_messages_delivered_after_error_total", MetricType::Counter},
    {"brokerload_messages_older_than_window_total", MetricType::Counter},
    {"brokerload_messages_dropped_by_client_total", MetricType::Counter},
    {"brokerload_messages_arrived_after_loss_total", MetricType::Counter},
    {"brokerload_messages_duplicated_total", MetricType::Counter},
    {"brokerload_messages_redelivered_total", MetricType::Counter},
    {"brokerload_messages_out_of_order_total", MetricType::Counter},
    {"brokerload_messages_foreign_total", MetricType::Counter},
    {"brokerload_sources", MetricType::Gauge},
    {"brokerload_role_info", MetricType::Gauge},
    {"brokerload_messages_processed_total", MetricType::Counter},
    {"brokerload_sends_late_total", MetricType::Counter},
    {"brokerload_sends_dropped_total", MetricType::Counter},
    {"brokerload_publish_latency_seconds", MetricType::Histogram},
    {"brokerload_end_to_end_latency_seconds", MetricType::Histogram},
    {"brokerload_end_to_end_service_latency_seconds", MetricType::Histogram},
    {"brokerload_send_lag_seconds", MetricType::Histogram},
    {"brokerload_broker_publish_latency_seconds", MetricType::Histogram},
    {"brokerload_broker_end_to_end_latency_seconds", MetricType::Histogram},
    {"brokerload_broker_publish_latency_window_seconds", MetricType::Gauge},
    {"brokerload_broker_end_to_end_latency_window_seconds", MetricType::Gauge},
    {"brokerload_broker_publish_errors_total", MetricType::Counter},
    {"brokerload_broker_messages_lost_total", MetricType::Counter},
    {"brokerload_broker_messages_duplicated_total", MetricType::Counter},
    {"brokerload_end_to_end_latency_window_seconds", MetricType::Gauge},
    {"brokerload_messages_negative_latency_total", MetricType::Counter},
    {"brokerload_end_to_end_latency_most_negative_seconds", MetricType::Gauge},
    {"brokerload_publish_latency_window_seconds", MetricType::Gauge},
    {"brokerload_send_lag_window_seconds", MetricType::Gauge},
    {"brokerload_target_messages_per_second", MetricType::Gauge},
    {"brokerload_in_flight_messages", MetricType::Gauge},
    {"brokerload_stage_info", MetricType::Gauge},
    {"brokerload_target_info", MetricType::Gauge},
    {"brokerload_publisher_realtime", MetricType::Gauge},
    {"brokerload_broker_connected", MetricType::Gauge},
    {"brokerload_broker_disconnects_total", MetricType::Counter},
    {"brokerload_client_errors_total", MetricType::Counter},
    {"brokerload_target_health", MetricType::Gauge},
    {"brokerload_target_healthy", MetricType::Gauge},
    {"brokerload_bytes_published_total", MetricType::Counter},
    {"brokerload_bytes_consumed_total", MetricType::Counter},
    {"brokerload_producer_sent_bytes_total", MetricType::Counter},
    {"brokerload_consumer_backlog_messages", MetricType::Gauge},
    {"brokerload_broker_backlog_messages", MetricType::Gauge},
    {"brokerload_broker_ack_pending_messages", MetricType::Gauge},
    {"brokerload_broker_partitions_led", MetricType::Gauge},
    {"brokerload_kafka_group_coordinator", MetricType::Gauge},
    {"brokerload_broker_commit_latency_seconds", MetricType::Histogram},
    {"brokerload_broker_commit_failures_total", MetricType::Counter},
    {"brokerload_worker_queue_depth", MetricType::Gauge},
    {"process_cpu_seconds_total", MetricType::Counter},
    {"process_resident_memory_bytes", MetricType::Gauge},
    {"process_virtual_memory_bytes", MetricType::Gauge},
    {"process_open_fds", MetricType::Gauge},
    {"process_threads", MetricType::Gauge},
    {"process_start_time_seconds", MetricType::Gauge},
};

TEST(Catalogue, HoldsEveryFamilyOnceWithItsType) {
  ASSERT_EQ(Catalogue().size(), std::size(kExpected));
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < Catalogue().size(); ++i) {
    const FamilySpec& spec = Catalogue()[i];
    EXPECT_EQ(spec.name, kExpected[i].name) << i;
    EXPECT_EQ(spec.type, kExpected[i].type) << spec.name;
    EXPECT_FALSE(spec.help.empty()) << spec.name;
    EXPECT_TRUE(names.insert(spec.name).second) << spec.name << " twice";
  }
}

std::vector<std::string> Names(const prometheus::ClientMetric& metric) {
  std::vector<std::string> names;
  for (const auto& label : metric.label) names.push_back(label.name);
  return names;
}

TEST(Catalogue, IsWhatTheExporterExportsInOrderWithItsLabelNames) {
  ExporterScene scene;
  const std::vector<prometheus::MetricFamily> families = scene.exporter.Collect();
  ASSERT_EQ(families.size(), Catalogue().size());
  for (std::size_t i = 0; i < families.size(); ++i) {
    const FamilySpec& spec = Catalogue()[i];
    EXPECT_EQ(families[i].name, spec.name);
    EXPECT_EQ(families[i].help, spec.help) << spec.name;
    EXPECT_EQ(families[i].type, spec.type) << spec.name;
    EXPECT_FALSE(families[i].metric.empty()) << spec.name << ": the scene exports no sample";
    const std::vector<std::string> expected(spec.labels.begin(), spec.labels.end());
    for (const prometheus::ClientMetric& metric : families[i].metric) {
      EXPECT_EQ(Names(metric), expected) << spec.name;
    }
  }
}

std::string TypeName(MetricType type) {
  switch (type) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Histogram:
      return "histogram";
    default:
      return "other";
  }
}

std::string Joined(LabelNames labels) {
  std::string joined;
  for (std::string_view label : labels) joined += (joined.empty() ? "" : ", ") + std::string(label);
  return joined;
}

// Each table row of docs/metrics.md that names a metric: "| `name` | [type |] labels | ...".
TEST(Catalogue, AgreesWithDocsMetricsMd) {
  std::ifstream file(BROKERLOAD_METRICS_DOC);
  ASSERT_TRUE(file) << BROKERLOAD_METRICS_DOC;
  const std::string docs{std::istreambuf_iterator<char>(file), {}};
  for (const FamilySpec& spec : Catalogue()) {
    EXPECT_NE(docs.find("`" + std::string(spec.name) + "`"), std::string::npos)
        << spec.name << " is not in docs/metrics.md";
  }
  const std::regex row(R"(^\| `([a-z_]+)` \| ([^|]*?) \| ([^|]*?) \|)");
  std::istringstream lines(docs);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    const auto spec = std::find_if(Catalogue().begin(), Catalogue().end(),
                                   [&](const FamilySpec& s) { return s.name == m[1].str(); });
    ASSERT_NE(spec, Catalogue().end()) << m[1] << " is documented and not exported";
    const bool typed = m[2] == "counter" || m[2] == "gauge" || m[2] == "histogram";
    if (typed) {
      EXPECT_EQ(m[2].str(), TypeName(spec->type)) << spec->name;
    }
    EXPECT_EQ((typed ? m[3] : m[2]).str(), Joined(spec->labels)) << spec->name;
  }
}

}  // namespace
}  // namespace brokerload::metrics
