#include "driver/kafka/kafka_admin.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "driver/kafka/bounded_retry.hpp"
#include "driver/kafka/kafka_handles.hpp"
#include "log/log.hpp"

namespace brokerload::driver::kafka {
namespace {

// Why the metadata of `topic` (null when it is missing) does not make it ready; "" when every
// partition has a leader.
std::string NotReady(const rd_kafka_metadata_topic_t* t) {
  if (t == nullptr) return "topic missing from metadata";
  if (t->err != RD_KAFKA_RESP_ERR_NO_ERROR) return rd_kafka_err2str(t->err);
  if (t->partition_cnt <= 0) return "a partition without a leader";
  for (int i = 0; i < t->partition_cnt; ++i) {
    if (t->partitions[i].leader < 0 || t->partitions[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return "a partition without a leader";
    }
  }
  return "";
}

}  // namespace

bool CreateTopics(rd_kafka_t* rk, const std::vector<std::string>& topics,
                  const config::KafkaTopicSettings& settings, int partitions,
                  std::chrono::milliseconds timeout, FatalError& fatal, std::string& error) {
  std::vector<rd_kafka_NewTopic_t*> new_topics;
  std::array<char, 512> text{};
  for (const std::string& topic : topics) {
    rd_kafka_NewTopic_t* new_topic = rd_kafka_NewTopic_new(
        topic.c_str(), partitions, settings.replication_factor, text.data(), text.size());
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
  QueuePtr queue(rd_kafka_queue_new(rk));
  rd_kafka_CreateTopics(rk, new_topics.data(), new_topics.size(), nullptr, queue.get());
  rd_kafka_NewTopic_destroy_array(new_topics.data(), new_topics.size());
  for (auto*& t : new_topics) t = nullptr;
  EventPtr event(rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count())));
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
      if (IsAuthorization(err)) {
        error = "not authorized: " + error + "; docs/security.md lists the ACLs";
        fatal.Record(error);
      }
      return false;
    }
    LOG_INFO("kafka: created topic %s (%d partitions)", rd_kafka_topic_result_name(results[i]),
             partitions);
  }
  return true;
}

std::optional<int> PartitionsToCreate(rd_kafka_t* rk, const config::PartitionCount& partitions,
                                      std::chrono::milliseconds timeout, std::string& error) {
  if (!partitions.per_broker) return partitions.count;
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t err =
      rd_kafka_metadata(rk, 0, nullptr, &metadata, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    error = std::string("topic.partitions: per_broker: no metadata to count the brokers (") +
            rd_kafka_err2str(err) + ")";
    return std::nullopt;
  }
  const int brokers = std::max(metadata->broker_cnt, 1);
  rd_kafka_metadata_destroy(metadata);
  LOG_INFO("kafka: topic.partitions: per_broker: %d (the brokers in the cluster's metadata)",
           brokers);
  return brokers;
}

std::optional<Leadership> PartitionLeaders(rd_kafka_t* rk, const std::vector<std::string>& topics,
                                           std::chrono::milliseconds timeout) {
  // all_topics 0 and no topic handle: the topics this client knows, which for brokerload's
  // producer are the run's; one request however many topics.
  const rd_kafka_metadata_t* metadata = nullptr;
  if (rd_kafka_metadata(rk, 0, nullptr, &metadata, static_cast<int>(timeout.count())) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::nullopt;
  }
  Leadership leadership;
  for (int b = 0; b < metadata->broker_cnt; ++b) {
    leadership.brokers.push_back(std::to_string(metadata->brokers[b].id));
  }
  for (const std::string& topic : topics) {
    for (int t = 0; t < metadata->topic_cnt; ++t) {
      const rd_kafka_metadata_topic_t& m = metadata->topics[t];
      if (topic != m.topic) continue;
      for (int p = 0; p < m.partition_cnt; ++p) {
        // A partition's error may be about a replica (REPLICA_NOT_AVAILABLE) while its leader
        // serves: the leader id alone says whether one leads.
        const std::int32_t leader = m.partitions[p].leader;
        leadership.leaders.push_back(leader >= 0 ? std::to_string(leader) : "");
      }
    }
  }
  rd_kafka_metadata_destroy(metadata);
  return leadership;
}

bool WaitForLeaders(rd_kafka_t* rk, rd_kafka_topic_t* topic, std::chrono::milliseconds timeout,
                    FatalError& fatal, std::size_t& partitions, std::string& error,
                    const std::function<bool()>& cancelled) {
  std::string problem = "no metadata";
  bool refused = false;
  bool stopped = false;
  const bool ready = RetryUntil(
      std::chrono::steady_clock::now() + timeout,
      {std::chrono::milliseconds(5'000), std::chrono::milliseconds(100)},
      [&] { return refused || (stopped = cancelled && cancelled()); },
      [&](std::chrono::milliseconds wait) {
        const rd_kafka_metadata_t* metadata = nullptr;
        const rd_kafka_resp_err_t err =
            rd_kafka_metadata(rk, 0, topic, &metadata, static_cast<int>(wait.count()));
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          problem = rd_kafka_err2str(err);
          return false;
        }
        const rd_kafka_metadata_topic_t* t = metadata->topic_cnt == 1 ? metadata->topics : nullptr;
        problem = NotReady(t);
        refused = t != nullptr && IsAuthorization(t->err);
        if (problem.empty()) partitions = static_cast<std::size_t>(t->partition_cnt);
        rd_kafka_metadata_destroy(metadata);
        return problem.empty();
      });
  if (ready) return true;
  if (refused) {
    error = std::string("not authorized: topic ") + rd_kafka_topic_name(topic) + ": " + problem +
            "; docs/security.md lists the ACLs";
    fatal.Record(error);
    return false;
  }
  if (stopped) {
    error = std::string("topic ") + rd_kafka_topic_name(topic) + ": cancelled while not ready (" +
            problem + ")";
    return false;
  }
  error = std::string("topic ") + rd_kafka_topic_name(topic) + ": not ready within " +
          std::to_string(timeout.count()) + " ms (" + problem + ")";
  return false;
}

}  // namespace brokerload::driver::kafka
