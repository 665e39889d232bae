#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <functional>

// Where a run's consumer starts reading: each partition's end when the run joins.
namespace brokerload::driver::kafka {

// Sets each partition of `partitions` to its current end offset, asked of the brokers with
// rd_kafka_offsets_for_times (which keeps to its timeout where librdkafka 2.0.2's
// rd_kafka_query_watermark_offsets waits out the socket timeout, a minute, on a stopped broker),
// each request waiting at most 1 s, again every 250 ms for the partitions still unknown (a new
// topic's leader may not answer at once). Gives up at `deadline` or once `stop()` is true (checked
// between requests), and sets the partitions still unknown to the beginning: earlier runs'
// messages then count as foreign, where the logical end would race with the first sends and fake
// losses. Returns by `deadline` plus the ~1 ms rounding of the last request. Any thread (the
// consumer's rebalance callback).
void StartAtEnds(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* partitions,
                 std::chrono::steady_clock::time_point deadline, const std::function<bool()>& stop);

}  // namespace brokerload::driver::kafka
