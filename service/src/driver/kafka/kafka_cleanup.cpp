#include "driver/kafka/kafka_cleanup.hpp"

#include <cctype>
#include <memory>

#include "driver/kafka/kafka_client.hpp"

namespace brokerload::driver::kafka {
namespace {

using QueuePtr = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, EventDeleter>;

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

bool ListRunGroups(rd_kafka_t* rk, const std::string& prefix, std::chrono::milliseconds timeout,
                   std::vector<std::string>& groups, std::string& error) {
  QueuePtr queue(rd_kafka_queue_new(rk));
  rd_kafka_ListConsumerGroups(rk, nullptr, queue.get());
  const EventPtr event = Await(queue.get(), timeout, "ListConsumerGroups", error);
  if (!event) return false;
  const rd_kafka_ListConsumerGroups_result_t* result =
      rd_kafka_event_ListConsumerGroups_result(event.get());
  std::size_t count = 0;
  const rd_kafka_ConsumerGroupListing_t** listings =
      rd_kafka_ListConsumerGroups_result_valid(result, &count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::string group = rd_kafka_ConsumerGroupListing_group_id(listings[i]);
    if (IsRunGroup(prefix, group)) groups.push_back(group);
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
  config::Properties settings = {{"bootstrap.servers", target.bootstrap_servers},
                                 {"client.id", "brokerload-cleanup"}};
  const config::Properties security = SecurityProperties(target.security);
  settings.insert(settings.end(), security.begin(), security.end());
  ConfPtr conf;
  if (!BuildConf(settings, conf, error)) return false;
  const KafkaPtr rk = NewClient(RD_KAFKA_PRODUCER, std::move(conf), error);
  if (!rk) return false;
  if (AskMetadata(rk.get(), timeout) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    error = "no broker at " + target.bootstrap_servers + " answered within " +
            std::to_string(timeout.count()) + " ms";
    return false;
  }
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

}  // namespace brokerload::driver::kafka
