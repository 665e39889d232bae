#include "app/leader_watch.hpp"

#include <algorithm>

#include "log/log.hpp"

namespace brokerload::app {
namespace {

bool IsNumber(const std::string& text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Kafka's ids as numbers (2 before 10), names as text.
bool BrokerBefore(const metrics::BrokerLeads& a, const metrics::BrokerLeads& b) {
  if (IsNumber(a.broker) && IsNumber(b.broker) && a.broker.size() != b.broker.size()) {
    return a.broker.size() < b.broker.size();
  }
  return a.broker < b.broker;
}

}  // namespace

std::vector<metrics::BrokerLeads> CountLeads(const driver::Leadership& leadership) {
  std::vector<metrics::BrokerLeads> counts;
  auto entry = [&counts](const std::string& broker) -> metrics::BrokerLeads& {
    const auto it = std::find_if(counts.begin(), counts.end(),
                                 [&](const metrics::BrokerLeads& c) { return c.broker == broker; });
    return it != counts.end() ? *it : counts.emplace_back(metrics::BrokerLeads{broker, 0});
  };
  for (const std::string& broker : leadership.brokers) entry(broker);
  for (const std::string& leader : leadership.leaders) {
    if (!leader.empty()) ++entry(leader).led;
  }
  std::sort(counts.begin(), counts.end(), BrokerBefore);
  return counts;
}

LeaderWords WordsFor(driver::Backend backend) {
  if (backend == driver::Backend::kKafka) {
    return {"broker", "partition",
            "targets.kafka.topic.partitions: per_broker gives each topic one partition per broker "
            "(new topics), or Kafka's preferred leader election moves leaders back"};
  }
  return {"server", "stream",
          "more topics, or R3 streams (targets.nats.stream.replicas: 3) whose leaders the servers "
          "spread"};
}

std::string SpreadLine(std::string_view target, const LeaderWords& words,
                       const std::vector<metrics::BrokerLeads>& counts,
                       std::size_t without_leader) {
  std::string line = std::string(target) + ": " + words.led + " leaders:";
  std::uint32_t total = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    line += std::string(i == 0 ? " " : ", ") + words.broker + " " + counts[i].broker + " leads " +
            std::to_string(counts[i].led);
    total += counts[i].led;
  }
  if (counts.empty()) line += std::string(" no ") + words.broker + " known";
  const std::size_t all = total + without_leader;
  line += " (" + std::to_string(all) + " " + words.led + (all == 1 ? "" : "s");
  if (without_leader > 0) line += ", " + std::to_string(without_leader) + " without a leader";
  return line + ")";
}

std::string NoneLedLine(std::string_view target, const LeaderWords& words,
                        const std::vector<metrics::BrokerLeads>& counts) {
  std::vector<std::string> idle;
  for (const metrics::BrokerLeads& c : counts) {
    if (c.led == 0) idle.push_back(c.broker);
  }
  if (idle.empty()) return "";
  std::string names;
  for (const std::string& broker : idle) names += (names.empty() ? "" : ", ") + broker;
  const bool one = idle.size() == 1;
  return std::string(target) + ": " + words.broker + (one ? " " : "s ") + names +
         (one ? " leads no " : " lead no ") + words.led +
         " of this run: brokerload does not measure " + (one ? "it" : "them") + " (" +
         words.remedy + ")";
}

void LeaderWatch::Refresh(driver::Producer& producer, Clock::time_point now,
                          std::chrono::milliseconds timeout) {
  if (asked_ && now - *asked_ < kInterval) return;
  asked_ = now;
  const std::optional<driver::Leadership> leadership = producer.Leaders(timeout);
  if (!leadership) return;
  std::vector<metrics::BrokerLeads> counts = CountLeads(*leadership);
  const auto without_leader = static_cast<std::size_t>(
      std::count(leadership->leaders.begin(), leadership->leaders.end(), std::string()));
  std::string line = SpreadLine(target_, words_, counts, without_leader);
  if (line != logged_) {
    LOG_INFO("%s", line.c_str());
    if (const std::string idle = NoneLedLine(target_, words_, counts); !idle.empty()) {
      LOG_WARN("%s", idle.c_str());
    }
    logged_ = std::move(line);
  }
  leaders_ = leadership->leaders;
  const std::lock_guard lock(mutex_);
  counts_ = std::move(counts);
}

std::vector<metrics::BrokerLeads> LeaderWatch::Counts() const {
  const std::lock_guard lock(mutex_);
  return counts_;
}

std::vector<std::int32_t> LeaderWatch::LeaderNumbers() {
  numbers_.resize(leaders_.size(), driver::kUnknownBroker);
  const std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < leaders_.size(); ++i) {
    // No leader named: an election under way. The stream acknowledges nothing until it has one,
    // and then, until the next ask, under the leader before, as when an ask goes unanswered.
    if (leaders_[i].empty()) continue;
    auto at = std::find(names_.begin(), names_.end(), leaders_[i]);
    if (at == names_.end()) at = names_.insert(names_.end(), leaders_[i]);
    numbers_[i] = static_cast<std::int32_t>(at - names_.begin());
  }
  return numbers_;
}

std::string LeaderWatch::NameOf(std::int32_t number) const {
  const std::lock_guard lock(mutex_);
  return number >= 0 && static_cast<std::size_t>(number) < names_.size()
             ? names_[static_cast<std::size_t>(number)]
             : std::string();
}

}  // namespace brokerload::app
