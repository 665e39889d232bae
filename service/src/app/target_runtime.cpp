#include "app/target_runtime.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>

#include "config/environment.hpp"
#include "log/log.hpp"
#include "message/header.hpp"

namespace brokerload::app {

TargetRuntime::TargetRuntime(driver::Backend backend, std::uint8_t index,
                             const config::Config& config, std::vector<std::string> topics,
                             accounting::RunIdentity identity, const pacing::Clock& clock,
                             const pacing::Schedule& schedule, std::size_t phases,
                             bool phase_histograms, ClientFactory create_clients)
    : backend_(backend),
      create_clients_(std::move(create_clients)),
      name_(driver::BackendName(backend)),
      config_(config),
      role_(config.run.role),
      topics_(std::move(topics)),
      identity_(identity),
      clock_(clock),
      schedule_(schedule),
      accounting_(
          std::make_unique<accounting::TargetAccounting>(accounting::TargetAccounting::Options{
              index, topics_.size(), static_cast<std::uint32_t>(config.workload.keys), identity,
              2 * config.run.tick.count(), phases, phase_histograms,
              role_ == config::Role::kFull          ? accounting::ReceiveMode::kOwnRun
              : role_ == config::Role::kProduceOnly ? accounting::ReceiveMode::kNone
                                                    : accounting::ReceiveMode::kAnySource,
              config.run.warmup.count()})) {}

TargetRuntime::~TargetRuntime() {
  publisher_threads_.clear();
  StopConsuming();
  clients_.clear();
}

bool TargetRuntime::Setup(workers::Pool& pool, const std::atomic<bool>& cancel,
                          std::chrono::steady_clock::time_point deadline, std::string& error) {
  pool_ = &pool;
  const std::size_t lanes = static_cast<std::size_t>(config_.workload.publishers);
  for (std::size_t k = 0; lanes > 1 && lane_listeners_.size() < lanes; ++k) {
    lane_listeners_.push_back(std::make_unique<LaneListener>(*this, k, lanes));
  }
  while (lane_acks_.size() < lanes) lane_acks_.push_back(std::make_unique<LaneAcks>(*this));
  // Lane k: a producer that knows every topic (it sends to its own), a consumer of its topics
  // (with one lane: every topic, on this listener and the configured group).
  auto create_lane = [&](std::size_t k, std::string& lane_error) {
    config::Config lane_config;
    std::vector<std::string> lane_topics;
    if (lanes > 1) {
      lane_config = config_;
      if (lane_config.kafka) lane_config.kafka->consumer_group += "-c" + std::to_string(k);
      for (std::size_t t = k; t < topics_.size(); t += lanes) lane_topics.push_back(topics_[t]);
    }
    driver::MessageListener& listener =
        lanes > 1 ? static_cast<driver::MessageListener&>(*lane_listeners_[k]) : *this;
    // Consume-only sends nothing: lane 0's producer creates the topics, others would only hold
    // idle connections.
    const bool with_producer = role_ != config::Role::kConsumeOnly || k == 0;
    driver::Clients& clients = clients_.emplace_back();
    return create_clients_(backend_, lanes > 1 ? lane_config : config_, topics_, *lane_acks_[k],
                           health_, deadline, cancel, clients, lane_error,
                           lanes > 1 ? &lane_topics : nullptr, with_producer) &&
           (!clients.consumer ||
            clients.consumer->Start(listener, driver::SetupWait(deadline), cancel, lane_error));
  };
  for (int attempt = 1;; ++attempt) {
    std::string attempt_error;
    // Every wait inside ends by the deadline: run.startup_timeout is the whole start's bound.
    bool created = true;
    for (std::size_t k = 0; k < lanes && created; ++k) created = create_lane(k, attempt_error);
    if (created) {
      // Consume-only: what is scheduled from now on is surely received (the consumers listen);
      // what was scheduled before may have been sent before they did.
      if (role_ == config::Role::kConsumeOnly) accounting_->AcceptFrom(clock_.NowNs());
      // Lane 0's producer knows every topic (consume-only has it too: it creates them).
      if (const driver::Producer* producer = clients_.front().producer.get()) {
        for (std::size_t t = 0; t < topics_.size(); ++t) {
          accounting_->SetPartitions(t, static_cast<std::uint32_t>(producer->Partitions(t)));
        }
      }
      std::size_t producers = 0, consumers = 0;
      for (const driver::Clients& lane : clients_) {
        producers += lane.producer ? 1u : 0u;
        consumers += lane.consumer ? 1u : 0u;
      }
      LOG_INFO("%s: ready (%zu topics, %zu producer and %zu consumer connection%s)", name_.c_str(),
               topics_.size(), producers, consumers, producers + consumers == 1 ? "" : "s");
      return true;
    }
    StopConsuming();
    clients_.clear();
    if (cancel.load()) {
      error = "setup cancelled";
      return false;
    }
    if (health_.refused.load()) {  // credentials, certificate or protocol: retrying cannot help
      error = attempt_error.starts_with(name_ + ":") ? attempt_error : name_ + ": " + attempt_error;
      return false;
    }
    if (std::chrono::steady_clock::now() + std::chrono::seconds(1) >= deadline) {
      error = attempt_error + " (gave up after " + std::to_string(attempt) +
              " attempts; run.startup_timeout)";
      return false;
    }
    LOG_WARN("%s: setup attempt %d failed: %s; retrying", name_.c_str(), attempt,
             attempt_error.c_str());
    for (int i = 0; i < 10 && !cancel.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

bool TargetRuntime::Probe(const std::atomic<bool>& cancel,
                          std::chrono::steady_clock::time_point deadline, std::string& error) {
  if (role_ != config::Role::kFull) return true;
  // Each topic's probes go by its own lane's producer.
  auto producer_of = [&](std::size_t topic) -> driver::Producer& {
    return *clients_[topic % clients_.size()].producer;
  };
  std::vector<std::byte> payload(message::kHeaderSize);
  auto missing = [&](std::size_t topic) {
    const std::size_t partitions = std::min<std::size_t>(producer_of(topic).Partitions(topic), 64);
    return accounting_->ProbesReceived(topic) !=
           (partitions == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << partitions) - 1);
  };
  auto next_send = std::chrono::steady_clock::now();
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    std::string waiting;
    for (std::size_t t = 0; t < topics_.size(); ++t) {
      if (!missing(t)) continue;
      waiting += (waiting.empty() ? "" : ", ") + topics_[t];
      if (now < next_send) continue;
      driver::Producer& producer = producer_of(t);
      for (std::size_t p = 0; p < producer.Partitions(t); ++p) {
        message::Header header;
        header.run_id = identity_.run_id;
        header.producer_id = identity_.producer_id;
        header.topic = static_cast<std::uint16_t>(t);
        header.key = static_cast<std::uint32_t>(p % 64);
        header.sequence = message::kProbeSequence;
        header.intended_ns = header.actual_ns = clock_.NowNs();
        message::Encode(header, payload);
        producer.SendToPartition(t, p, payload);
      }
    }
    if (now >= next_send) next_send = now + std::chrono::seconds(2);
    if (waiting.empty()) break;
    if (cancel.load()) {
      error = "setup cancelled";
      return false;
    }
    if (now >= deadline) {
      error = name_ + ": no probe round trip on " + waiting +
              " (sent and not received back before run.startup_timeout)";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  description_ = clients_.front().producer->Describe();
  if (clients_.size() > 1) {
    description_.settings.emplace_back("connections",
                                       std::to_string(clients_.size()) + " producer + " +
                                           std::to_string(clients_.size()) + " consumer");
  }
  return true;
}

void TargetRuntime::StartPublishing(std::int64_t start_ns) {
  if (role_ == config::Role::kConsumeOnly) return;
  const auto lanes = static_cast<std::uint32_t>(clients_.size());
  for (std::uint32_t k = 0; k < lanes; ++k) {
    publishers_.push_back(std::make_unique<pacing::Publisher>(
        config_.workload, config_.run, schedule_, *clients_[k].producer, *accounting_, identity_,
        clock_, start_ns, pacing::Lane{k, lanes}));
  }
  for (std::uint32_t k = 0; k < lanes; ++k) {
    publisher_threads_.push_back(std::make_unique<pacing::PublisherThread>(
        *publishers_[k], clock_, config_.run.tick,
        "pub-" + name_ + (lanes > 1 ? std::to_string(k) : ""), config_.run.realtime_priority,
        &lane_acks_[k]->doorbell));
  }
}

bool TargetRuntime::PublishingFinished() const {
  if (publishers_.empty()) return false;
  for (const auto& publisher : publishers_) {
    if (!publisher->Finished()) return false;
  }
  return true;
}

void TargetRuntime::Reload(const config::Workload& workload, const config::Run& run,
                           const pacing::Schedule& schedule, std::int64_t start_ns) {
  // Built here, payload and all, so that the publisher's thread only swaps it in.
  for (const auto& publisher : publishers_) {
    publisher->Offer(std::make_unique<pacing::PublisherSettings>(
        pacing::MakeSettings(workload, run, schedule, start_ns, identity_.run_id)));
  }
  for (const auto& thread : publisher_threads_) thread->Wake();  // an unpaced one may wait long
}

bool TargetRuntime::StopPublishing(std::chrono::milliseconds flush_timeout) {
  for (const auto& thread : publisher_threads_) thread->Stop();
  if (clients_.empty()) return true;
  const auto deadline = std::chrono::steady_clock::now() + flush_timeout;
  bool flushed = true;
  for (const driver::Clients& lane : clients_) {
    if (!lane.producer) continue;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    flushed = lane.producer->Flush(std::max(left, std::chrono::milliseconds(0))) && flushed;
  }
  if (!flushed) {
    LOG_WARN("%s: %llu messages still unacknowledged after %lld ms", name_.c_str(),
             static_cast<unsigned long long>(accounting_->InFlight()),
             static_cast<long long>(flush_timeout.count()));
  }
  return flushed;
}

bool TargetRuntime::Drained() const {
  // Every acknowledged message received, or already counted lost. Without the instance's own
  // messages to wait for (produce-only, consume-only), nothing.
  if (role_ != config::Role::kFull) return true;
  for (std::size_t i = 0; i < topics_.size(); ++i) {
    const accounting::Totals t = accounting_->TopicTotals(i);
    const std::uint64_t accounted =
        t.Received() - t.delivered_after_error + t.lost + t.dropped_by_client;
    if (accounted < t.acked) return false;
  }
  return true;
}

void TargetRuntime::Maintain(std::int64_t now_ns, std::int64_t loss_grace_ns) {
  // The producer's upkeep first: it fails JetStream publishes past run.publish_timeout, which the
  // sweep must see before it declares anything lost (loss_grace > publish_timeout).
  for (const driver::Clients& lane : clients_) {
    if (lane.producer) lane.producer->Maintain();
  }
  for (const driver::Clients& lane : clients_) {
    if (lane.consumer) lane.consumer->Maintain();
  }
  // Lane k's consumer reads the target's topics k, k + N, ...
  const std::size_t lanes = clients_.size();
  for (std::size_t k = 0; k < lanes; ++k) {
    if (!clients_[k].consumer) continue;
    const auto backlogs = clients_[k].consumer->Backlog();
    const auto steady_now = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < backlogs.size() && k + i * lanes < topics_.size(); ++i) {
      std::optional<std::uint64_t> messages;
      std::optional<std::int64_t> handed_stored_before_ns;
      if (const auto& backlog = backlogs[i]) {
        messages = backlog->messages;
        if (backlog->handed_stored_before) {
          handed_stored_before_ns = now_ns - std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                 steady_now - *backlog->handed_stored_before)
                                                 .count();
        }
      }
      accounting_->OnBrokerBacklog(k + i * lanes, messages, handed_stored_before_ns);
    }
  }
  accounting_->Sweep(now_ns, loss_grace_ns);
  if (++maintain_calls_ % 10 == 0) LogProblems();
}

// One line per target and interval, never one per message.
void TargetRuntime::LogProblems() {
  const accounting::Totals totals = accounting_->Sum();
  std::uint64_t too_many_sources = 0;
  for (std::size_t t = 0; t < topics_.size(); ++t) {
    too_many_sources += accounting_->ForeignCount(t, accounting::ForeignReason::kTooManySources);
  }
  const ProblemTotals now{totals.Errors(),   totals.lost,      totals.dropped_sends,
                          totals.late_sends, totals.published, too_many_sources};
  std::string reasons;
  for (std::size_t r = 0; r < driver::kStatusCount; ++r) {
    const std::uint64_t count = totals.send_errors[r] + totals.ack_errors[r];
    if (count == 0) continue;
    reasons += (reasons.empty() ? "" : ", ") +
               std::string(driver::StatusName(static_cast<driver::Status>(r))) + " " +
               std::to_string(count);
  }
  if (now.errors != logged_.errors) {
    LOG_WARN("%s: %llu publish errors in the last 10 s (totals: %s)", name_.c_str(),
             static_cast<unsigned long long>(now.errors - logged_.errors), reasons.c_str());
  }
  if (now.lost != logged_.lost) {
    LOG_WARN("%s: %llu messages lost in the last 10 s", name_.c_str(),
             static_cast<unsigned long long>(now.lost - logged_.lost));
  }
  // The odd late send is counted (brokerload_sends_late_total) but is not "behind".
  if (pacing::BehindSchedule(now.published - logged_.published, now.late - logged_.late,
                             now.dropped - logged_.dropped)) {
    LOG_WARN("%s: behind schedule: %llu sends late, %llu dropped in the last 10 s", name_.c_str(),
             static_cast<unsigned long long>(now.late - logged_.late),
             static_cast<unsigned long long>(now.dropped - logged_.dropped));
  }
  if (now.too_many_sources != logged_.too_many_sources) {
    LOG_WARN(
        "%s: %llu messages of producers beyond the %zu tracked at once skipped in the last "
        "10 s (brokerload_messages_foreign_total{reason=\"too_many_sources\"})",
        name_.c_str(),
        static_cast<unsigned long long>(now.too_many_sources - logged_.too_many_sources),
        accounting::SourceTable::kCapacity);
  }
  logged_ = now;
}

void TargetRuntime::StopConsuming() {
  for (const driver::Clients& lane : clients_) {
    if (lane.consumer) lane.consumer->Stop();
  }
}

void TargetRuntime::OnClientDropped(std::size_t topic, std::uint64_t count) {
  accounting_->OnClientDropped(topic, count);
}

void TargetRuntime::OnAck(std::span<const std::byte> payload) {
  accounting_->OnAck(payload, clock_.NowNs());
}

void TargetRuntime::OnAckFailed(std::span<const std::byte> payload, driver::Status status) {
  accounting_->OnAckFailed(payload, status);
}

void TargetRuntime::OnMessage(std::size_t topic, std::uint32_t partition,
                              std::span<const std::byte> payload, bool replayed) {
  accounting::WorkItem item;
  if (accounting_->OnReceived(topic, payload, clock_.NowNs(), item, replayed, partition)) {
    pool_->Submit(WorkerFor(item), item);
  }
}

std::size_t TargetRuntime::WorkerFor(const accounting::WorkItem& item) {
  if (pool_->Size() == 0) return 0;  // inline
  if (config_.workload.keys > 0) {
    // One key, one worker: its messages are processed in the order they arrive.
    std::uint64_t h =
        (std::uint64_t{item.target} << 48) ^ (std::uint64_t{item.topic} << 32) ^ item.key;
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    return static_cast<std::size_t>(h % pool_->Size());
  }
  // Runs of 64 to one worker: a worker is woken once per run, not once per message.
  thread_local std::size_t next = 0;
  return (next++ / 64) % pool_->Size();
}

std::vector<std::string> TopicNames(const config::Workload& workload, std::uint32_t producer_id) {
  const std::string prefix =
      workload.topic_prefix +
      (workload.topics_per_replica ? "-p" + std::to_string(producer_id) + "-" : "-");
  std::vector<std::string> topics;
  for (int i = 0; i < workload.topics; ++i) topics.push_back(prefix + std::to_string(i));
  return topics;
}

accounting::RunIdentity NewRunIdentity() {
  std::random_device device;
  accounting::RunIdentity identity{(std::uint64_t{device()} << 32) ^ device(), 0};
  // main refused an invalid value before any run began.
  if (const char* id = std::getenv(config::kProducerIdVariable)) {
    identity.producer_id = config::ParseProducerId(id).value_or(0);
  }
  return identity;
}

config::Config ForRun(const config::Config& config, const accounting::RunIdentity& identity) {
  config::Config run_config = config;
  if (run_config.kafka) {
    char suffix[20];
    std::snprintf(suffix, sizeof suffix, "-%016llx",
                  static_cast<unsigned long long>(identity.run_id));
    run_config.kafka->consumer_group += suffix;
  }
  return run_config;
}

bool Drain(const std::vector<std::unique_ptr<TargetRuntime>>& targets,
           std::chrono::steady_clock::time_point deadline) {
  for (const auto& target : targets) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    target->StopPublishing(std::max(left, std::chrono::milliseconds(0)));
  }
  auto drained = [&] {
    for (const auto& target : targets) {
      if (!target->Drained()) return false;
    }
    return true;
  };
  while (!drained() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return drained();
}

}  // namespace brokerload::app
