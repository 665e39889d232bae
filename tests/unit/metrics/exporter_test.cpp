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
    exporter_.AddTarget(
        {"nats", {"t-0", "t-1"}, &accounting_, &health_, nullptr, "2.14.5", "cnats 3.4.1"});
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
  EXPECT_THAT(text, HasSubstr("brokerload_target_info{target=\"nats\",broker_version=\"2.14.5\","
                              "client_version=\"cnats 3.4.1\"} 1"));
  EXPECT_THAT(text, HasSubstr("process_resident_memory_bytes "));
  EXPECT_THAT(text, HasSubstr("process_threads "));
}

TEST_F(ExporterTest, ExportsBytesAndBothViewsOfTheConsumersBacklog) {
  std::vector<std::byte> payload(100);
  message::Header h;
  h.run_id = 1;
  for (std::uint64_t s = 0; s < 3; ++s) {
    h.sequence = s;
    message::Encode(h, payload);
    accounting_.OnSent(0, s, 0, 0, payload.size());
    accounting_.OnAck(payload, 0);
  }
  accounting::WorkItem item;
  accounting_.OnReceived(0, payload, 0, item);  // sequence 2
  std::string text = Scrape();
  EXPECT_THAT(text, HasSubstr("brokerload_bytes_published_total{target=\"nats\"} 300"));
  EXPECT_THAT(text, HasSubstr("brokerload_bytes_consumed_total{target=\"nats\"} 100"));
  EXPECT_THAT(text, HasSubstr("brokerload_consumer_backlog_messages{target=\"nats\"} 2"));
  // Unknown until the topic's was reported: NaN, never a reassuring 0.
  EXPECT_THAT(text,
              HasSubstr("brokerload_broker_backlog_messages{target=\"nats\",topic=\"t-0\"} Nan"));
  accounting_.OnBrokerBacklog(0, 2, std::nullopt);
  text = Scrape();
  EXPECT_THAT(text,
              HasSubstr("brokerload_broker_backlog_messages{target=\"nats\",topic=\"t-0\"} 2"));
  EXPECT_THAT(text,
              HasSubstr("brokerload_broker_backlog_messages{target=\"nats\",topic=\"t-1\"} Nan"));
  accounting_.OnBrokerBacklog(1, 5, std::nullopt);
  accounting_.OnBrokerBacklog(0, std::nullopt, std::nullopt);  // no answer this time
  text = Scrape();
  EXPECT_THAT(text,
              HasSubstr("brokerload_broker_backlog_messages{target=\"nats\",topic=\"t-0\"} Nan"));
  EXPECT_THAT(text,
              HasSubstr("brokerload_broker_backlog_messages{target=\"nats\",topic=\"t-1\"} 5"));
  EXPECT_THAT(text, Not(HasSubstr("brokerload_broker_backlog_messages{target=\"nats\"}")));
  // Without consumer acks there is nothing awaiting one: no such series.
  EXPECT_THAT(text, Not(HasSubstr("brokerload_broker_ack_pending_messages{")));
}

TEST(ExporterAckPendingTest, ATargetWhoseConsumersAckExportsWhatAwaitsTheirAcks) {
  accounting::TargetAccounting accounting{{0, 2, 0, {1, 0}, 1'000'000, 1, false}};
  driver::Health health;
  Exporter exporter{"9.9.9", {0.001}};
  metrics::TargetView view{"nats", {"t-0", "t-1"}, &accounting, &health, nullptr};
  view.consumer_acks = true;
  exporter.AddTarget(view);
  accounting.OnBrokerBacklog(0, 9, std::nullopt, 4);
  accounting.OnBrokerBacklog(1, 0, std::nullopt, std::nullopt);
  const std::string text = prometheus::TextSerializer().Serialize(exporter.Collect());
  EXPECT_THAT(text,
              HasSubstr("brokerload_broker_ack_pending_messages{target=\"nats\",topic=\"t-0\"} 4"));
  EXPECT_THAT(
      text, HasSubstr("brokerload_broker_ack_pending_messages{target=\"nats\",topic=\"t-1\"} Nan"));
  EXPECT_THAT(text,
              HasSubstr("brokerload_broker_backlog_messages{target=\"nats\",topic=\"t-0\"} 9"));
}

