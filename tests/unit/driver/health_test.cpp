#include <gtest/gtest.h>

#include <memory>

#include "driver/driver.hpp"

namespace brokerload::driver {
namespace {

TEST(HealthTest, ATargetWithoutConnectionsIsNotConnected) {
  const Health health;
  EXPECT_FALSE(health.Connected());
}

// A target is connected while every one of its connections is up: one lane down shows, whatever
// the other connections did last.
TEST(HealthTest, OneConnectionDownMakesTheTargetDisconnected) {
  Health health;
  Link producer(health);
  Link consumer(health);
  EXPECT_FALSE(health.Connected());  // registered down until the client says otherwise
  EXPECT_TRUE(producer.SetUp());
  EXPECT_FALSE(health.Connected());
  EXPECT_TRUE(consumer.SetUp());
  EXPECT_TRUE(health.Connected());
  EXPECT_FALSE(consumer.SetUp());  // already up: nothing to log

  EXPECT_TRUE(consumer.SetDown());  // one disconnect to count
  EXPECT_FALSE(consumer.SetDown());
  EXPECT_FALSE(health.Connected());
  EXPECT_TRUE(producer.SetUp() == false && producer.Up());  // the other one writing changes nothing
  EXPECT_FALSE(health.Connected());
  EXPECT_TRUE(consumer.SetUp());
  EXPECT_TRUE(health.Connected());
}

// Closing is not an outage: a closed connection no longer counts, and a callback after the close
// (cnats calls the disconnected handler while closing) changes nothing.
TEST(HealthTest, AClosedConnectionNoLongerCounts) {
  Health health;
  Link up(health);
  up.SetUp();
  auto down = std::make_unique<Link>(health);
  EXPECT_FALSE(health.Connected());
  down->Close();
  EXPECT_TRUE(health.Connected());
  EXPECT_FALSE(down->SetUp());
  EXPECT_FALSE(down->SetDown());
  down.reset();  // destruction after Close: deregistered once
  EXPECT_TRUE(health.Connected());
  {
    Link temporary(health);  // down while it exists, gone with it
    EXPECT_FALSE(health.Connected());
  }
  EXPECT_TRUE(health.Connected());
  up.Close();
  EXPECT_FALSE(health.Connected());  // no connection left
}

}  // namespace
}  // namespace brokerload::driver
