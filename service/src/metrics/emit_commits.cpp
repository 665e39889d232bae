#include <limits>

#include "metrics/emit.hpp"

namespace brokerload::metrics {
namespace {

// Commits are a few a minute: a coarse ladder, 1 ms to 10 s.
const Buckets& CommitBuckets() {
  static const Buckets buckets = [] {
    Buckets b;
    for (const double seconds :
         {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0}) {
      b.seconds.push_back(seconds);
      b.ns.push_back(static_cast<std::int64_t>(seconds * 1e9 + 0.5));
    }
    return b;
  }();
  return buckets;
}

}  // namespace

void EmitCommits(Families& families, const TargetState& target) {
  if (!target.view.commits || !Consumes(target.view.role)) return;
  const std::string& name = target.view.name;
  const GroupCommits commits = target.view.commits();
  // The brokers change with the cluster: their label sets are built per scrape (a few).
  for (const GroupCommits::Coordinator& c : commits.coordinators) {
    Add(families, FamilyId::kGroupCoordinator, Resolve(kTargetBroker, {name, c.broker}), c.groups);
  }
  const Buckets& buckets = CommitBuckets();
  for (const GroupCommits::Latency& l : commits.latency) {
    prometheus::ClientMetric metric;
    metric.label = Resolve(kTargetBroker, {name, l.broker});
    metric.histogram.sample_count = l.committed.Count();
    metric.histogram.sample_sum = l.committed.SumSeconds();
    const std::vector<std::uint64_t> counts = l.committed.CountsAtOrBelow(buckets.ns);
    for (std::size_t i = 0; i < buckets.seconds.size(); ++i) {
      metric.histogram.bucket.push_back({counts[i], buckets.seconds[i]});
    }
    metric.histogram.bucket.push_back(
        {l.committed.Count(), std::numeric_limits<double>::infinity()});
    families[static_cast<std::size_t>(FamilyId::kBrokerCommitLatency)].metric.push_back(
        std::move(metric));
  }
  for (const GroupCommits::Failures& f : commits.failures) {
    Add(families, FamilyId::kBrokerCommitFailures,
        Resolve(kTargetBrokerReason, {name, f.broker, f.reason}), static_cast<double>(f.count));
  }
}

}  // namespace brokerload::metrics
