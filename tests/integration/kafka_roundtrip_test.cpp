// Proves the librdkafka wiring against the real local broker: 10,000 messages produced to a new
// 3-partition topic (created by the driver's CreateTopics) come back exactly once, unchanged,
// through a consumer group.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "broker_env.hpp"
#include "driver/kafka/kafka_admin.hpp"
#include "driver/kafka/kafka_handles.hpp"

namespace {

constexpr int kMessages = 10'000;
constexpr int kPartitions = 3;

struct MessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
using brokerload::driver::kafka::ConfPtr;
using brokerload::driver::kafka::KafkaPtr;

std::string Payload(int i) { return "brokerload-roundtrip-" + std::to_string(i); }

struct DeliveryCounts {
  int delivered = 0;
  int failed = 0;
};

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* counts = static_cast<DeliveryCounts*>(opaque);
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++counts->delivered;
  } else {
    ++counts->failed;
  }
}

// Creates a client; the conf passes to librdkafka only when rd_kafka_new succeeds.
KafkaPtr NewClient(rd_kafka_type_t type, const std::string& bootstrap,
                   const std::vector<std::pair<std::string, std::string>>& settings,
                   DeliveryCounts* counts = nullptr) {
  ConfPtr conf(rd_kafka_conf_new());
  if (counts != nullptr) {
    rd_kafka_conf_set_dr_msg_cb(conf.get(), OnDelivery);
    rd_kafka_conf_set_opaque(conf.get(), counts);
  }
  std::array<char, 512> error{};
  EXPECT_EQ(rd_kafka_conf_set(conf.get(), "bootstrap.servers", bootstrap.c_str(), error.data(),
                              error.size()),
            RD_KAFKA_CONF_OK)
      << error.data();
  for (const auto& [key, value] : settings) {
    EXPECT_EQ(rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), error.data(), error.size()),
              RD_KAFKA_CONF_OK)
        << key << ": " << error.data();
  }
  KafkaPtr rk(rd_kafka_new(type, conf.get(), error.data(), error.size()));
  EXPECT_NE(rk, nullptr) << error.data();
  if (rk) conf.release();
  return rk;
}

TEST(KafkaRoundtrip, ProducesAndConsumesTenThousandMessagesExactlyOnce) {
  std::string bootstrap;
  ASSERT_TRUE(brokerload::testing::LoadBrokerAddress("KAFKA_BOOTSTRAP", bootstrap));
  const std::string topic = brokerload::testing::UniqueName("roundtrip");

  KafkaPtr admin = NewClient(RD_KAFKA_PRODUCER, bootstrap, {});
  ASSERT_NE(admin, nullptr);
  std::string create_error;
  brokerload::driver::kafka::FatalError fatal;
  ASSERT_TRUE(brokerload::driver::kafka::CreateTopics(
      admin.get(), {topic}, brokerload::config::KafkaTopicSettings{}, 3, std::chrono::seconds(30),
      fatal, create_error))
      << create_error;

  DeliveryCounts counts;
  {
    KafkaPtr sender = NewClient(RD_KAFKA_PRODUCER, bootstrap, {{"linger.ms", "5"}}, &counts);
    ASSERT_NE(sender, nullptr);
    for (int i = 0; i < kMessages; ++i) {
      const std::string value = Payload(i);
      // A key per message spreads them over the partitions; keyless messages would stick to one
      // partition per batch.
      const std::string key = std::to_string(i);
      std::array<rd_kafka_vu_t, 4> fields{};
      fields[0].vtype = RD_KAFKA_VTYPE_TOPIC;
      fields[0].u.cstr = topic.c_str();
      fields[1].vtype = RD_KAFKA_VTYPE_VALUE;
      fields[1].u.mem = {const_cast<char*>(value.data()), value.size()};
      fields[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
      fields[2].u.i = RD_KAFKA_MSG_F_COPY;
      fields[3].vtype = RD_KAFKA_VTYPE_KEY;
      fields[3].u.mem = {const_cast<char*>(key.data()), key.size()};
      rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
      while (true) {
        rd_kafka_error_t* error = rd_kafka_produceva(sender.get(), fields.data(), fields.size());
        err = error ? rd_kafka_error_code(error) : RD_KAFKA_RESP_ERR_NO_ERROR;
        if (error) rd_kafka_error_destroy(error);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
        rd_kafka_poll(sender.get(), 10);
      }
      ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
      rd_kafka_poll(sender.get(), 0);
    }
    ASSERT_EQ(rd_kafka_flush(sender.get(), 30'000), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  ASSERT_EQ(counts.delivered, kMessages);
  ASSERT_EQ(counts.failed, 0);

  KafkaPtr consumer = NewClient(RD_KAFKA_CONSUMER, bootstrap,
                                {{"group.id", brokerload::testing::UniqueName("roundtrip-group")},
                                 {"auto.offset.reset", "earliest"},
                                 {"enable.partition.eof", "false"}});
  ASSERT_NE(consumer, nullptr);
  rd_kafka_poll_set_consumer(consumer.get());
  rd_kafka_topic_partition_list_t* subscription = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(subscription, topic.c_str(), RD_KAFKA_PARTITION_UA);
  ASSERT_EQ(rd_kafka_subscribe(consumer.get(), subscription), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(subscription);

  std::vector<int> seen(kMessages, 0);
  std::vector<int> partitions_seen(kPartitions, 0);
  int received = 0;
  int unexpected = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (received < kMessages && std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<rd_kafka_message_t, MessageDeleter> message(
        rd_kafka_consumer_poll(consumer.get(), 200));
    if (!message) continue;
    ASSERT_EQ(message->err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_message_errstr(message.get());
    const std::string value(static_cast<const char*>(message->payload), message->len);
    const std::string prefix = "brokerload-roundtrip-";
    const int index = value.rfind(prefix, 0) == 0 ? std::stoi(value.substr(prefix.size())) : -1;
    if (index < 0 || index >= kMessages || value != Payload(index)) {
      ++unexpected;
      continue;
    }
    ++seen[static_cast<size_t>(index)];
    ++partitions_seen[static_cast<size_t>(message->partition)];
    ++received;
  }
  rd_kafka_consumer_close(consumer.get());

  EXPECT_EQ(received, kMessages);
  EXPECT_EQ(unexpected, 0);
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_EQ(seen[static_cast<size_t>(i)], 1) << "message " << i;
  }
  for (int p = 0; p < kPartitions; ++p) {
    EXPECT_GT(partitions_seen[static_cast<size_t>(p)], 0) << "partition " << p << " got nothing";
  }
}

}  // namespace
