#include "driver/kafka/kafka_cleanup.hpp"

#include <gtest/gtest.h>

namespace brokerload::driver::kafka {
namespace {

// cleanup deletes the groups that runs of this consumer_group joined, and never another name.
TEST(KafkaCleanup, OnlyARunsOwnGroupNamesAreItsToDelete) {
  EXPECT_TRUE(IsRunGroup("brokerload", "brokerload-0123456789abcdef"));
  EXPECT_TRUE(IsRunGroup("brokerload", "brokerload-0123456789abcdef-c3"));
  EXPECT_TRUE(IsRunGroup("team.load", "team.load-ffffffffffffffff-c12"));
  EXPECT_FALSE(IsRunGroup("brokerload", "brokerload"));
  EXPECT_FALSE(IsRunGroup("brokerload", "brokerload-orders"));
  EXPECT_FALSE(IsRunGroup("brokerload", "brokerload-0123456789abcde"));      // 15 digits
  EXPECT_FALSE(IsRunGroup("brokerload", "brokerload-0123456789ABCDEF"));     // not ours: upper
  EXPECT_FALSE(IsRunGroup("brokerload", "brokerload-0123456789abcdef0"));    // 17 digits
  EXPECT_FALSE(IsRunGroup("brokerload", "brokerload-0123456789abcdef-c"));   // no lane
  EXPECT_FALSE(IsRunGroup("brokerload", "brokerload-0123456789abcdef-cx"));  // not a lane
  EXPECT_FALSE(IsRunGroup("brokerload", "brokerload2-0123456789abcdef"));
  EXPECT_FALSE(IsRunGroup("brokerload", "other-0123456789abcdef"));
}

}  // namespace
}  // namespace brokerload::driver::kafka
