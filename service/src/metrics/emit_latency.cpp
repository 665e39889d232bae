#include <array>
#include <limits>
#include <span>
#include <string>

#include "metrics/emit.hpp"

namespace brokerload::metrics {
namespace {

// A target's histograms, each merged over its topics.
struct TargetSnapshots {
  accounting::HistogramSnapshot publish;
  accounting::HistogramSnapshot end_to_end;
  accounting::HistogramSnapshot end_to_end_service;
  accounting::HistogramSnapshot send_lag;
};

TargetSnapshots Snapshots(const TargetView& t) {
  TargetSnapshots s;
  for (std::size_t i = 0; i < t.topics.size(); ++i) {
    const accounting::TopicLatencies& l = t.accounting->Latencies(i);
    s.publish.Merge(l.publish.Snapshot());
    s.end_to_end.Merge(l.end_to_end.Snapshot());
    s.end_to_end_service.Merge(l.end_to_end_service.Snapshot());
  }
  s.send_lag = t.accounting->SendLag().Snapshot();
  return s;
}

void AddHistogram(Families& families, FamilyId id, const Labels& labels,
                  const accounting::HistogramSnapshot& h, const Buckets& buckets) {
  prometheus::ClientMetric metric;
  metric.label = labels;
  metric.histogram.sample_count = h.Count();
  metric.histogram.sample_sum = h.SumSeconds();
  const std::vector<std::uint64_t> counts = h.CountsAtOrBelow(buckets.ns);
  metric.histogram.bucket.reserve(buckets.seconds.size() + 1);
  for (std::size_t i = 0; i < buckets.seconds.size(); ++i) {
    metric.histogram.bucket.push_back({counts[i], buckets.seconds[i]});
  }
  metric.histogram.bucket.push_back({h.Count(), std::numeric_limits<double>::infinity()});
  families[static_cast<std::size_t>(id)].metric.push_back(std::move(metric));
}

// One gauge per window and quantile; NaN (as a summary without observations) for an empty window.
// `labels`: kWindows x kQuantiles label sets, windows outer.
void AddWindowQuantiles(Families& families, FamilyId id, std::span<const Labels> labels,
                        const WindowedQuantiles& windows,
                        const accounting::HistogramSnapshot& cumulative) {
  std::size_t i = 0;
  for (const Window& w : kWindows) {
    const accounting::HistogramSnapshot values = windows.Window(w.ns, cumulative);
    for (const Quantile& q : kQuantiles) {
      Add(families, id, labels[i++],
          values.Count() == 0 ? std::numeric_limits<double>::quiet_NaN()
                              : static_cast<double>(values.QuantileNs(q.q)) * 1e-9);
    }
  }
}

// Each broker's histograms and window quantiles: its label sets built per scrape, as the brokers
// change with the cluster.
void AddBrokerLatencies(Families& families, const TargetState& target, const Buckets& buckets,
                        bool publishes, bool consumes) {
  const TargetView& t = target.view;
  const accounting::BrokerFigures* brokers = t.accounting->Brokers();
  if (brokers == nullptr) return;
  std::array<Labels, kWindows.size() * kQuantiles.size()> windows;
  for (std::size_t i = 0; i < brokers->Size(); ++i) {
    const std::string name = BrokerName(t, brokers->Broker(i));
    const Labels labels = Resolve(kTargetBroker, {t.name, name});
    std::size_t w = 0;
    for (const Window& window : kWindows) {
      for (const Quantile& q : kQuantiles) {
        windows[w++] = Resolve(kTargetBrokerQuantileWindow, {t.name, name, q.label, window.label});
      }
    }
    const BrokerWindows& kept = target.brokers[i];
    if (publishes) {
      const accounting::HistogramSnapshot publish = brokers->Publish(i).Snapshot();
      AddHistogram(families, FamilyId::kBrokerPublishLatency, labels, publish, buckets);
      AddWindowQuantiles(families, FamilyId::kBrokerPublishLatencyWindow, windows, kept.publish,
                         publish);
    }
    if (consumes) {
      const accounting::HistogramSnapshot end_to_end = brokers->EndToEnd(i).Snapshot();
      AddHistogram(families, FamilyId::kBrokerEndToEndLatency, labels, end_to_end, buckets);
      AddWindowQuantiles(families, FamilyId::kBrokerEndToEndLatencyWindow, windows, kept.end_to_end,
                         end_to_end);
    }
  }
}

}  // namespace

void EmitLatency(Families& families, const TargetState& target, const LatencyBuckets& latency) {
  const Buckets& buckets = latency.target;
  const TargetSnapshots s = Snapshots(target.view);
  const TargetLabels& labels = target.labels;
  if (Publishes(target.view.role)) {
    AddHistogram(families, FamilyId::kPublishLatency, labels.target, s.publish, buckets);
    AddHistogram(families, FamilyId::kSendLag, labels.target, s.send_lag, buckets);
    AddWindowQuantiles(families, FamilyId::kPublishLatencyWindow, labels.windows, target.publish,
                       s.publish);
    AddWindowQuantiles(families, FamilyId::kSendLagWindow, labels.windows, target.send_lag,
                       s.send_lag);
  }
  if (Consumes(target.view.role)) {
    AddHistogram(families, FamilyId::kEndToEndLatency, labels.target, s.end_to_end, buckets);
    AddHistogram(families, FamilyId::kEndToEndServiceLatency, labels.target, s.end_to_end_service,
                 buckets);
    AddWindowQuantiles(families, FamilyId::kEndToEndLatencyWindow, labels.windows,
                       target.end_to_end, s.end_to_end);
  }
  AddBrokerLatencies(families, target, latency.broker, Publishes(target.view.role),
                     Consumes(target.view.role));
}

void AdvanceWindows(TargetState& target, std::int64_t now_ns) {
  // A broker's windows begin at its first value, so their boundaries are their own.
  if (const accounting::BrokerFigures* brokers = target.view.accounting->Brokers()) {
    for (std::size_t i = 0; i < brokers->Size(); ++i) {
      BrokerWindows& kept = target.brokers[i];
      if (kept.publish.Due(now_ns)) kept.publish.Advance(now_ns, brokers->Publish(i).Snapshot());
      if (kept.end_to_end.Due(now_ns)) {
        kept.end_to_end.Advance(now_ns, brokers->EndToEnd(i).Snapshot());
      }
    }
  }
  // The target's three share their boundaries, so one test says whether a snapshot is needed.
  if (!target.end_to_end.Due(now_ns)) return;
  const TargetSnapshots s = Snapshots(target.view);
  target.end_to_end.Advance(now_ns, s.end_to_end);
  target.publish.Advance(now_ns, s.publish);
  target.send_lag.Advance(now_ns, s.send_lag);
}

}  // namespace brokerload::metrics
