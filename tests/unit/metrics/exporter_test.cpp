#include "metrics/exporter.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include "message/header.hpp"

namespace brokerload::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ExporterTest : public ::testing::Test {
 protected:
  ExporterTest() {
    exporter_.AddTarget({"nats", {"t-0", "t-1"}, &accounting_, &health_, nullptr, nullptr});
  }

  std::string Scrape() { return prometheus::TextSerializer().Serialize(exporter_.Collect()); }

  accounting::TargetAccounting accounting_{{0, 2, 0, {1, 0}, 1'000'000, 1, false}};
  driver::Health health_;
  Exporter exporter_{"9.9.9", {0.001, 0.01}};
};

TEST_F(ExporterTest, ExportsCountersPerTargetAndTopic) {
  accounting_.OnSent(1, 0, 0, 0);
  accounting_.OnSent(1, 1, 0, 0);
  accounting_.OnSendFailed(0, driver::Status::kDisconnected, 0);
  const std::string text = Scrape();
  EXPECT_THAT(text,
              HasSubstr("brokerload_messages_published_total{target=\"nats\",topic=\"t-1\"} 2"));
  EXPECT_THAT(text,
              HasSubstr("brokerload_messages_published_total{target=\"nats\",topic=\"t-0\"} 0"));
  EXPECT_THAT(text, HasSubstr("brokerload_publish_errors_total{target=\"nats\",topic=\"t-0\","
                              "reason=\"disconnected\"} 1"));
  EXPECT_THAT(text, Not(HasSubstr("reason=\"queue_full\"")));
  EXPECT_THAT(text, HasSubstr("brokerload_build_info{version=\"9.9.9\"} 1"));
  EXPECT_THAT(text, HasSubstr("brokerload_in_flight_messages{target=\"nats\"} 2"));
  EXPECT_THAT(text, HasSubstr("brokerload_broker_connected{target=\"nats\"} 0"));
  EXPECT_THAT(text, HasSubstr("process_resident_memory_bytes "));
  EXPECT_THAT(text, HasSubstr("process_threads "));
}

TEST_F(ExporterTest, HistogramsAreCumulativeWithAnInfBucketEqualToTheCount) {
  std::vector<std::byte> payload(64);
  message::Header h;
  h.run_id = 1;
  h.topic = 0;
  for (std::int64_t latency_ns : {500'000, 5'000'000, 50'000'000}) {
    h.intended_ns = h.actual_ns = 0;
    message::Encode(h, payload);
    accounting::WorkItem item;
    accounting_.OnReceived(0, payload, latency_ns, item);
    ++h.sequence;
  }
  const std::string text = Scrape();
  const std::string prefix =
      "brokerload_end_to_end_latency_seconds_bucket{target=\"nats\",topic=\"t-0\",le=";
  EXPECT_THAT(text, HasSubstr(prefix + "\"0.001\"} 1"));
  EXPECT_THAT(text, HasSubstr(prefix + "\"0.01\"} 2"));
  EXPECT_THAT(text, HasSubstr(prefix + "\"+Inf\"} 3"));
  EXPECT_THAT(text, HasSubstr("brokerload_end_to_end_latency_seconds_count{target=\"nats\","
                              "topic=\"t-0\"} 3"));
}

TEST_F(ExporterTest, ReadinessIsExported) {
  EXPECT_THAT(Scrape(), HasSubstr("brokerload_ready 0"));
  exporter_.SetReady(true);
  EXPECT_TRUE(exporter_.Ready());
  EXPECT_THAT(Scrape(), HasSubstr("brokerload_ready 1"));
}

}  // namespace
}  // namespace brokerload::metrics
