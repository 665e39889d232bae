// profile rate: max against the real brokers: the in-flight window is a bound the broker's own
// acknowledgements are checked against at every scrape, and an unpaced run loses and duplicates
// nothing: every acknowledged message is consumed once by the end of the drain.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <string>

#include "broker_env.hpp"
#include "brokerload_process.hpp"

namespace brokerload::testing {
namespace {

class UnpacedTest : public ::testing::TestWithParam<std::string> {};

TEST_P(UnpacedTest, InFlightNeverExceedsTheWindowAndEveryAckedMessageIsConsumedOnce) {
  const std::string target = GetParam();
  std::string config, address;
  ASSERT_TRUE(SingleTargetYaml(target, config, address));
  // Unpaced, the publisher can run far ahead of the consumer on a busy machine: streams (discard
  // old) that hold all of it, deleted at the end.
  const std::string small = "max_bytes: 16777216";
  if (const std::size_t at = config.find(small); at != std::string::npos) {
    config.replace(at, small.size(), "max_bytes: 268435456");
  }
  constexpr int kWindow = 300;
  struct DeletedAtTheEnd {  // after the process is gone, also when an assertion ends the test
    std::string config;
    ~DeletedAtTheEnd() {
      const CommandOutput cleanup = Cleanup(config);
      EXPECT_EQ(cleanup.exit_code, 0) << cleanup.text;
    }
  } streams;
  BrokerloadProcess process(config +
                            "workload: {topics: 2, topic_prefix: " + UniqueName("unpaced") +
                            "}\n"
                            "profile: {rate: max, max_in_flight: " +
                            std::to_string(kWindow) +
                            "}\n"
                            "metrics: {listen: \"127.0.0.1:0\"}\n"
                            "run: {warmup: 1s, drain_timeout: 20s}\n");
  streams.config = process.ConfigPath();
  const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(60));
  ASSERT_NE(port, 0) << process.Log();
  double most_in_flight = 0;
  double last_published = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        const std::string m = HttpGet(port, "/metrics").second;
        const double published = SumMetric(m, "brokerload_messages_published_total", {});
        const double acked = SumMetric(m, "brokerload_messages_acked_total", {});
        const double errors = SumMetric(m, "brokerload_publish_errors_total", {});
        const double in_flight = SumMetric(m, "brokerload_in_flight_messages", {});
        EXPECT_EQ(published, acked + errors + in_flight);  // one scrape's own counts
        EXPECT_LE(in_flight, kWindow);
        if (published > 0) {  // the gauge comes with the publisher, after readiness
          EXPECT_EQ(SumMetric(m, "brokerload_target_messages_per_second", {}),
                    std::numeric_limits<double>::infinity());
        }
        most_in_flight = std::max(most_in_flight, in_flight);
        last_published = published;
        // In flight is 0 at the odd scrape (every ack in, the next send not yet made): until it
        // has been seen above 0 as well.
        return published > 20'000 && most_in_flight > 0;
      },
      std::chrono::seconds(60)))
      << "published " << last_published << "\n"
      << process.Log();
  EXPECT_GT(most_in_flight, 0);
  EXPECT_NE(process.Log().find("closed loop"), std::string::npos);
  ASSERT_EQ(process.Terminate(std::chrono::seconds(60)), 0) << process.Log();
  const std::vector<double> row = SummaryRow(process.Stdout(), target);
  ASSERT_EQ(row.size(), 7u) << process.Stdout();
  const double published = row[0], acked = row[1], consumed = row[2], errors = row[3],
               lost = row[4], unconfirmed = row[5], duplicated = row[6];
  EXPECT_GT(acked, 20'000);
  EXPECT_EQ(published, acked + unconfirmed);  // the drain waits for the acks of what was sent
  EXPECT_EQ(consumed, acked);
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(duplicated, 0);
}

std::string TargetName(const ::testing::TestParamInfo<std::string>& param) { return param.param; }

INSTANTIATE_TEST_SUITE_P(Targets, UnpacedTest, ::testing::Values("kafka", "nats"), TargetName);

}  // namespace
}  // namespace brokerload::testing
