#include "driver/kafka/kafka_describe.hpp"

#include <memory>
#include <string>

#include "driver/kafka/kafka_conf.hpp"
#include "driver/kafka/kafka_handles.hpp"

namespace brokerload::driver::kafka {
namespace {

struct ResourceDeleter {
  void operator()(rd_kafka_ConfigResource_t* r) const { rd_kafka_ConfigResource_destroy(r); }
};

// inter.broker.protocol.version of one broker (`value`), or why there is none (`gap`).
struct ProtocolVersion {
  std::string value;
  std::string gap;
};

ProtocolVersion BrokerProtocolVersion(rd_kafka_t* rk, std::chrono::milliseconds timeout) {
  const std::string within = " within " + std::to_string(timeout.count()) + " ms";
  const rd_kafka_metadata_t* metadata = nullptr;
  if (const rd_kafka_resp_err_t err =
          rd_kafka_metadata(rk, 0, nullptr, &metadata, static_cast<int>(timeout.count()));
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return {"", std::string("no broker list: ") + rd_kafka_err2str(err)};
  }
  const std::string broker_id =
      metadata->broker_cnt > 0 ? std::to_string(metadata->brokers[0].id) : "";
  rd_kafka_metadata_destroy(metadata);
  if (broker_id.empty()) return {"", "the metadata lists no broker"};
  std::unique_ptr<rd_kafka_ConfigResource_t, ResourceDeleter> resource(
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_BROKER, broker_id.c_str()));
  QueuePtr queue(rd_kafka_queue_new(rk));
  rd_kafka_ConfigResource_t* resources[] = {resource.get()};
  rd_kafka_DescribeConfigs(rk, resources, 1, nullptr, queue.get());
  EventPtr event(rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count())));
  if (!event) return {"", "no DescribeConfigs answer" + within};
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return {"", std::string("DescribeConfigs failed: ") + rd_kafka_event_error_string(event.get())};
  }
  const rd_kafka_DescribeConfigs_result_t* result =
      rd_kafka_event_DescribeConfigs_result(event.get());
  std::size_t count = 0;
  const rd_kafka_ConfigResource_t** described =
      rd_kafka_DescribeConfigs_result_resources(result, &count);
  for (std::size_t i = 0; i < count; ++i) {
    if (const rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(described[i]);
        err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* text = rd_kafka_ConfigResource_error_string(described[i]);
      return {"", std::string("DescribeConfigs failed: ") +
                      (text != nullptr ? text : rd_kafka_err2str(err))};
    }
    std::size_t entries = 0;
    const rd_kafka_ConfigEntry_t** configs =
        rd_kafka_ConfigResource_configs(described[i], &entries);
    for (std::size_t j = 0; j < entries; ++j) {
      const char* value = rd_kafka_ConfigEntry_value(configs[j]);
      if (std::string(rd_kafka_ConfigEntry_name(configs[j])) == "inter.broker.protocol.version" &&
          value != nullptr) {
        return {value, ""};
      }
    }
  }
  return {"", "broker " + broker_id + " has no such config (Kafka 4.0 removed it)"};
}

}  // namespace

Description DescribeProducer(rd_kafka_t* rk, const config::KafkaTarget& target,
                             std::vector<BrokerApis> api_versions,
                             std::chrono::milliseconds timeout) {
  Description d;
  d.client_version = std::string("librdkafka ") + rd_kafka_version_str();
  VersionEvidence evidence;
  evidence.brokers = std::move(api_versions);
  if (evidence.brokers.empty()) {
    const rd_kafka_conf_t* conf = rd_kafka_conf(rk);
    evidence.no_answer_reason =
        ConfValue(conf, "api.version.request") == "false" ? "api.version.request is false"
        : ConfValue(conf, "log.queue") == "true"
            ? "log.queue is true, and brokerload does not read librdkafka's log queue"
            : "librdkafka's debug log showed none";
  }
  if (!NamesRelease(evidence.brokers)) {
    const ProtocolVersion ibp = BrokerProtocolVersion(rk, timeout);
    evidence.protocol_version = ibp.value;
    evidence.protocol_version_gap = ibp.gap;
  }
  d.broker_version = DescribeBrokerVersion(evidence);
  const rd_kafka_conf_t* conf = rd_kafka_conf(rk);
  for (const char* name : {"acks", "enable.idempotence", "linger.ms", "batch.num.messages",
                           "compression.codec", "max.in.flight.requests.per.connection"}) {
    d.settings.emplace_back(name, ConfValue(conf, name));
  }
  const config::PartitionCount& partitions = target.topic.partitions;
  d.settings.emplace_back("topic.partitions",
                          !partitions.per_broker ? std::to_string(partitions.count)
                          : target.topic.create
                              ? "per_broker (" + std::to_string(partitions.count) + " at start)"
                              : std::string("per_broker (unused: topic.create is false)"));
  const std::string replicas = target.topic.replication_factor == -1
                                   ? std::string("the cluster's default number of")
                                   : std::to_string(target.topic.replication_factor);
  d.settings.emplace_back("topic.replication_factor",
                          target.topic.replication_factor == -1
                              ? "-1 (the cluster's default.replication.factor)"
                              : replicas);
  const std::string acks = ConfValue(conf, "acks");
  if (acks == "0") {
    d.durability = "not acknowledged by the broker at all (acks=0)";
  } else if (acks == "1") {
    d.durability = "acknowledged once the partition leader has it in its log (acks=1), of " +
                   replicas + " replica(s); Kafka's log is on disk through the page cache";
  } else {
    d.durability = "acknowledged once every in-sync replica of " + replicas +
                   " has it (acks=all), on disk through the page cache (flushed by the OS)";
  }
  return d;
}

}  // namespace brokerload::driver::kafka
