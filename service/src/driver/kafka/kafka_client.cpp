#include "driver/kafka/kafka_client.hpp"

#include <array>

#include "log/log.hpp"

namespace brokerload::driver::kafka {
namespace {

struct QueueDeleter {
  void operator()(rd_kafka_queue_t* queue) const { rd_kafka_queue_destroy(queue); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* event) const { rd_kafka_event_destroy(event); }
};

}  // namespace

void ReportClientError(int err, const char* reason, Health& health_ref) {
  Health* health = &health_ref;
  health->client_errors.fetch_add(1, std::memory_order_relaxed);
  const auto code = static_cast<rd_kafka_resp_err_t>(err);
  if (code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || code == RD_KAFKA_RESP_ERR__TRANSPORT) {
    if (health->connected.exchange(false)) {
      health->disconnects.fetch_add(1, std::memory_order_relaxed);
      LOG_WARN("kafka: connection lost: %s", reason);
    }
    return;
  }
  LOG_WARN("kafka: client error %s: %s", rd_kafka_err2name(code), reason);
}

Status MapError(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
      return Status::kOk;
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
      return Status::kQueueFull;
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
      return Status::kTimeout;
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
      return Status::kDisconnected;
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
      return Status::kTooLarge;
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      return Status::kUnknownTopic;
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
      return Status::kRejected;
    default:
      return Status::kOther;
  }
}

bool BuildConf(const config::Properties& settings, ConfPtr& conf, std::string& error) {
  conf.reset(rd_kafka_conf_new());
  std::array<char, 512> text{};
  for (const auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), text.data(), text.size()) !=
        RD_KAFKA_CONF_OK) {
      error = "librdkafka property " + key + "=" + value + ": " + text.data();
      return false;
    }
  }
  return true;
}

KafkaPtr NewClient(rd_kafka_type_t type, ConfPtr conf, std::string& error) {
  std::array<char, 512> text{};
  KafkaPtr rk(rd_kafka_new(type, conf.get(), text.data(), text.size()));
  if (rk) {
    conf.release();  // librdkafka owns it now
  } else {
    error = std::string("cannot create the Kafka client: ") + text.data();
  }
  return rk;
}

bool CreateTopics(rd_kafka_t* rk, const std::vector<std::string>& topics,
                  const config::KafkaTopicSettings& settings, std::chrono::milliseconds timeout,
                  std::string& error) {
  std::vector<rd_kafka_NewTopic_t*> new_topics;
  std::array<char, 512> text{};
  for (const std::string& topic : topics) {
    rd_kafka_NewTopic_t* new_topic = rd_kafka_NewTopic_new(
        topic.c_str(), settings.partitions, settings.replication_factor, text.data(), text.size());
    if (new_topic == nullptr) {
      error = "topic " + topic + ": " + text.data();
      for (auto* t : new_topics) rd_kafka_NewTopic_destroy(t);
      return false;
    }
    for (const auto& [key, value] : settings.config) {
      rd_kafka_NewTopic_set_config(new_topic, key.c_str(), value.c_str());
    }
    new_topics.push_back(new_topic);
  }
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(rk));
  rd_kafka_CreateTopics(rk, new_topics.data(), new_topics.size(), nullptr, queue.get());
  rd_kafka_NewTopic_destroy_array(new_topics.data(), new_topics.size());
  for (auto*& t : new_topics) t = nullptr;
  std::unique_ptr<rd_kafka_event_t, EventDeleter> event(
      rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count())));
  if (!event) {
    error = "no answer to CreateTopics within " + std::to_string(timeout.count()) + " ms";
    return false;
  }
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    error = std::string("CreateTopics: ") + rd_kafka_event_error_string(event.get());
    return false;
  }
  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event.get()), &count);
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) continue;
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      error = std::string("topic ") + rd_kafka_topic_result_name(results[i]) + ": " +
              rd_kafka_topic_result_error_string(results[i]) +
              " (set targets.kafka.topic.create: false where topics are managed elsewhere)";
      return false;
    }
    LOG_INFO("kafka: created topic %s (%d partitions)", rd_kafka_topic_result_name(results[i]),
             settings.partitions);
  }
  return true;
}

}  // namespace brokerload::driver::kafka
