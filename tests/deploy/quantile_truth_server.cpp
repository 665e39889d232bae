// Serves a known latency distribution through brokerload's own accounting, exporter and HTTP
// server, for tests/deploy/quantile_truth_test.py to check what Prometheus makes of it.
//
// usage: quantile_truth_server [--buckets B1,B2,...]   (seconds; default: brokerload's default)
// Prints one JSON line, {"port": P, "exact": {"end_to_end": {"0.5": seconds, ...}, "publish":
// ..., "send_lag": ...}}, the internal histogram's quantiles, then serves /metrics on 127.0.0.1
// and moves the window quantiles once a second until SIGTERM or SIGINT.
#include <prometheus/text_serializer.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "accounting/target_accounting.hpp"
#include "app/http_server.hpp"
#include "config/config.hpp"
#include "message/header.hpp"
#include "metrics/exporter.hpp"

namespace {

using brokerload::accounting::HistogramSnapshot;

volatile std::sig_atomic_t stop = 0;

// The standard normal distribution's quantile at probability p, by bisection on its CDF: slow
// and obviously right, which is what a test's fixed points need.
double NormalQuantile(double p) {
  double low = -10, high = 10;
  for (int i = 0; i < 100; ++i) {
    const double mid = (low + high) / 2;
    if (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p) {
      low = mid;
    } else {
      high = mid;
    }
  }
  return (low + high) / 2;
}

// `n` evenly spaced quantiles of a log-normal with this median (seconds) and sigma, in ns.
void LogNormal(std::vector<std::int64_t>& out, int n, double median_s, double sigma) {
  for (int i = 0; i < n; ++i) {
    const double p = (i + 0.5) / n;
    out.push_back(std::llround(median_s * std::exp(sigma * NormalQuantile(p)) * 1e9));
  }
}

// `n` values spread evenly on a log scale from `low_s` to `high_s`, in ns.
void LogUniform(std::vector<std::int64_t>& out, int n, double low_s, double high_s) {
  for (int i = 0; i < n; ++i) {
    const double x = (i + 0.5) / n;
    out.push_back(std::llround(low_s * std::pow(high_s / low_s, x) * 1e9));
  }
}

std::vector<double> ParseBuckets(const std::string& list) {
  std::vector<double> buckets;
  std::size_t at = 0;
  while (at < list.size()) {
    std::size_t used = 0;
    buckets.push_back(std::stod(list.substr(at), &used));
    at += used;
    if (at < list.size() && list[at] == ',') ++at;
  }
  return buckets;
}

void PrintQuantiles(const char* name, const HistogramSnapshot& s, bool last) {
  std::printf("\"%s\": {", name);
  const char* labels[] = {"0.5", "0.9", "0.99", "0.999"};
  const double qs[] = {0.5, 0.9, 0.99, 0.999};
  for (int i = 0; i < 4; ++i) {
    std::printf("%s\"%s\": %.9f", i ? ", " : "", labels[i],
                static_cast<double>(s.QuantileNs(qs[i])) * 1e-9);
  }
  std::printf("}%s", last ? "" : ", ");
}

}  // namespace

int main(int argc, char** argv) {
  namespace accounting = brokerload::accounting;
  std::vector<double> buckets = brokerload::config::DefaultLatencyBuckets();
  if (argc == 3 && std::string(argv[1]) == "--buckets") {
    buckets = ParseBuckets(argv[2]);
  } else if (argc != 1) {
    std::fprintf(stderr, "usage: %s [--buckets B1,B2,...]\n", argv[0]);
    return 64;
  }

  // End to end: the proxied user's case (median 12.2 ms) mixed with a fast mode and a slow tail,
  // from about 50 us to 10 s. Publish: one wide log-normal. Send lag: log-uniform 50 us..10 s.
  std::vector<std::int64_t> end_to_end, publish, send_lag;
  LogNormal(end_to_end, 60'000, 0.0122, 0.35);
  LogNormal(end_to_end, 35'000, 0.0008, 1.0);
  LogNormal(end_to_end, 5'000, 0.4, 1.2);
  LogNormal(publish, 100'000, 0.002, 1.3);
  LogUniform(send_lag, 100'000, 50e-6, 10);

  constexpr std::size_t kTopics = 2;
  accounting::TargetAccounting target({0, kTopics, 0, {1, 0}, std::int64_t{1} << 62, 1, false});
  std::vector<std::byte> payload(64);
  brokerload::message::Header h;
  h.run_id = 1;
  std::vector<std::uint64_t> sequence(kTopics, 0);
  // Spread over both topics, so the export's merge of topics is part of what is checked.
  for (std::size_t i = 0; i < end_to_end.size(); ++i) {
    h.topic = static_cast<std::uint16_t>(i % kTopics);
    h.sequence = sequence[h.topic]++;
    h.intended_ns = h.actual_ns = 0;
    brokerload::message::Encode(h, payload);
    accounting::WorkItem item;
    target.OnReceived(h.topic, payload, end_to_end[i], item);
  }
  for (std::size_t i = 0; i < publish.size(); ++i) {
    h.topic = static_cast<std::uint16_t>(i % kTopics);
    brokerload::message::Encode(h, payload);
    target.OnAck(payload, publish[i]);
  }
  for (std::size_t i = 0; i < send_lag.size(); ++i) {
    target.OnSent(static_cast<std::uint16_t>(i % kTopics), i / kTopics, send_lag[i], 0);
  }

  brokerload::driver::Health health;
  brokerload::driver::Link link(health);
  link.SetUp();
  brokerload::metrics::Exporter exporter("truth", buckets);
  exporter.AddTarget({"truth", {"t-0", "t-1"}, &target, &health, nullptr});
  const auto now_ns = [] {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  exporter.Advance(now_ns());
  brokerload::app::HttpServer http("127.0.0.1:0", [&](const std::string&) {
    return brokerload::app::HttpResponse{
        200, "text/plain; version=0.0.4; charset=utf-8",
        prometheus::TextSerializer().Serialize(exporter.Collect())};
  });

  HistogramSnapshot e2e, pub;
  for (std::size_t i = 0; i < kTopics; ++i) {
    e2e.Merge(target.Latencies(i).end_to_end.Snapshot());
    pub.Merge(target.Latencies(i).publish.Snapshot());
  }
  std::printf("{\"port\": %u, \"exact\": {", http.Port());
  PrintQuantiles("end_to_end", e2e, false);
  PrintQuantiles("publish", pub, false);
  PrintQuantiles("send_lag", target.SendLag().Snapshot(), true);
  std::printf("}}\n");
  std::fflush(stdout);

  std::signal(SIGTERM, [](int) { stop = 1; });
  std::signal(SIGINT, [](int) { stop = 1; });
  while (stop == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    exporter.Advance(now_ns());
  }
  http.Stop();
  return 0;
}
