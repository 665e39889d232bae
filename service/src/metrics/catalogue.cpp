#include "metrics/catalogue.hpp"

namespace brokerload::metrics {
namespace {

using prometheus::MetricType;

constexpr std::array<FamilySpec, kFamilyCount> kCatalogue = {{
    {FamilyId::kBuildInfo, "brokerload_build_info", "brokerload's version; always 1.",
     MetricType::Gauge, kVersionLabel},
    {FamilyId::kConfigLoadedTimestamp, "brokerload_config_loaded_timestamp_seconds",
     "When the running configuration was loaded (Unix time).", MetricType::Gauge, kNoLabels},
    {FamilyId::kConfigReloads, "brokerload_config_reloads_total",
     "Config reload attempts (SIGHUP, or a change of the config file's content), by "
     "result: applied, unchanged, refused (a key that needs a restart changed), "
     "invalid (the file does not load).",
     MetricType::Counter, kResultLabel},
    {FamilyId::kConfigLastReloadSuccessful, "brokerload_config_last_reload_successful",
     "0 when the last reload attempt was refused or invalid (the file holds a config "
     "that does not run), else 1.",
     MetricType::Gauge, kNoLabels},
    {FamilyId::kReady, "brokerload_ready",
     "1 once every target was ready end to end and publishing started, until "
     "shutdown.",
     MetricType::Gauge, kNoLabels},
    {FamilyId::kPublished, "brokerload_messages_published_total",
     "Messages handed to the broker client.", MetricType::Counter, kTargetTopic},
    {FamilyId::kAcked, "brokerload_messages_acked_total", "Messages the broker acknowledged.",
     MetricType::Counter, kTargetTopic},
    {FamilyId::kPublishErrors, "brokerload_publish_errors_total",
     "Sends refused by the client or failed at the broker, by reason.", MetricType::Counter,
     kTargetTopicReason},
    {FamilyId::kConsumed, "brokerload_messages_consumed_total",
     "Messages received and accounted, duplicates included: this run's own, or in "
     "consume-only every producer's scheduled after it started listening.",
     MetricType::Counter, kTargetTopic},
    {FamilyId::kLost, "brokerload_messages_lost_total",
     "Messages acknowledged, or followed by a later one, and not received within "
     "run.loss_grace; at shutdown, never received (unconfirmed apart). Consume-only: "
     "gaps only (a producer's last messages are invisible).",
     MetricType::Counter, kTargetTopic},
    {FamilyId::kUnconfirmed, "brokerload_messages_unconfirmed_total",
     "At shutdown: never received and never acknowledged within the drain.", MetricType::Counter,
     kTargetTopic},
    {FamilyId::kDeliveredAfterError, "brokerload_messages_delivered_after_error_total",
     "Messages whose publish failed (e.g. timed out) that arrived anyway.", MetricType::Counter,
     kTargetTopic},
    {FamilyId::kOlderThanWindow, "brokerload_messages_older_than_window_total",
     "Messages received below the tracking window: late or duplicate, unknown.",
     MetricType::Counter, kTargetTopic},
    {FamilyId::kDroppedByClient, "brokerload_messages_dropped_by_client_total",
     "Messages the client library discarded inside brokerload (e.g. cnats slow "
     "consumer): brokerload's loss, never counted as the broker's.",
     MetricType::Counter, kTargetTopic},
    {FamilyId::kArrivedAfterLoss, "brokerload_messages_arrived_after_loss_total",
     "Messages received after they had been counted lost.", MetricType::Counter, kTargetTopic},
    {FamilyId::kDuplicated, "brokerload_messages_duplicated_total",
     "Messages received again from a new place in the broker (a Kafka offset or "
     "JetStream stream sequence above all read before): a second copy in the log or "
     "stream.",
     MetricType::Counter, kTargetTopic},
    {FamilyId::kRedelivered, "brokerload_messages_redelivered_total",
     "Messages received again from a place already read (a Kafka offset or JetStream "
     "stream sequence read before, or a JetStream delivery count above 1): the "
     "consumer's at-least-once redelivery.",
     MetricType::Counter, kTargetTopic},
    {FamilyId::kOutOfOrder, "brokerload_messages_out_of_order_total",
     "Messages of a key processed after a later one (key mode).", MetricType::Counter,
     kTargetTopic},
    {FamilyId::kForeign, "brokerload_messages_foreign_total",
     "Messages skipped: without a valid header, from another run, scheduled before a "
     "consume-only instance listened, or from producers beyond the 64 it tracks.",
     MetricType::Counter, kTargetTopicReason},
    {FamilyId::kSources, "brokerload_sources",
     "Producers (run id, producer id) a consume-only instance tracks now; at most "
     "64.",
     MetricType::Gauge, kTargetLabel},
    {FamilyId::kRoleInfo, "brokerload_role_info",
     "The target's run.role (full, produce-only, consume-only); always 1.", MetricType::Gauge,
     kTargetRole},
    {FamilyId::kProcessed, "brokerload_messages_processed_total",
     "Messages the worker pool finished.", MetricType::Counter, kTargetTopic},
    {FamilyId::kSendsLate, "brokerload_sends_late_total",
     "Sends made more than two ticks after their scheduled time.", MetricType::Counter,
     kTargetTopic},
    {FamilyId::kSendsDropped, "brokerload_sends_dropped_total",
     "Scheduled sends skipped because brokerload was over max_send_lag behind.",
     MetricType::Counter, kTargetTopic},
    {FamilyId::kPublishLatency, "brokerload_publish_latency_seconds",
     "From send to broker acknowledgement.", MetricType::Histogram, kTargetLabel},
    {FamilyId::kEndToEndLatency, "brokerload_end_to_end_latency_seconds",
     "From scheduled send time to receipt (corrected for coordinated omission); "
     "consume-only: across processes, assuming their clocks in sync.",
     MetricType::Histogram, kTargetLabel},
    {FamilyId::kEndToEndServiceLatency, "brokerload_end_to_end_service_latency_seconds",
     "From actual send time to receipt (consume-only: clocks assumed in sync).",
     MetricType::Histogram, kTargetLabel},
    {FamilyId::kSendLag, "brokerload_send_lag_seconds",
     "How far behind its schedule each send was made.", MetricType::Histogram, kTargetLabel},
    {FamilyId::kBrokerPublishLatency, "brokerload_broker_publish_latency_seconds",
     "From send to broker acknowledgement, by the broker that acknowledged (Kafka: its id; "
     "JetStream: the server leading the stream).",
     MetricType::Histogram, kTargetBroker},
    {FamilyId::kBrokerEndToEndLatency, "brokerload_broker_end_to_end_latency_seconds",
     "From scheduled send time to receipt, by the broker it was read from (Kafka: its id; "
     "JetStream: the server leading the stream).",
     MetricType::Histogram, kTargetBroker},
    {FamilyId::kBrokerPublishLatencyWindow, "brokerload_broker_publish_latency_window_seconds",
     "Exact publish latency quantile over the last `window` (1m, 5m), to 0.8%, by the broker "
     "that acknowledged; NaN when empty.",
     MetricType::Gauge, kTargetBrokerQuantileWindow},
    {FamilyId::kBrokerEndToEndLatencyWindow, "brokerload_broker_end_to_end_latency_window_seconds",
     "Exact end-to-end latency quantile over the last `window` (1m, 5m), to 0.8%, by the broker "
     "it was read from; NaN when empty.",
     MetricType::Gauge, kTargetBrokerQuantileWindow},
    {FamilyId::kBrokerPublishErrors, "brokerload_broker_publish_errors_total",
     "Publishes the broker failed (not those the client refused), by the broker that failed it "
     "or it was sent to, and reason.",
     MetricType::Counter, kTargetBrokerReason},
    {FamilyId::kBrokerLost, "brokerload_broker_messages_lost_total",
     "Messages lost (as brokerload_messages_lost_total), by the broker that acknowledged them "
     "(JetStream: the server leading the stream).",
     MetricType::Counter, kTargetBroker},
    {FamilyId::kBrokerDuplicated, "brokerload_broker_messages_duplicated_total",
     "Second copies from a new place in the broker (as brokerload_messages_duplicated_total), "
     "by the broker they were read from.",
     MetricType::Counter, kTargetBroker},
    {FamilyId::kEndToEndLatencyWindow, "brokerload_end_to_end_latency_window_seconds",
     "Exact end-to-end latency quantile over the last `window` (1m, 5m), to 0.8%; "
     "NaN when empty.",
     MetricType::Gauge, kTargetQuantileWindow},
    {FamilyId::kNegativeLatency, "brokerload_messages_negative_latency_total",
     "Consume-only: messages received before their scheduled send time by this host's clock "
     "(clock skew); kept out of the end-to-end histograms.",
     MetricType::Counter, kTargetLabel},
    {FamilyId::kMostNegativeLatency, "brokerload_end_to_end_latency_most_negative_seconds",
     "Consume-only: the most negative end-to-end latency over the last minute (1m to 1m10s); 0 "
     "when none.",
     MetricType::Gauge, kTargetLabel},
    {FamilyId::kPublishLatencyWindow, "brokerload_publish_latency_window_seconds",
     "Exact publish latency quantile over the last `window` (1m, 5m), to 0.8%; NaN "
     "when empty.",
     MetricType::Gauge, kTargetQuantileWindow},
    {FamilyId::kSendLagWindow, "brokerload_send_lag_window_seconds",
     "Exact send lag quantile over the last `window` (1m, 5m), to 0.8%; NaN when "
     "empty.",
     MetricType::Gauge, kTargetQuantileWindow},
    {FamilyId::kTargetRate, "brokerload_target_messages_per_second",
     "The rate the current stage asks for; 0 once the profile ended.", MetricType::Gauge,
     kTargetLabel},
    {FamilyId::kInFlight, "brokerload_in_flight_messages",
     "Messages sent and not yet acknowledged or failed.", MetricType::Gauge, kTargetLabel},
    {FamilyId::kStageInfo, "brokerload_stage_info", "The current stage of the profile; always 1.",
     MetricType::Gauge, kTargetStage},
    {FamilyId::kTargetInfo, "brokerload_target_info",
     "The broker's and the client library's versions; always 1.", MetricType::Gauge,
     kTargetVersions},
    {FamilyId::kPublisherRealtime, "brokerload_publisher_realtime",
     "1 while the publisher thread may run under SCHED_FIFO (run.realtime_priority, "
     "permitted); 0: normal priority.",
     MetricType::Gauge, kTargetLabel},
    {FamilyId::kBrokerConnected, "brokerload_broker_connected",
     "1 while the client is connected to the broker.", MetricType::Gauge, kTargetLabel},
    {FamilyId::kBrokerDisconnects, "brokerload_broker_disconnects_total",
     "Connections to the broker lost.", MetricType::Counter, kTargetLabel},
    {FamilyId::kClientErrors, "brokerload_client_errors_total",
     "Errors reported by the broker client library.", MetricType::Counter, kTargetLabel},
    {FamilyId::kTargetHealth, "brokerload_target_health",
     "1 while the check passes over the last 10 s: connected (now), publishing "
     "(sends get acknowledged), consuming (acknowledged messages arrive).",
     MetricType::Gauge, kTargetCheck},
    {FamilyId::kTargetHealthy, "brokerload_target_healthy",
     "1 while every check of brokerload_target_health passes.", MetricType::Gauge, kTargetLabel},
    {FamilyId::kBytesPublished, "brokerload_bytes_published_total",
     "Payload bytes of the messages published (header included).", MetricType::Counter,
     kTargetLabel},
    {FamilyId::kBytesConsumed, "brokerload_bytes_consumed_total",
     "Payload bytes of every arrival counted in consumed.", MetricType::Counter, kTargetLabel},
    {FamilyId::kProducerSentBytes, "brokerload_producer_sent_bytes_total",
     "Bytes the producer's client says it sent: Kafka's requests on the wire after compression "
     "(librdkafka's tx_bytes, every statistics.interval.ms), NATS' published payloads and "
     "JetStream API requests (cnats' outBytes). Over brokerload_bytes_published_total: the "
     "compression ratio.",
     MetricType::Counter, kTargetLabel},
    {FamilyId::kConsumerBacklog, "brokerload_consumer_backlog_messages",
     "Acknowledged and not yet received, lost or discarded: what this instance's "
     "consumers have yet to take, by its own counts.",
     MetricType::Gauge, kTargetLabel},
    {FamilyId::kBrokerBacklog, "brokerload_broker_backlog_messages",
     "What the broker holds for the topic's consumer and it has not taken yet: Kafka end "
     "offsets minus positions, JetStream stream end minus the last sequence taken; NaN "
     "while unknown.",
     MetricType::Gauge, kTargetTopic},
    {FamilyId::kBrokerAckPending, "brokerload_broker_ack_pending_messages",
     "JetStream with acks: messages the server delivered to the topic's consumer and awaits "
     "the acknowledgement of (num_ack_pending); NaN while unknown.",
     MetricType::Gauge, kTargetTopic},
    {FamilyId::kBrokerPartitionsLed, "brokerload_broker_partitions_led",
     "Partitions (Kafka) or streams (JetStream) of this run's topics that the broker leads, as "
     "last asked (every 5 s); 0: it leads none, and brokerload does not measure it.",
     MetricType::Gauge, kTargetBroker},
    // Kafka's consumer groups: coordinator and timed commits.
    {FamilyId::kGroupCoordinator, "brokerload_kafka_group_coordinator",
     "Kafka: of this run's consumer groups (one per lane), how many the broker coordinates, as "
     "last asked (every 5 s); only coordinators are listed.",
     MetricType::Gauge, kTargetBroker},
    {FamilyId::kBrokerCommitLatency, "brokerload_broker_commit_latency_seconds",
     "Kafka: from an offset commit request to the coordinator's answer, by the group's "
     "coordinator when it started (brokerload's timed commit every 5 s of each group's consumed "
     "offsets, beside auto-commit); successful commits only.",
     MetricType::Histogram, kTargetBroker},
    {FamilyId::kBrokerCommitFailures, "brokerload_broker_commit_failures_total",
     "Kafka: timed offset commits that failed, by the group's coordinator when it started and "
     "reason: timeout, coordinator, rebalance, transport, unauthorized, other.",
     MetricType::Counter, kTargetBrokerReason},
    {FamilyId::kWorkerQueueDepth, "brokerload_worker_queue_depth",
     "Messages waiting for a worker, over all workers.", MetricType::Gauge, kNoLabels},
    {FamilyId::kProcessCpu, "process_cpu_seconds_total", "User and system CPU time spent.",
     MetricType::Counter, kNoLabels},
    {FamilyId::kProcessResidentMemory, "process_resident_memory_bytes", "Resident memory size.",
     MetricType::Gauge, kNoLabels},
    {FamilyId::kProcessVirtualMemory, "process_virtual_memory_bytes", "Virtual memory size.",
     MetricType::Gauge, kNoLabels},
    {FamilyId::kProcessOpenFds, "process_open_fds", "Open file descriptors.", MetricType::Gauge,
     kNoLabels},
    {FamilyId::kProcessThreads, "process_threads", "OS threads.", MetricType::Gauge, kNoLabels},
    {FamilyId::kProcessStartTime, "process_start_time_seconds", "Start time since the Unix epoch.",
     MetricType::Gauge, kNoLabels},
}};

constexpr bool IndexedById() {
  for (std::size_t i = 0; i < kCatalogue.size(); ++i) {
    if (static_cast<std::size_t>(kCatalogue[i].id) != i) return false;
  }
  return true;
}
static_assert(IndexedById(), "kCatalogue must list the families in FamilyId order");

}  // namespace

const std::array<FamilySpec, kFamilyCount>& Catalogue() { return kCatalogue; }

}  // namespace brokerload::metrics