TEST(ExporterLeadershipTest, EachBrokerHasASeriesOfThePartitionsItLeadsZeroIncluded) {
  accounting::TargetAccounting accounting{{0, 1, 0, {1, 0}, 1'000'000, 1, false}};
  driver::Health health;
  Exporter exporter{"9.9.9", {0.001}};
  std::vector<BrokerLeads> leads;  // none known yet
  metrics::TargetView view{"kafka", {"t-0"}, &accounting, &health, nullptr};
  view.leads = [&leads] { return leads; };
  exporter.AddTarget(view);
  auto scrape = [&] { return prometheus::TextSerializer().Serialize(exporter.Collect()); };
  EXPECT_THAT(scrape(), Not(HasSubstr("brokerload_broker_partitions_led{")));
  leads = {{"1", 3}, {"2", 0}, {"3", 2}};
  const std::string text = scrape();
  EXPECT_THAT(text, HasSubstr("brokerload_broker_partitions_led{target=\"kafka\",broker=\"1\"} 3"));
  EXPECT_THAT(text, HasSubstr("brokerload_broker_partitions_led{target=\"kafka\",broker=\"2\"} 0"));
  EXPECT_THAT(text, HasSubstr("brokerload_broker_partitions_led{target=\"kafka\",broker=\"3\"} 2"));
  // A broker gone from the cluster's metadata is gone from the next scrape.
  leads = {{"1", 5}};
  EXPECT_THAT(scrape(), Not(HasSubstr("broker=\"3\"")));
}

