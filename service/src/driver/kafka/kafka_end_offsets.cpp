#include "driver/kafka/kafka_end_offsets.hpp"

#include "driver/kafka/bounded_retry.hpp"
#include "driver/kafka/kafka_handles.hpp"
#include "log/log.hpp"

namespace brokerload::driver::kafka {
namespace {

constexpr RetryPolicy kEndOffsetRetry = {std::chrono::milliseconds(1'000),
                                         std::chrono::milliseconds(250)};

// One request for the ends of the partitions still at RD_KAFKA_OFFSET_END; each one answered is
// set in `partitions`. True when none is left.
bool AskEnds(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* partitions,
             std::chrono::milliseconds wait) {
  PartitionListPtr ask(rd_kafka_topic_partition_list_new(partitions->cnt));
  for (int i = 0; i < partitions->cnt; ++i) {
    const rd_kafka_topic_partition_t& p = partitions->elems[i];
    if (p.offset == RD_KAFKA_OFFSET_END) {
      rd_kafka_topic_partition_list_add(ask.get(), p.topic, p.partition)->offset =
          RD_KAFKA_OFFSET_END;  // the "latest" timestamp: the end
    }
  }
  // Per-partition answers even when the call as a whole reports an error.
  rd_kafka_offsets_for_times(rk, ask.get(), static_cast<int>(wait.count()));
  int left = 0;
  for (int i = 0; i < ask->cnt; ++i) {
    const rd_kafka_topic_partition_t& answer = ask->elems[i];
    if (answer.err != RD_KAFKA_RESP_ERR_NO_ERROR || answer.offset < 0) {
      ++left;
      continue;
    }
    rd_kafka_topic_partition_list_find(partitions, answer.topic, answer.partition)->offset =
        answer.offset;
  }
  return left == 0;
}

}  // namespace

void StartAtEnds(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* partitions,
                 std::chrono::steady_clock::time_point deadline,
                 const std::function<bool()>& stop) {
  for (int i = 0; i < partitions->cnt; ++i) partitions->elems[i].offset = RD_KAFKA_OFFSET_END;
  if (RetryUntil(deadline, kEndOffsetRetry, stop,
                 [&](std::chrono::milliseconds wait) { return AskEnds(rk, partitions, wait); })) {
    return;
  }
  for (int i = 0; i < partitions->cnt; ++i) {
    rd_kafka_topic_partition_t& p = partitions->elems[i];
    if (p.offset != RD_KAFKA_OFFSET_END) continue;
    LOG_WARN("kafka: no end offset for %s[%d]; reading it from the beginning", p.topic,
             p.partition);
    p.offset = RD_KAFKA_OFFSET_BEGINNING;
  }
}

}  // namespace brokerload::driver::kafka
