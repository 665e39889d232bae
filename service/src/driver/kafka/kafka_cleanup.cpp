#include "driver/kafka/kafka_cleanup.hpp"

#include <cctype>
#include <memory>
#include <set>

#include "driver/kafka/kafka_client.hpp"
#include "driver/kafka/kafka_conf.hpp"

namespace brokerload::driver::kafka {
namespace {

EventPtr Await(rd_kafka_queue_t* queue, std::chrono::milliseconds timeout, const char* what,
               std::string& error) {
  EventPtr event(rd_kafka_queue_poll(queue, static_cast<int>(timeout.count())));
  if (!event) {
    error =
        std::string("no answer to ") + what + " within " + std::to_string(timeout.count()) + " ms";
  } else if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    error = std::string(what) + ": " + rd_kafka_event_error_string(event.get());
    event.reset();
  }
  return event;
}

// The run groups of `prefix`; with `in_use`, also those with members (any state but Empty or
// Dead), as "consumer group <name>: <state>".
bool ListRunGroups(rd_kafka_t* rk, const std::string& prefix, std::chrono::milliseconds timeout,
                   std::vector<std::string>& groups, std::string& error,
                   std::vector<std::string>* in_use = nullptr) {
  QueuePtr queue(rd_kafka_queue_new(rk));
  rd_kafka_ListConsumerGroups(rk, nullptr, queue.get());
  const EventPtr event = Await(queue.get(), timeout, "ListConsumerGroups", error);
  if (!event) return false;
  const rd_kafka_ListConsumerGroups_result_t* result =
      rd_kafka_event_ListConsumerGroups_result(event.get());
  std::size_t count = 0;
  if (in_use != nullptr) {
    // A coordinator that did not answer may hold a group of ours: in use until it answers.
    std::size_t failed = 0;
    const rd_kafka_error_t** errors = rd_kafka_ListConsumerGroups_result_errors(result, &failed);
    for (std::size_t i = 0; i < failed; ++i) {
      in_use->push_back(std::string("consumer groups: not every coordinator answered (") +
                        rd_kafka_error_string(errors[i]) + ")");
    }
  }
  const rd_kafka_ConsumerGroupListing_t** listings =
      rd_kafka_ListConsumerGroups_result_valid(result, &count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::string group = rd_kafka_ConsumerGroupListing_group_id(listings[i]);
    if (!IsRunGroup(prefix, group)) continue;
    groups.push_back(group);
    const rd_kafka_consumer_group_state_t state = rd_kafka_ConsumerGroupListing_state(listings[i]);
    if (in_use != nullptr && state != RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY &&
        state != RD_KAFKA_CONSUMER_GROUP_STATE_DEAD) {
      in_use->push_back("consumer group " + group + ": " +
                        rd_kafka_consumer_group_state_name(state));
    }
  }
  return true;
}

bool DeleteTopics(rd_kafka_t* rk, const std::vector<std::string>& topics,
                  std::chrono::milliseconds timeout, CleanupReport& report, std::string& error) {
  std::vector<rd_kafka_DeleteTopic_t*> requests;
  for (const std::string& topic : topics)
    requests.push_back(rd_kafka_DeleteTopic_new(topic.c_str()));
  QueuePtr queue(rd_kafka_queue_new(rk));
  rd_kafka_DeleteTopics(rk, requests.data(), requests.size(), nullptr, queue.get());
  rd_kafka_DeleteTopic_destroy_array(requests.data(), requests.size());
  const EventPtr event = Await(queue.get(), timeout, "DeleteTopics", error);
  if (!event) return false;
  std::size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event.get()), &count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::string name = rd_kafka_topic_result_name(results[i]);
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      report.deleted.push_back("topic " + name);
    } else if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
      report.absent.push_back("topic " + name);
    } else {
      report.kept.push_back("topic " + name + ": " + rd_kafka_err2str(err));
    }
  }
  return true;
}

bool DeleteGroups(rd_kafka_t* rk, const std::vector<std::string>& groups,
                  std::chrono::milliseconds timeout, CleanupReport& report, std::string& error) {
  std::vector<rd_kafka_DeleteGroup_t*> requests;
  for (const std::string& group : groups)
    requests.push_back(rd_kafka_DeleteGroup_new(group.c_str()));
  QueuePtr queue(rd_kafka_queue_new(rk));
  rd_kafka_DeleteGroups(rk, requests.data(), requests.size(), nullptr, queue.get());
  rd_kafka_DeleteGroup_destroy_array(requests.data(), requests.size());
  const EventPtr event = Await(queue.get(), timeout, "DeleteGroups", error);
  if (!event) return false;
  std::size_t count = 0;
  const rd_kafka_group_result_t** results =
      rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(event.get()), &count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::string name = rd_kafka_group_result_name(results[i]);
    const rd_kafka_error_t* err = rd_kafka_group_result_error(results[i]);
    if (err == nullptr) {
      report.deleted.push_back("consumer group " + name);
    } else if (rd_kafka_error_code(err) == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) {
      report.absent.push_back("consumer group " + name);
    } else {
      report.kept.push_back("consumer group " + name + ": " + rd_kafka_error_string(err));
    }
  }
  return true;
}

