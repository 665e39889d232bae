#include "app/target_runtime.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>

#include "app/target_setup.hpp"
#include "config/environment.hpp"
#include "log/log.hpp"
#include "message/header.hpp"

namespace brokerload::app {
namespace {

// The first ask of the leaders, at the end of setup: longer than housekeeping's, within the
// start's deadline.
constexpr std::chrono::milliseconds kFirstLeadersWait{2'000};

}  // namespace

TargetRuntime::TargetRuntime(driver::Backend backend, std::uint8_t index,
                             std::vector<std::string> topics, std::size_t phases,
                             bool phase_histograms, const TargetContext& context)
    : backend_(backend),
      name_(driver::BackendName(backend)),
      context_(context),
      role_(context.config.run.role),
      topics_(std::move(topics)),
      problems_(name_),
      leaders_(name_, backend),
      groups_(name_),
      accounting_(
          std::make_unique<accounting::TargetAccounting>(accounting::TargetAccounting::Options{
              index, topics_.size(), static_cast<std::uint32_t>(context.config.workload.keys),
              context.identity, 2 * context.config.run.tick.count(), phases, phase_histograms,
              role_ == config::Role::kFull          ? accounting::ReceiveMode::kOwnRun
              : role_ == config::Role::kProduceOnly ? accounting::ReceiveMode::kNone
                                                    : accounting::ReceiveMode::kAnySource,
              context.config.run.warmup.count(), true})) {
  const config::Workload& workload = context.config.workload;
  const auto lanes = static_cast<std::size_t>(workload.publishers);
  const bool may_wait = context.pool.Size() > 0 || workload.work != config::WorkMode::kNone;
  for (std::size_t k = 0; k < lanes; ++k) {
    lane_acks_.push_back(std::make_unique<LaneAcks>(*accounting_, context.clock));
    lane_listeners_.push_back(std::make_unique<LaneListener>(
        *accounting_, context.clock, context.pool, workload.keys > 0, may_wait, k, lanes));
  }
}

TargetRuntime::~TargetRuntime() {
  publisher_threads_.clear();
  StopConsuming();
  clients_.clear();
}

bool TargetRuntime::CreateLane(std::size_t k, std::chrono::steady_clock::time_point deadline,
                               const std::atomic<bool>& cancel, std::string& error) {
  // Lane k: a producer that knows every topic (it sends to its own), a consumer of its topics
  // (with one lane: every topic, in the configured group).
  const std::size_t lanes = lane_acks_.size();
  config::Config lane_config;
  std::vector<std::string> lane_topics;
  if (lanes > 1) {
    lane_config = context_.config;
    if (lane_config.kafka) lane_config.kafka->consumer_group += "-c" + std::to_string(k);
    for (std::size_t t = k; t < topics_.size(); t += lanes) lane_topics.push_back(topics_[t]);
  }
  // Consume-only sends nothing: lane 0's producer creates the topics, others would only hold
  // idle connections.
  const bool with_producer = role_ != config::Role::kConsumeOnly || k == 0;
  driver::Clients& clients = clients_.emplace_back();
  return context_.create_clients(backend_, lanes > 1 ? lane_config : context_.config, topics_,
                                 *lane_acks_[k], health_, deadline, cancel, clients, error,
                                 lanes > 1 ? &lane_topics : nullptr, with_producer) &&
         (!clients.consumer ||
          clients.consumer->Start(*lane_listeners_[k], driver::SetupWait(deadline), cancel, error));
}

bool TargetRuntime::Setup(const std::atomic<bool>& cancel,
                          std::chrono::steady_clock::time_point deadline, std::string& error) {
  // Every wait inside ends by the deadline: run.startup_timeout is the whole start's bound.
  auto attempt = [&](std::string& attempt_error) {
    for (std::size_t k = 0; k < lane_acks_.size(); ++k) {
      if (!CreateLane(k, deadline, cancel, attempt_error)) return false;
    }
    return true;
  };
  auto undo = [&] {
    StopConsuming();
    clients_.clear();
  };
  if (!RetrySetup(name_, attempt, undo, health_, cancel, deadline, error)) return false;
  // Consume-only: what is scheduled from now on is surely received (the consumers listen); what
  // was scheduled before may have been sent before they did.
  if (role_ == config::Role::kConsumeOnly) accounting_->AcceptFrom(context_.clock.NowNs());
  // Lane 0's producer knows every topic (consume-only has it too: it creates them).
  if (driver::Producer* producer = clients_.front().producer.get()) {
    for (std::size_t t = 0; t < topics_.size(); ++t) {
      accounting_->SetPartitions(t, static_cast<std::uint32_t>(producer->Partitions(t)));
    }
    // Every partition has a leader by now (Kafka's setup waited for them): who they are.
    leaders_.Refresh(*producer, std::chrono::steady_clock::now(),
                     std::min(driver::SetupWait(deadline), kFirstLeadersWait));
    AttributeStreams();
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

bool TargetRuntime::Probe(const std::atomic<bool>& cancel,
                          std::chrono::steady_clock::time_point deadline, std::string& error) {
  if (role_ != config::Role::kFull) return true;
  if (!ProbeRoundTrip(name_, topics_, clients_, *accounting_, context_.identity, context_.clock,
                      cancel, deadline, error)) {
    return false;
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
        context_.config.workload, context_.config.run, context_.schedule, *clients_[k].producer,
        *accounting_, context_.identity, context_.clock, start_ns, pacing::Lane{k, lanes}));
  }
  for (std::uint32_t k = 0; k < lanes; ++k) {
    publisher_threads_.push_back(std::make_unique<pacing::PublisherThread>(
        *publishers_[k], context_.clock, context_.config.run.tick,
        pacing::PublisherThreadOptions{
            .name = "pub-" + name_ + (lanes > 1 ? std::to_string(k) : ""),
            .realtime_priority = context_.config.run.realtime_priority,
            .spin = context_.config.run.spin,
            .doorbell = &lane_acks_[k]->doorbell}));
  }
}

std::optional<std::uint64_t> TargetRuntime::SentBytes() const {
  std::uint64_t sum = 0;
  for (const driver::Clients& lane : clients_) {
    const std::optional<std::uint64_t> sent =
        lane.producer ? lane.producer->SentBytes() : std::nullopt;
    if (!sent) return std::nullopt;
    sum += *sent;
  }
  return clients_.empty() ? std::nullopt : std::optional<std::uint64_t>(sum);
}

std::chrono::milliseconds TargetRuntime::SentBytesDelay() const {
  std::chrono::milliseconds delay{0};
  for (const driver::Clients& lane : clients_) {
    if (lane.producer) delay = std::max(delay, lane.producer->SentBytesDelay());
  }
  return delay;
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
        pacing::MakeSettings(workload, run, schedule, start_ns, context_.identity.run_id)));
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
  RecordBrokerBacklogs(now_ns);
  WatchGroups();
  accounting_->Sweep(now_ns, loss_grace_ns);
  if (!clients_.empty() && clients_.front().producer) {
    leaders_.Refresh(*clients_.front().producer, std::chrono::steady_clock::now());
    AttributeStreams();
  }
  WarnBrokerOverflow();
  if (++maintain_calls_ % 10 == 0) problems_.Log(*accounting_, topics_.size(), "10 s");
}

