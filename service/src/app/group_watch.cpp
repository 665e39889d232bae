#include "app/group_watch.hpp"

#include <algorithm>

#include "log/log.hpp"

namespace brokerload::app {

std::string CoordinatorLine(std::string_view target, const std::vector<std::string>& groups,
                            const std::vector<std::optional<std::int32_t>>& coordinators) {
  std::string line =
      std::string(target) + ": consumer group coordinator" + (coordinators.size() > 1 ? "s:" : ":");
  for (std::size_t k = 0; k < coordinators.size(); ++k) {
    line += std::string(k == 0 ? " " : ", ") + (k < groups.size() ? groups[k] : "?") +
            " at broker " +
            (coordinators[k] ? std::to_string(*coordinators[k]) : std::string("unknown"));
  }
  return line;
}

void GroupWatch::Refresh(const std::vector<driver::Consumer*>& consumers,
                         const std::vector<std::string>& groups, Clock::time_point now,
                         std::chrono::milliseconds timeout) {
  coordinators_.resize(consumers.size());
  committed_under_.resize(consumers.size(), std::string(kUnknown));
  const bool due = !asked_ || now - *asked_ >= kInterval;
  if (due) {
    asked_ = now;
    bool answered = false;
    for (std::size_t k = 0; k < consumers.size(); ++k) {
      if (consumers[k] == nullptr) continue;
      if (const auto coordinator = consumers[k]->Coordinator(timeout)) {
        coordinators_[k] = coordinator;
        answered = true;
      }
    }
    std::string line = CoordinatorLine(target_, groups, coordinators_);
    if (answered && line != logged_) {
      LOG_INFO("%s", line.c_str());
      logged_ = std::move(line);
    }
    std::vector<metrics::GroupCommits::Coordinator> counted;
    for (const auto& coordinator : coordinators_) {
      if (!coordinator) continue;
      const std::string broker = std::to_string(*coordinator);
      auto it = std::find_if(counted.begin(), counted.end(),
                             [&](const auto& c) { return c.broker == broker; });
      if (it == counted.end()) it = counted.insert(counted.end(), {broker, 0});
      ++it->groups;
    }
    const std::lock_guard lock(mutex_);
    counted_ = std::move(counted);
  }
  // A lane's answers belong to the commit it started last (one is outstanding at a time).
  for (std::size_t k = 0; k < consumers.size(); ++k) {
    if (consumers[k] == nullptr) continue;
    const driver::Consumer::TimedCommitsAnswer commits = consumers[k]->TimedCommits(due);
    for (const auto& result : commits.answered) Record(committed_under_[k], result);
    if (commits.started) {
      committed_under_[k] =
          coordinators_[k] ? std::to_string(*coordinators_[k]) : std::string(kUnknown);
    }
  }
}

void GroupWatch::Record(const std::string& broker, const driver::Consumer::CommitResult& result) {
  const std::lock_guard lock(mutex_);
  if (result.failure != driver::CommitFailure::kNone) {
    ++failures_[{broker, result.failure}];
    return;
  }
  auto& histogram = latency_[broker];
  if (!histogram) histogram = std::make_unique<accounting::LatencyHistogram>();
  histogram->Record(result.latency.count());
}

metrics::GroupCommits GroupWatch::Snapshot() const {
  metrics::GroupCommits commits;
  const std::lock_guard lock(mutex_);
  commits.coordinators = counted_;
  for (const auto& [broker, histogram] : latency_) {
    commits.latency.push_back({broker, histogram->Snapshot()});
  }
  for (const auto& [key, count] : failures_) {
    commits.failures.push_back({key.first, driver::CommitFailureName(key.second), count});
  }
  return commits;
}

}  // namespace brokerload::app