KafkaPtr Connect(const config::KafkaTarget& target, std::chrono::milliseconds timeout,
                 std::string& error) {
  ConfPtr conf;
  if (!BuildConf(ClientSettings(target, ClientKind::kAdmin), conf, error)) return nullptr;
  KafkaPtr rk = NewClient(RD_KAFKA_PRODUCER, std::move(conf), error);
  if (rk && AskMetadata(rk.get(), timeout) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    error = "no broker at " + target.bootstrap_servers + " answered within " +
            std::to_string(timeout.count()) + " ms";
    rk.reset();
  }
  return rk;
}

// The sum of the end offsets of `topics`' partitions (topics that do not exist add nothing).
// The metadata of every topic, not of these by name: asking for a topic by name may make a broker
// create it (auto.create.topics.enable), the very thing cleanup waits to avoid.
bool SumOfEnds(rd_kafka_t* rk, const std::vector<std::string>& topics,
               std::chrono::milliseconds timeout, std::uint64_t& sum, std::string& error) {
  const rd_kafka_metadata_t* metadata = nullptr;
  if (const rd_kafka_resp_err_t err =
          rd_kafka_metadata(rk, 1, nullptr, &metadata, static_cast<int>(timeout.count()));
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    error = std::string("metadata: ") + rd_kafka_err2str(err);
    return false;
  }
  const std::set<std::string> wanted(topics.begin(), topics.end());
  PartitionListPtr ends(rd_kafka_topic_partition_list_new(0));
  for (int t = 0; t < metadata->topic_cnt; ++t) {
    const rd_kafka_metadata_topic_t& topic = metadata->topics[t];
    if (topic.err != RD_KAFKA_RESP_ERR_NO_ERROR || !wanted.contains(topic.topic)) continue;
    for (int p = 0; p < topic.partition_cnt; ++p) {
      rd_kafka_topic_partition_list_add(ends.get(), topic.topic, topic.partitions[p].id)->offset =
          RD_KAFKA_OFFSET_END;
    }
  }
  rd_kafka_metadata_destroy(metadata);
  sum = 0;
  if (ends->cnt == 0) return true;
  if (const rd_kafka_resp_err_t err =
          rd_kafka_offsets_for_times(rk, ends.get(), static_cast<int>(timeout.count()));
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    error = std::string("end offsets: ") + rd_kafka_err2str(err);
    return false;
  }
  for (int i = 0; i < ends->cnt; ++i) {
    if (ends->elems[i].err == RD_KAFKA_RESP_ERR_NO_ERROR && ends->elems[i].offset > 0) {
      sum += static_cast<std::uint64_t>(ends->elems[i].offset);
    }
  }
  return true;
}

}  // namespace

bool IsRunGroup(const std::string& prefix, const std::string& group) {
  // <prefix>-<16 hex digits>, optionally -c<lane>
  if (group.size() < prefix.size() + 17 || group.compare(0, prefix.size(), prefix) != 0 ||
      group[prefix.size()] != '-') {
    return false;
  }
  const std::size_t id = prefix.size() + 1;
  for (std::size_t i = id; i < id + 16; ++i) {
    if (!std::isxdigit(static_cast<unsigned char>(group[i])) ||
        std::isupper(static_cast<unsigned char>(group[i]))) {
      return false;
    }
  }
  const std::string lane = group.substr(id + 16);
  if (lane.empty()) return true;
  if (lane.size() < 3 || lane.compare(0, 2, "-c") != 0) return false;
  for (std::size_t i = 2; i < lane.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(lane[i]))) return false;
  }
  return true;
}

bool Cleanup(const config::KafkaTarget& target, const std::vector<std::string>& topics,
             bool dry_run, std::chrono::milliseconds timeout, CleanupReport& report,
             std::string& error) {
  const KafkaPtr rk = Connect(target, timeout, error);
  if (!rk) return false;
  std::vector<std::string> groups;
  if (!ListRunGroups(rk.get(), target.consumer_group, timeout, groups, error)) return false;
  if (dry_run) {
    for (const std::string& topic : topics) report.kept.push_back("topic " + topic + ": dry run");
    for (const std::string& group : groups) {
      report.kept.push_back("consumer group " + group + ": dry run");
    }
    return true;
  }
  if (!topics.empty() && !DeleteTopics(rk.get(), topics, timeout, report, error)) return false;
  return groups.empty() || DeleteGroups(rk.get(), groups, timeout, report, error);
}

bool Activity(const config::KafkaTarget& target, const std::vector<std::string>& topics,
              std::chrono::milliseconds timeout, UseReport& use, std::string& error) {
  const KafkaPtr rk = Connect(target, timeout, error);
  if (!rk) return false;
  std::vector<std::string> groups;
  use.in_use.clear();
  return ListRunGroups(rk.get(), target.consumer_group, timeout, groups, error, &use.in_use) &&
         SumOfEnds(rk.get(), topics, timeout, use.messages, error);
}

}  // namespace brokerload::driver::kafka