// JetStream's per-broker series are labelled with the server's name the view gives for each
// number the accounting holds.
TEST(ExporterPerBrokerTest, ANamedBrokerIsLabelledWithItsName) {
  accounting::TargetAccounting::Options options{0, 1, 0, {1, 0}, 1'000'000, 1, false};
  options.latency_by_broker = true;
  accounting::TargetAccounting accounting{options};
  std::vector<std::byte> payload(64);
  message::Header h;
  h.run_id = 1;
  h.actual_ns = 1'000;
  message::Encode(h, payload);
  accounting.SetTopicBroker(0, 0);
  accounting.OnAck(payload, 3'000, driver::kUnknownBroker);
  driver::Health health;
  Exporter exporter{"9.9.9", {0.001}};
  metrics::TargetView view{"nats", {"t-0"}, &accounting, &health, nullptr};
  view.broker_name = [](std::int32_t number) { return "n" + std::to_string(number + 1); };
  exporter.AddTarget(view);
  const std::string text = prometheus::TextSerializer().Serialize(exporter.Collect());
  EXPECT_THAT(text, HasSubstr("brokerload_broker_publish_latency_seconds_count{target=\"nats\","
                              "broker=\"n1\"} 1"));
}

TEST(ExporterStartTest, ATargetBeingSetUpIsUnhealthyFromTheFirstScrape) {
  Exporter exporter{"9.9.9", {0.001}};
  driver::Health health;
  exporter.AddStartingTarget("kafka", &health, config::Role::kFull);
  const std::string text = prometheus::TextSerializer().Serialize(exporter.Collect());
  EXPECT_THAT(text, HasSubstr("brokerload_broker_connected{target=\"kafka\"} 0"));
  EXPECT_THAT(text, HasSubstr("brokerload_target_healthy{target=\"kafka\"} 0"));
  EXPECT_THAT(text, HasSubstr("brokerload_role_info{target=\"kafka\",role=\"full\"} 1"));
  EXPECT_THAT(text, Not(HasSubstr("brokerload_messages_published_total{")));
  accounting::TargetAccounting accounting{{0, 1, 0, {1, 0}, 1'000'000, 1, false}};
  exporter.AddTarget({"kafka", {"t-0"}, &accounting, &health, nullptr, "3.9", "rdk"});
  const std::string started = prometheus::TextSerializer().Serialize(exporter.Collect());
  EXPECT_THAT(started, HasSubstr("brokerload_messages_published_total{target=\"kafka\""));
  // One series per target: the starting one is gone.
  const auto first = started.find("brokerload_broker_connected{target=\"kafka\"}");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(started.find("brokerload_broker_connected{target=\"kafka\"}", first + 1),
            std::string::npos);
}

// Receives one message per latency on `topic`, sequences counting on from `first_sequence`.
void Receive(accounting::TargetAccounting& accounting, std::uint16_t topic,
             std::uint64_t first_sequence, std::initializer_list<std::int64_t> latencies_ns) {
  std::vector<std::byte> payload(64);
  message::Header h;
  h.run_id = 1;
  h.topic = topic;
  h.sequence = first_sequence;
  for (std::int64_t latency_ns : latencies_ns) {
    h.intended_ns = h.actual_ns = 0;
    message::Encode(h, payload);
    accounting::WorkItem item;
    accounting.OnReceived(topic, payload, latency_ns, item);
    ++h.sequence;
  }
}

TEST_F(ExporterTest, HistogramsArePerTargetCumulativeWithAnInfBucketEqualToTheCount) {
  Receive(accounting_, 0, 0, {500'000, 5'000'000});
  Receive(accounting_, 1, 0, {50'000'000});
  const std::string text = Scrape();
  const std::string prefix = "brokerload_end_to_end_latency_seconds_bucket{target=\"nats\",le=";
  EXPECT_THAT(text, HasSubstr(prefix + "\"0.001\"} 1"));
  EXPECT_THAT(text, HasSubstr(prefix + "\"0.01\"} 2"));
  EXPECT_THAT(text, HasSubstr(prefix + "\"+Inf\"} 3"));
  EXPECT_THAT(text, HasSubstr("brokerload_end_to_end_latency_seconds_count{target=\"nats\"} 3"));
  EXPECT_THAT(text, Not(HasSubstr("_seconds_bucket{target=\"nats\",topic=")));
  // Per-topic counts stay available through the counters.
  EXPECT_THAT(text,
              HasSubstr("brokerload_messages_consumed_total{target=\"nats\",topic=\"t-1\"} 1"));
}

// The value of the sample whose line starts with `series` ("name{labels}"); -1 when absent.
double Sample(const std::string& text, const std::string& series) {
  const std::size_t at = text.find("\n" + series + " ");  // not the # HELP line
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

std::string E2eWindow(const char* quantile, const char* window) {
  return std::string("brokerload_end_to_end_latency_window_seconds{target=\"nats\",quantile=\"") +
         quantile + "\",window=\"" + window + "\"}";
}

TEST_F(ExporterTest, WindowQuantilesAreNaNWhileEmptyThenTheExactValues) {
  EXPECT_THAT(Scrape(), HasSubstr(E2eWindow("0.99", "1m") + " Nan"));
  EXPECT_THAT(Scrape(),
              HasSubstr("brokerload_send_lag_window_seconds{target=\"nats\",quantile=\"0.5\","
                        "window=\"5m\"} Nan"));
  constexpr std::int64_t kSecond = 1'000'000'000;
  exporter_.Advance(0);
  Receive(accounting_, 0, 0, {1'000'000, 1'000'000, 1'000'000});  // in [0 s, 10 s)
  exporter_.Advance(10 * kSecond);
  Receive(accounting_, 1, 0, {2'000'000, 2'000'000});  // in [10 s, 20 s), another topic
  const double one_ms = 1.001471e-3;                   // the middle of its internal bucket
  const double two_ms = 2e-3;  // the middle, 2.002943 ms, capped by the largest value
  std::string text = Scrape();
  EXPECT_NEAR(Sample(text, E2eWindow("0.5", "1m")), one_ms, 1e-9);
  EXPECT_NEAR(Sample(text, E2eWindow("0.9", "1m")), two_ms, 1e-9);
  // At 70 s the interval [0 s, 10 s) has left the minute, not the five minutes.
  for (std::int64_t s = 20; s <= 70; s += 10) exporter_.Advance(s * kSecond);
  text = Scrape();
  EXPECT_NEAR(Sample(text, E2eWindow("0.5", "1m")), two_ms, 1e-9);
  EXPECT_NEAR(Sample(text, E2eWindow("0.5", "5m")), one_ms, 1e-9);
  EXPECT_NEAR(Sample(text, E2eWindow("0.999", "5m")), two_ms, 1e-9);
}

TEST_F(ExporterTest, ReadinessIsExported) {
  EXPECT_THAT(Scrape(), HasSubstr("brokerload_ready 0"));
  exporter_.SetReady(true);
  EXPECT_TRUE(exporter_.Ready());
  EXPECT_THAT(Scrape(), HasSubstr("brokerload_ready 1"));
}

TEST_F(ExporterTest, ReloadsAreCountedByResultAndOnlyAnAppliedOneMovesTheLoadedTime) {
  const double loaded = Sample(Scrape(), "brokerload_config_loaded_timestamp_seconds");
  EXPECT_GT(loaded, 1.7e9);
  for (const char* result : {"applied", "unchanged", "refused", "invalid"}) {
    EXPECT_EQ(
        Sample(Scrape(), std::string("brokerload_config_reloads_total{result=\"") + result + "\"}"),
        0)
        << result;  // every result exported from the start, so that increase() sees the first
  }
  EXPECT_EQ(Sample(Scrape(), "brokerload_config_last_reload_successful"), 1);
  const auto later = std::chrono::system_clock::time_point(std::chrono::seconds(2'000'000'000));
  exporter_.RecordReload(ReloadOutcome::kRefused, later);
  exporter_.RecordReload(ReloadOutcome::kRefused, later);
  std::string text = Scrape();
  EXPECT_EQ(Sample(text, "brokerload_config_reloads_total{result=\"refused\"}"), 2);
  EXPECT_EQ(Sample(text, "brokerload_config_last_reload_successful"), 0);
  EXPECT_EQ(Sample(text, "brokerload_config_loaded_timestamp_seconds"), loaded);
  exporter_.RecordReload(ReloadOutcome::kInvalid, later);
  exporter_.RecordReload(ReloadOutcome::kUnchanged, later);
  text = Scrape();
  EXPECT_EQ(Sample(text, "brokerload_config_reloads_total{result=\"invalid\"}"), 1);
  EXPECT_EQ(Sample(text, "brokerload_config_reloads_total{result=\"unchanged\"}"), 1);
  EXPECT_EQ(Sample(text, "brokerload_config_last_reload_successful"), 1);
  EXPECT_EQ(Sample(text, "brokerload_config_loaded_timestamp_seconds"), loaded);
  exporter_.RecordReload(ReloadOutcome::kApplied, later);
  text = Scrape();
  EXPECT_EQ(Sample(text, "brokerload_config_reloads_total{result=\"applied\"}"), 1);
  EXPECT_EQ(Sample(text, "brokerload_config_loaded_timestamp_seconds"), 2e9);
}

// Each broker's window quantiles hold its own values, in windows that begin at its first value;
// its counters carry the broker's label.
TEST(ExporterPerBrokerTest, EachBrokersWindowQuantilesAndCountersAreItsOwn) {
  constexpr std::int64_t kSecond = 1'000'000'000;
  accounting::TargetAccounting::Options options{0, 1, 0, {1, 0}, 1'000'000, 1, false};
  options.latency_by_broker = true;
  accounting::TargetAccounting accounting{options};
  driver::Health health;
  Exporter exporter{"9.9.9", {0.001}};
  exporter.AddTarget({"kafka", {"t-0"}, &accounting, &health, nullptr});
  std::uint64_t sequence = 0;
  const auto ack = [&](std::int64_t now_ns, std::int64_t latency_ns, std::int32_t broker) {
    std::vector<std::byte> payload(64);
    message::Header h;
    h.run_id = 1;
    h.sequence = sequence++;
    h.actual_ns = now_ns - latency_ns;
    message::Encode(h, payload);
    accounting.OnAck(payload, now_ns, broker);
  };
  const auto window = [](const char* broker, const char* quantile, const char* w) {
    return std::string(
               "brokerload_broker_publish_latency_window_seconds{target=\"kafka\",broker=\"") +
           broker + "\",quantile=\"" + quantile + "\",window=\"" + w + "\"}";
  };
  for (int i = 0; i < 3; ++i) ack(0, 1'000'000, 1);  // in broker 1's first interval, [0 s, 10 s)
  exporter.Advance(0);
  exporter.Advance(10 * kSecond);
  ack(11 * kSecond, 2'000'000, 1);
  for (std::int64_t s = 20; s <= 30; s += 10) exporter.Advance(s * kSecond);
  ack(35 * kSecond, 5'000'000, 2);  // broker 2's first value: its first interval is [40 s, 50 s)
  std::vector<std::byte> failed(64);
  message::Encode(message::Header{.run_id = 1}, failed);
  accounting.OnAckFailed(failed, driver::Status::kTimeout, 2);
  for (std::int64_t s = 40; s <= 70; s += 10) exporter.Advance(s * kSecond);
  const std::string text = prometheus::TextSerializer().Serialize(exporter.Collect());
  // At 70 s broker 1's interval [0 s, 10 s) has left the minute, not the five minutes.
  EXPECT_NEAR(Sample(text, window("1", "0.5", "1m")), 2e-3, 1e-9);
  EXPECT_NEAR(Sample(text, window("1", "0.5", "5m")), 1.001471e-3, 1e-9);
  EXPECT_NEAR(Sample(text, window("2", "0.5", "1m")), 4.997119e-3, 1e-9);  // its bucket's middle
  EXPECT_NEAR(Sample(text, window("2", "0.5", "5m")), 4.997119e-3, 1e-9);
  EXPECT_THAT(text, HasSubstr("brokerload_broker_publish_errors_total{target=\"kafka\","
                              "broker=\"2\",reason=\"timeout\"} 1"));
  EXPECT_THAT(text, HasSubstr("brokerload_broker_publish_errors_total{target=\"kafka\","
                              "broker=\"1\",reason=\"timeout\"} 0"));
  EXPECT_THAT(text, HasSubstr("brokerload_broker_messages_lost_total{target=\"kafka\","
                              "broker=\"2\"} 0"));
}

}  // namespace
}  // namespace brokerload::metrics
