// The Kafka consumer's waits with the fixture's broker frozen (SIGSTOP, so connections stay open
// and nothing answers, the case in which librdkafka 2.0.2's watermark query ignored its timeout):
// the first assignment's end-offset lookup keeps to its deadline and to its stop condition, and
// Stop() returns within the bound the Consumer interface states. Freezes the fixture's Kafka, so
// ctest runs it alone (RUN_SERIAL); the broker is thawed whatever happens.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "broker_env.hpp"
#include "driver/kafka/kafka_admin.hpp"
#include "driver/kafka/kafka_client.hpp"
#include "driver/kafka/kafka_conf.hpp"
#include "driver/kafka/kafka_consumer.hpp"
#include "driver/kafka/kafka_end_offsets.hpp"

namespace brokerload::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
namespace kafka = driver::kafka;

// The fixture's Kafka process (0 when its pid file is missing).
pid_t KafkaPid() {
  const std::filesystem::path env = std::getenv("BROKERLOAD_BROKERS_ENV");
  std::ifstream file(env.parent_path() / "kafka.pid");
  pid_t pid = 0;
  file >> pid;
  return pid;
}

// SIGSTOP for the scope's life.
class Frozen {
 public:
  // Returns once every thread of the process is stopped: kill() only queues the signal, and a
  // request sent at once may still be answered.
  explicit Frozen(pid_t pid) : pid_(pid) {
    frozen_ = pid_ > 0 && ::kill(pid_, SIGSTOP) == 0;
    const auto give_up = steady_clock::now() + std::chrono::seconds(5);
    while (frozen_ && !AllStopped() && steady_clock::now() < give_up) {
      std::this_thread::sleep_for(milliseconds(10));
    }
  }
  ~Frozen() { Thaw(); }
  void Thaw() {
    if (frozen_) ::kill(pid_, SIGCONT);
    frozen_ = false;
  }
  bool Ok() const { return frozen_; }

 private:
  bool AllStopped() const {
    const std::filesystem::path tasks = "/proc/" + std::to_string(pid_) + "/task";
    std::error_code error;
    for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
      std::ifstream stat(task.path() / "stat");
      std::string line;
      std::getline(stat, line);
      const auto close = line.rfind(')');  // "pid (comm) S ...": the state follows the name
      if (close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'T') {
        return false;
      }
    }
    return !error;
  }

  pid_t pid_;
  bool frozen_ = false;
};

class Ignore final : public driver::MessageListener {
 public:
  void OnMessage(std::size_t, std::uint32_t, std::int32_t, std::span<const std::byte>, std::size_t,
                 bool) override {}
};

milliseconds Since(steady_clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
}

class KafkaConsumerWaits : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(LoadBrokerAddress("KAFKA_BOOTSTRAP", target_.bootstrap_servers));
    target_.consumer_group = UniqueName("waits");
    topic_ = UniqueName("waits");
    kafka::ConfPtr conf;
    std::string error;
    ASSERT_TRUE(
        kafka::BuildConf(kafka::ClientSettings(target_, kafka::ClientKind::kAdmin), conf, error))
        << error;
    admin_ = kafka::NewClient(RD_KAFKA_PRODUCER, std::move(conf), error);
    ASSERT_NE(admin_, nullptr) << error;
    kafka::FatalError fatal;
    ASSERT_TRUE(kafka::CreateTopics(admin_.get(), {topic_}, target_.topic,
                                    target_.topic.partitions.count, std::chrono::seconds(30), fatal,
                                    error))
        << error;
    kafka::TopicPtr handle(rd_kafka_topic_new(admin_.get(), topic_.c_str(), nullptr));
    std::size_t partitions = 0;
    ASSERT_TRUE(kafka::WaitForLeaders(admin_.get(), handle.get(), std::chrono::seconds(30), fatal,
                                      partitions, error))
        << error;
    partitions_ = static_cast<int>(partitions);
  }

  config::KafkaTarget target_;
  std::string topic_;
  kafka::KafkaPtr admin_;
  int partitions_ = 0;
};

TEST_F(KafkaConsumerWaits, TheEndOffsetLookupKeepsToItsDeadlineWithTheBrokerFrozen) {
  kafka::PartitionListPtr list(rd_kafka_topic_partition_list_new(partitions_));
  for (int p = 0; p < partitions_; ++p) {
    rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), p);
  }
  // Answered: every partition at its end (a new topic's is 0).
  kafka::StartAtEnds(admin_.get(), list.get(), steady_clock::now() + std::chrono::seconds(30),
                     [] { return false; });
  for (int p = 0; p < partitions_; ++p) EXPECT_EQ(list->elems[p].offset, 0) << p;

  Frozen frozen(KafkaPid());
  ASSERT_TRUE(frozen.Ok());
  auto start = steady_clock::now();
  kafka::StartAtEnds(admin_.get(), list.get(), start + milliseconds(3'000), [] { return false; });
  const milliseconds by_deadline = Since(start);
  for (int p = 0; p < partitions_; ++p) {
    EXPECT_EQ(list->elems[p].offset, RD_KAFKA_OFFSET_BEGINNING) << p;
  }
  // The stop condition ends it at the first check between requests (at most one 1 s request).
  std::atomic<int> asked{0};
  start = steady_clock::now();
  kafka::StartAtEnds(admin_.get(), list.get(), start + std::chrono::seconds(60),
                     [&] { return ++asked > 1; });
  const milliseconds by_stop = Since(start);
  frozen.Thaw();
  EXPECT_GE(by_deadline, milliseconds(2'900));
  EXPECT_LE(by_deadline, milliseconds(3'500));
  EXPECT_LE(by_stop, milliseconds(1'500));
}

TEST_F(KafkaConsumerWaits, StopReturnsWithinItsBoundWithTheBrokerFrozen) {
  driver::Health health;
  std::string error;
  std::unique_ptr<driver::Consumer> consumer =
      kafka::CreateConsumer(target_, {topic_}, health, error);
  ASSERT_NE(consumer, nullptr) << error;
  Ignore listener;
  const std::atomic<bool> cancel{false};
  ASSERT_TRUE(consumer->Start(listener, std::chrono::seconds(60), cancel, error)) << error;

  Frozen frozen(KafkaPid());
  ASSERT_TRUE(frozen.Ok());
  const auto start = steady_clock::now();
  consumer->Stop();
  const milliseconds took = Since(start);
  consumer.reset();
  const milliseconds destroyed = Since(start);
  frozen.Thaw();
  std::printf("Stop() with the broker frozen: %lld ms; destroyed after %lld ms\n",
              static_cast<long long>(took.count()), static_cast<long long>(destroyed.count()));
  EXPECT_LE(took, kafka::kConsumerStopBound);
  EXPECT_LE(destroyed,
            kafka::kConsumerStopBound + milliseconds(2'000));  // librdkafka's threads end
}

}  // namespace
}  // namespace brokerload::testing
