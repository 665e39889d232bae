// `brokerload cleanup --wait`: the quiet time a config's runs need before their names may go.
#include "app/cleanup.hpp"

#include <gtest/gtest.h>

namespace brokerload::app {
namespace {

TEST(QuietBeforeCleanup, IsPublishPlusDrainTimeoutRoundedUpAndAtLeastTenSeconds) {
  config::Config config;  // publish_timeout 10 s, drain_timeout 15 s
  EXPECT_EQ(QuietBeforeCleanup(config), std::chrono::seconds(25));
  config.run.publish_timeout = std::chrono::seconds(3);
  config.run.drain_timeout = std::chrono::seconds(5);
  EXPECT_EQ(QuietBeforeCleanup(config), std::chrono::seconds(10));
  config.run.publish_timeout = std::chrono::milliseconds(1'500);
  config.run.drain_timeout = std::chrono::seconds(20);
  EXPECT_EQ(QuietBeforeCleanup(config), std::chrono::seconds(22));
}

}  // namespace
}  // namespace brokerload::app