void TargetRuntime::WatchGroups() {
  if (backend_ != driver::Backend::kKafka || !context_.config.kafka) return;
  std::vector<driver::Consumer*> consumers;
  std::vector<std::string> groups;
  for (std::size_t k = 0; k < clients_.size(); ++k) {
    consumers.push_back(clients_[k].consumer.get());
    // As CreateLane names them.
    groups.push_back(context_.config.kafka->consumer_group +
                     (clients_.size() > 1 ? "-c" + std::to_string(k) : ""));
  }
  groups_.Refresh(consumers, groups, std::chrono::steady_clock::now());
}

void TargetRuntime::WarnBrokerOverflow() {
  const accounting::BrokerFigures* brokers = accounting_->Brokers();
  if (overflow_warned_ || brokers == nullptr || brokers->Overflow() == 0) return;
  overflow_warned_ = true;
  LOG_WARN(
      "%s: more than %zu brokers: the latency by broker leaves the further ones out (the "
      "target's figures keep them)",
      name_.c_str(), accounting::BrokerFigures::kCapacity);
}

void TargetRuntime::AttributeStreams() {
  if (backend_ != driver::Backend::kNats) return;
  const std::vector<std::int32_t> numbers = leaders_.LeaderNumbers();
  for (std::size_t t = 0; t < numbers.size() && t < topics_.size(); ++t) {
    accounting_->SetTopicBroker(t, numbers[t]);
  }
}

void TargetRuntime::RecordBrokerBacklogs(std::int64_t now_ns) {
  // Lane k's consumer reads the target's topics k, k + N, ...
  const std::size_t lanes = clients_.size();
  for (std::size_t k = 0; k < lanes; ++k) {
    if (!clients_[k].consumer) continue;
    const auto backlogs = clients_[k].consumer->Backlog();
    const auto steady_now = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < backlogs.size() && k + i * lanes < topics_.size(); ++i) {
      std::optional<std::uint64_t> messages;
      std::optional<std::int64_t> handed_stored_before_ns;
      std::optional<std::uint64_t> ack_pending;
      if (const auto& backlog = backlogs[i]) {
        messages = backlog->messages;
        ack_pending = backlog->ack_pending;
        if (backlog->handed_stored_before) {
          handed_stored_before_ns = now_ns - std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                 steady_now - *backlog->handed_stored_before)
                                                 .count();
        }
      }
      accounting_->OnBrokerBacklog(k + i * lanes, messages, handed_stored_before_ns, ack_pending);
    }
  }
}

void TargetRuntime::StopConsuming() {
  for (const driver::Clients& lane : clients_) {
    if (lane.consumer) lane.consumer->Stop();
  }
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
