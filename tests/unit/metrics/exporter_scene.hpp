// A fixed, deterministic exporter scene for the golden and catalogue tests: a full target with
// two topics and a publisher, a produce-only and a consume-only target, one target still being set
// up, reloads, traffic with errors, latencies, window advances and broker backlogs.
#pragma once

#include <chrono>
#include <memory>

#include "message/header.hpp"
#include "metrics/exporter.hpp"

namespace brokerload::metrics {

struct ExporterScene {
  static constexpr std::int64_t kSecond = 1'000'000'000;

  static std::vector<std::byte> Payload(std::uint64_t run, std::uint16_t topic,
                                        std::uint64_t sequence) {
    std::vector<std::byte> payload(64);
    message::Header h;
    h.run_id = run;
    h.topic = topic;
    h.sequence = sequence;
    h.intended_ns = h.actual_ns = 1'000;
    message::Encode(h, payload);
    return payload;
  }

  static accounting::TargetAccounting::Options Options(std::size_t topics,
                                                       accounting::ReceiveMode receive,
                                                       bool by_broker = false) {
    accounting::TargetAccounting::Options o;
    o.topics = topics;
    o.identity = {1, 0};
    o.receive = receive;
    o.latency_by_broker = by_broker;
    return o;
  }

  // Kafka's group: coordinated by broker 2, two commits of 3 and 30 ms under it, one timed out.
  static GroupCommits GroupCommitsOf() {
    GroupCommits commits;
    commits.coordinators = {{"2", 1}};
    accounting::LatencyHistogram latency;
    latency.Record(3'000'000);
    latency.Record(30'000'000);
    commits.latency.push_back({"2", latency.Snapshot()});
    commits.failures.push_back({"2", "timeout", 1});
    return commits;
  }

  ExporterScene() {
    full_link.SetUp();
    produce_link.SetUp();
    consume_link.SetUp();
    full_health.disconnects = 3;
    full_health.client_errors = 5;
    const auto at = std::chrono::system_clock::time_point(std::chrono::seconds(2'000'000'000));
    exporter.RecordReload(ReloadOutcome::kApplied, at);
    exporter.RecordReload(ReloadOutcome::kUnchanged, at);
    exporter.RecordReload(ReloadOutcome::kRefused, at);
    exporter.SetReady(true);
    exporter.SetQueueDepth([] { return std::size_t{0}; });
    exporter.AddStartingTarget("kafka", &starting_health, config::Role::kFull);
    exporter.AddStartingTarget("late", &starting_health, config::Role::kProduceOnly);
    exporter.AddTarget({"kafka",
                        {"t-0", "t-1"},
                        &full,
                        &full_health,
                        [] {
                          return PublisherSnapshot{"steady", 250, false};
                        },
                        "4.4.0",
                        "librdkafka 2.0.2",
                        config::Role::kFull,
                        false,
                        [] {
                          return std::vector<BrokerLeads>{{"1", 2}, {"2", 0}};
                        },
                        nullptr,
                        [] { return GroupCommitsOf(); },
                        [] { return std::optional<std::uint64_t>(331); }});
    exporter.AddTarget({"nats",
                        {"p-0"},
                        &produce,
                        &produce_health,
                        nullptr,
                        "2.14.5",
                        "cnats 3.4.1",
                        config::Role::kProduceOnly});
    exporter.AddTarget({"other",
                        {"c-0"},
                        &consume,
                        &consume_health,
                        nullptr,
                        "",
                        "",
                        config::Role::kConsumeOnly,
                        true});
    Traffic();
  }

  void Traffic() {
    for (std::uint16_t topic = 0; topic < 2; ++topic) {
      for (std::uint64_t s = 0; s < 4; ++s) {
        full.OnSent(topic, s, 300'000 * static_cast<std::int64_t>(s + 1), 0, 64);
        // Topic 0's partitions led by broker 1, topic 1's by broker 2.
        if (s < 3) {
          full.OnAck(Payload(1, topic, s), 2'000'000 * static_cast<std::int64_t>(s + 1), topic + 1);
        }
      }
    }
    full.OnSendFailed(0, driver::Status::kTimeout, 0);
    full.OnSendFailed(1, driver::Status::kRejected, 0);
    full.OnDropped(1, 7, 0);
    full.OnClientDropped(0, 2);
    full.OnBrokerBacklog(0, 1, std::nullopt);
    full.OnBrokerBacklog(1, 2, std::nullopt);
    exporter.Advance(0);
    accounting::WorkItem item;
    for (std::uint64_t s = 0; s < 3; ++s) {
      full.OnReceived(0, Payload(1, 0, s), 5'000'000 * static_cast<std::int64_t>(s + 1), item,
                      false, 0, 1);
      full.OnProcessed(item);
    }
    full.OnReceived(0, Payload(1, 0, 1), 9'000'000, item);  // again
    full.OnReceived(0, Payload(2, 0, 0), 9'000'000, item);  // another run
    for (std::uint64_t s = 0; s < 5; ++s) produce.OnSent(0, s, 1'000, 0, 100);
    produce.OnAck(Payload(1, 0, 0), 700'000);
    consume.AcceptFrom(0);
    for (std::uint64_t s = 0; s < 3; ++s) consume.OnReceived(0, Payload(7, 0, s), 40'000, item);
    consume.OnReceived(0, Payload(7, 0, 3), 400, item);  // 600 ns before it was scheduled
    consume.OnBrokerBacklog(0, 4, std::nullopt, 3);
    for (std::int64_t s = 1; s <= 20; ++s) exporter.Advance(s * kSecond);
  }

  driver::Health full_health, produce_health, consume_health, starting_health;
  driver::Link full_link{full_health}, produce_link{produce_health}, consume_link{consume_health};
  accounting::TargetAccounting full{Options(2, accounting::ReceiveMode::kOwnRun, true)};
  accounting::TargetAccounting produce{Options(1, accounting::ReceiveMode::kNone)};
  accounting::TargetAccounting consume{Options(1, accounting::ReceiveMode::kAnySource)};
  Exporter exporter{"9.9.9", {0.001, 0.01}};
};

}  // namespace brokerload::metrics
