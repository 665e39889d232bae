// What a produce-only and a consume-only target export: what their role measures, nothing that
// would read as a measurement it did not make.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include "message/header.hpp"
#include "metrics/exporter.hpp"

namespace brokerload::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::int64_t kSecond = 1'000'000'000;

std::vector<std::byte> Payload(std::uint64_t run, std::uint64_t sequence) {
  std::vector<std::byte> payload(64);
  message::Header h;
  h.run_id = run;
  h.sequence = sequence;
  h.intended_ns = h.actual_ns = 1'000;
  message::Encode(h, payload);
  return payload;
}

accounting::TargetAccounting::Options Options(accounting::ReceiveMode receive) {
  accounting::TargetAccounting::Options o;
  o.topics = 1;
  o.identity = {1, 0};
  o.receive = receive;
  return o;
}

std::string Scrape(const Exporter& exporter) {
  return prometheus::TextSerializer().Serialize(exporter.Collect());
}

TEST(ExporterRoles, ProduceOnlyExportsNoConsumerSideSeriesAndIsHealthyWithoutReceipts) {
  accounting::TargetAccounting accounting(Options(accounting::ReceiveMode::kNone));
  driver::Health health;
  driver::Link link(health);
  link.SetUp();
  Exporter exporter("9.9.9", {0.001});
  exporter.AddTarget(
      {"kafka", {"t-0"}, &accounting, &health, nullptr, "", "", config::Role::kProduceOnly});
  // Sent and acknowledged for 20 s, never received: nothing consumes in this instance.
  for (std::int64_t s = 0; s <= 20; ++s) {
    accounting.OnSent(0, static_cast<std::uint64_t>(s), 0, 1'000);
    accounting.OnAck(Payload(1, static_cast<std::uint64_t>(s)), 2'000);
    exporter.Advance(s * kSecond);
  }
  const std::string text = Scrape(exporter);
  EXPECT_THAT(text,
              HasSubstr("brokerload_messages_acked_total{target=\"kafka\",topic=\"t-0\"} 21"));
  EXPECT_THAT(text, HasSubstr("brokerload_publish_latency_seconds_count{target=\"kafka\"} 21"));
  EXPECT_THAT(text, HasSubstr("brokerload_role_info{target=\"kafka\",role=\"produce-only\"} 1"));
  for (const char* absent :
       {"brokerload_messages_consumed_total", "brokerload_messages_lost_total",
        "brokerload_messages_unconfirmed_total", "brokerload_messages_duplicated_total",
        "brokerload_messages_foreign_total", "brokerload_end_to_end_latency_seconds",
        "brokerload_end_to_end_latency_window_seconds", "check=\"consuming\"", "brokerload_sources",
        "brokerload_broker_backlog_messages", "brokerload_messages_negative_latency_total"}) {
    EXPECT_THAT(text, Not(HasSubstr(std::string(absent) + "{"))) << absent;
  }
  EXPECT_THAT(text, HasSubstr("brokerload_target_health{target=\"kafka\",check=\"publishing\"} 1"));
  EXPECT_THAT(text, HasSubstr("brokerload_target_healthy{target=\"kafka\"} 1"));
}

TEST(ExporterRoles, ConsumeOnlyExportsNoPublisherSideSeriesAndCountsItsSources) {
  accounting::TargetAccounting accounting(Options(accounting::ReceiveMode::kAnySource));
  accounting.AcceptFrom(0);
  driver::Health health;
  driver::Link link(health);
  link.SetUp();
  Exporter exporter("9.9.9", {0.001});
  exporter.AddTarget(
      {"nats", {"t-0"}, &accounting, &health, nullptr, "", "", config::Role::kConsumeOnly});
  accounting::WorkItem item;
  for (std::uint64_t run : {std::uint64_t{7}, std::uint64_t{8}}) {
    for (std::uint64_t s = 0; s < 3; ++s) {
      ASSERT_TRUE(accounting.OnReceived(0, Payload(run, s), 2'000, item));
    }
  }
  for (std::int64_t s = 0; s <= 30; ++s) exporter.Advance(s * kSecond);  // then nothing arrives
  std::string text = Scrape(exporter);
  // No clock skew on one timeline: the series exist, at 0.
  EXPECT_THAT(text, HasSubstr("brokerload_messages_negative_latency_total{target=\"nats\"} 0"));
  EXPECT_THAT(text,
              HasSubstr("brokerload_end_to_end_latency_most_negative_seconds{target=\"nats\"} 0"));
  // A sender 1.5 ms ahead of this host: received 1.5 ms before it was scheduled.
  ASSERT_TRUE(accounting.OnReceived(0, Payload(7, 3), 1'000 - 1'500'000, item));
  text = Scrape(exporter);
  EXPECT_THAT(text, HasSubstr("brokerload_messages_negative_latency_total{target=\"nats\"} 1"));
  EXPECT_THAT(
      text,
      HasSubstr("brokerload_end_to_end_latency_most_negative_seconds{target=\"nats\"} -0.0015"));
  EXPECT_THAT(text,
              HasSubstr("brokerload_messages_consumed_total{target=\"nats\",topic=\"t-0\"} 7"));
  EXPECT_THAT(
      text, HasSubstr("brokerload_end_to_end_latency_seconds_count{target=\"nats\"} 6"));  // not 7
  EXPECT_THAT(text, HasSubstr("brokerload_sources{target=\"nats\"} 2"));
  EXPECT_THAT(text, HasSubstr("brokerload_role_info{target=\"nats\",role=\"consume-only\"} 1"));
  EXPECT_THAT(text, HasSubstr("brokerload_messages_foreign_total{target=\"nats\",topic=\"t-0\","
                              "reason=\"too_many_sources\"} 0"));
  EXPECT_THAT(text, HasSubstr("brokerload_messages_foreign_total{target=\"nats\",topic=\"t-0\","
                              "reason=\"before_start\"} 0"));
  EXPECT_THAT(text, Not(HasSubstr("reason=\"other_run\"")));
  for (const char* absent :
       {"brokerload_messages_published_total", "brokerload_messages_acked_total",
        "brokerload_publish_errors_total", "brokerload_publish_latency_seconds",
        "brokerload_send_lag_seconds", "brokerload_in_flight_messages", "check=\"publishing\"",
        "check=\"consuming\""}) {
    EXPECT_THAT(text, Not(HasSubstr(std::string(absent) + "{"))) << absent;
  }
  // Producers that stop are theirs to judge: connected is all this instance can tell.
  EXPECT_THAT(text, HasSubstr("brokerload_target_healthy{target=\"nats\"} 1"));
  const driver::Link lost(health);  // a second connection of the target, down
  EXPECT_THAT(Scrape(exporter), HasSubstr("brokerload_target_healthy{target=\"nats\"} 0"));
}

TEST(ExporterRoles, AFullTargetKeepsItsSeriesAndTheReasonsItCanCount) {
  accounting::TargetAccounting accounting(Options(accounting::ReceiveMode::kOwnRun));
  driver::Health health;
  Exporter exporter("9.9.9", {0.001});
  exporter.AddTarget({"nats", {"t-0"}, &accounting, &health, nullptr});
  const std::string text = Scrape(exporter);
  EXPECT_THAT(text, HasSubstr("brokerload_role_info{target=\"nats\",role=\"full\"} 1"));
  EXPECT_THAT(text, HasSubstr("reason=\"other_run\"} 0"));
  EXPECT_THAT(text, Not(HasSubstr("reason=\"before_start\"")));
  EXPECT_THAT(text, Not(HasSubstr("brokerload_sources{")));
  // One timeline for headers and receipts: no skew to count.
  EXPECT_THAT(text, Not(HasSubstr("brokerload_messages_negative_latency_total{")));
  EXPECT_THAT(text, Not(HasSubstr("brokerload_end_to_end_latency_most_negative_seconds{")));
  for (const char* check : {"connected", "publishing", "consuming"}) {
    EXPECT_THAT(text, HasSubstr(std::string("check=\"") + check + "\"")) << check;
  }
}

}  // namespace
}  // namespace brokerload::metrics
