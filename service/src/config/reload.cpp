#include "config/reload.hpp"

#include <tuple>
#include <utility>

namespace brokerload::config {
namespace {

// Compares one field of two copies and then clears it in both, so that whatever is left unequal
// at the end is a field nobody classified (the safety net in Diff).
class Differ {
 public:
  explicit Differ(ConfigDiff& diff) : diff_(diff) {}

  template <typename T>
  void Fixed(T& running, T& next, std::string key) {
    Compare(running, next, std::move(key), diff_.fixed);
  }
  template <typename T>
  void Reloadable(T& running, T& next, std::string key) {
    Compare(running, next, std::move(key), diff_.reloadable);
  }

  // A property map (librdkafka properties, topic configs): one key per property that was added,
  // removed or changed; the order of the map does not matter.
  void FixedProperties(Properties& running, Properties& next, const std::string& key) {
    auto find = [](const Properties& in, const std::string& name) -> const std::string* {
      for (const auto& [n, value] : in) {
        if (n == name) return &value;
      }
      return nullptr;
    };
    for (const auto& [name, value] : running) {
      const std::string* other = find(next, name);
      if (other == nullptr || *other != value) diff_.fixed.push_back(key + "." + name);
    }
    for (const auto& [name, value] : next) {
      if (find(running, name) == nullptr) diff_.fixed.push_back(key + "." + name);
    }
    running.clear();
    next.clear();
  }

  void FixedTls(TlsSettings& running, TlsSettings& next, const std::string& key) {
    Fixed(running.ca_file, next.ca_file, key + ".ca_file");
    Fixed(running.cert_file, next.cert_file, key + ".cert_file");
    Fixed(running.key_file, next.key_file, key + ".key_file");
    Fixed(running.key_password, next.key_password, key + ".key_password");
    Fixed(running.verify_hostname, next.verify_hostname, key + ".verify_hostname");
  }

  // An optional section: its key when it was added or removed, else each field.
  template <typename T, typename Fields>
  void FixedOptional(std::optional<T>& running, std::optional<T>& next, const std::string& key,
                     Fields fields) {
    if (running.has_value() != next.has_value()) {
      diff_.fixed.push_back(key);
      running.reset();
      next.reset();
    } else if (running) {
      fields(*running, *next);
    }
  }

 private:
  template <typename T>
  static void Compare(T& running, T& next, std::string key, std::vector<std::string>& out) {
    if (!(running == next)) out.push_back(std::move(key));
    running = T{};
    next = T{};
  }

  ConfigDiff& diff_;
};

void DiffKafka(Differ& d, KafkaTarget& a, KafkaTarget& b) {
  const std::string k = "targets.kafka";
  d.Fixed(a.bootstrap_servers, b.bootstrap_servers, k + ".bootstrap_servers");
  d.Fixed(a.consumer_group, b.consumer_group, k + ".consumer_group");
  d.FixedProperties(a.producer, b.producer, k + ".producer");
  d.FixedProperties(a.consumer, b.consumer, k + ".consumer");
  d.Fixed(a.security.protocol, b.security.protocol, k + ".security.protocol");
  d.FixedTls(a.security.tls, b.security.tls, k + ".security.tls");
  d.Fixed(a.security.mechanism, b.security.mechanism, k + ".security.sasl.mechanism");
  d.Fixed(a.security.username, b.security.username, k + ".security.sasl.username");
  d.Fixed(a.security.password, b.security.password, k + ".security.sasl.password");
  d.Fixed(a.topic.partitions, b.topic.partitions, k + ".topic.partitions");
  d.Fixed(a.topic.replication_factor, b.topic.replication_factor, k + ".topic.replication_factor");
  d.Fixed(a.topic.create, b.topic.create, k + ".topic.create");
  d.FixedProperties(a.topic.config, b.topic.config, k + ".topic.config");
}

void DiffNats(Differ& d, NatsTarget& a, NatsTarget& b) {
  const std::string k = "targets.nats";
  d.Fixed(a.servers, b.servers, k + ".servers");
  d.Fixed(a.stream.storage, b.stream.storage, k + ".stream.storage");
  d.Fixed(a.stream.replicas, b.stream.replicas, k + ".stream.replicas");
  d.Fixed(a.stream.max_bytes, b.stream.max_bytes, k + ".stream.max_bytes");
  d.Fixed(a.stream.max_age, b.stream.max_age, k + ".stream.max_age");
  d.Fixed(a.stream.discard, b.stream.discard, k + ".stream.discard");
  d.Fixed(a.stream.create, b.stream.create, k + ".stream.create");
  d.Fixed(a.stream.compress_s2, b.stream.compress_s2, k + ".stream.compression");
  d.Fixed(a.ack_policy, b.ack_policy, k + ".ack_policy");
  d.Fixed(a.max_ack_pending, b.max_ack_pending, k + ".max_ack_pending");
  d.Fixed(a.max_pending, b.max_pending, k + ".max_pending");
  d.Fixed(a.send_asap, b.send_asap, k + ".send_asap");
  d.FixedOptional(a.tls, b.tls, k + ".tls",
                  [&](TlsSettings& x, TlsSettings& y) { d.FixedTls(x, y, k + ".tls"); });
  d.Fixed(a.user, b.user, k + ".user");
  d.Fixed(a.password, b.password, k + ".password");
  d.Fixed(a.token, b.token, k + ".token");
  d.Fixed(a.nkey_seed_file, b.nkey_seed_file, k + ".nkey_seed_file");
  d.Fixed(a.credentials_file, b.credentials_file, k + ".credentials_file");
}

void DiffWorkload(Differ& d, Workload& a, Workload& b) {
  d.Fixed(a.topics, b.topics, "workload.topics");
  d.Fixed(a.topics_per_replica, b.topics_per_replica, "workload.topics_per_replica");
  d.Fixed(a.publishers, b.publishers, "workload.publishers");
  d.Fixed(a.topic_prefix, b.topic_prefix, "workload.topic_prefix");
  // Samples set the sizes: a change of samples is a change of payload only.
  if (a.payload == PayloadKind::kSamples || b.payload == PayloadKind::kSamples) {
    a.min_size = b.min_size;
    a.max_size = b.max_size;
  }
  // One key for the whole size, as the file writes it (`256`, `{min, max}` or a distribution).
  std::tuple size_a{a.min_size, a.max_size, a.size_distribution,
                    a.size_p50, a.size_p99, a.size_table};
  std::tuple size_b{b.min_size, b.max_size, b.size_distribution,
                    b.size_p50, b.size_p99, b.size_table};
  d.Reloadable(size_a, size_b, "workload.message_size");
  a.min_size = b.min_size = a.max_size = b.max_size = a.size_p50 = b.size_p50 = a.size_p99 =
      b.size_p99 = 0;
  a.size_distribution = b.size_distribution = SizeDistribution::kUniform;
  a.size_table.clear();
  b.size_table.clear();
  std::pair payload_a{a.payload, a.samples};
  std::pair payload_b{b.payload, b.samples};
  d.Reloadable(payload_a, payload_b, "workload.payload");
  a.payload = b.payload = PayloadKind::kRandom;
  a.samples = b.samples = PayloadSamples{};
  d.Fixed(a.brokerload_header, b.brokerload_header, "workload.brokerload_header");
  d.Fixed(a.extra_headers, b.extra_headers, "workload.headers.count");
  d.Fixed(a.extra_header_size, b.extra_header_size, "workload.headers.size");
  d.Fixed(a.keys, b.keys, "workload.keys");
  d.Fixed(a.key_skew, b.key_skew, "workload.key_skew");
  d.Fixed(a.workers, b.workers, "workload.workers");
  d.Fixed(a.worker_queue, b.worker_queue, "workload.worker_queue");
  d.Reloadable(a.work, b.work, "workload.work.mode");
  d.Reloadable(a.work_time, b.work_time, "workload.work.time");
}

void DiffMetrics(Differ& d, Metrics& a, Metrics& b) {
  d.Fixed(a.listen, b.listen, "metrics.listen");
  d.Fixed(a.path, b.path, "metrics.path");
  d.FixedOptional(a.tls, b.tls, "metrics.tls", [&](MetricsTls& x, MetricsTls& y) {
    d.Fixed(x.cert_file, y.cert_file, "metrics.tls.cert_file");
    d.Fixed(x.key_file, y.key_file, "metrics.tls.key_file");
  });
  d.FixedOptional(a.basic_auth, b.basic_auth, "metrics.basic_auth",
                  [&](BasicAuth& x, BasicAuth& y) {
                    d.Fixed(x.username, y.username, "metrics.basic_auth.username");
                    d.Fixed(x.password, y.password, "metrics.basic_auth.password");
                  });
  d.Fixed(a.latency_buckets, b.latency_buckets, "metrics.latency_buckets");
}

void DiffRun(Differ& d, Run& a, Run& b) {
  d.Reloadable(a.loss_grace, b.loss_grace, "run.loss_grace");
  d.Reloadable(a.drain_timeout, b.drain_timeout, "run.drain_timeout");
  d.Reloadable(a.max_send_lag, b.max_send_lag, "run.max_send_lag");
  d.Fixed(a.publish_timeout, b.publish_timeout, "run.publish_timeout");
  d.Fixed(a.tick, b.tick, "run.tick");
  d.Fixed(a.role, b.role, "run.role");  // which clients and accounting exist
  d.Fixed(a.realtime_priority, b.realtime_priority,
          "run.realtime_priority");  // set at thread start
  d.Reloadable(a.min_wake, b.min_wake, "run.min_wake");
  d.Fixed(a.spin, b.spin, "run.spin");                                   // set at thread start
  d.Fixed(a.cpu_dma_latency, b.cpu_dma_latency, "run.cpu_dma_latency");  // held from the start
  d.Reloadable(a.startup_timeout, b.startup_timeout, "run.startup_timeout");
  d.Reloadable(a.warmup, b.warmup, "run.warmup");
}

}  // namespace

ConfigDiff Diff(const Config& running, const Config& next) {
  ConfigDiff diff;
  Differ d(diff);
  Config a = running;
  Config b = next;
  d.FixedOptional(a.kafka, b.kafka, "targets.kafka",
                  [&](KafkaTarget& x, KafkaTarget& y) { DiffKafka(d, x, y); });
  d.FixedOptional(a.nats, b.nats, "targets.nats",
                  [&](NatsTarget& x, NatsTarget& y) { DiffNats(d, x, y); });
  DiffWorkload(d, a.workload, b.workload);
  d.Reloadable(a.profile, b.profile, "profile");
  DiffMetrics(d, a.metrics, b.metrics);
  DiffRun(d, a.run, b.run);
  d.Reloadable(a.log.level, b.log.level, "log.level");

  // The safety net: every field above was compared and cleared in both copies, so whatever still
  // differs is a field added to config.hpp and not classified here. It counts as fixed.
  const std::size_t named = diff.fixed.size();
  if (!(a.kafka == b.kafka)) diff.fixed.emplace_back("targets.kafka");
  if (!(a.nats == b.nats)) diff.fixed.emplace_back("targets.nats");
  if (!(a.workload == b.workload)) diff.fixed.emplace_back("workload");
  if (!(a.profile == b.profile)) diff.fixed.emplace_back("profile");
  if (!(a.metrics == b.metrics)) diff.fixed.emplace_back("metrics");
  if (!(a.run == b.run)) diff.fixed.emplace_back("run");
  if (!(a.log == b.log)) diff.fixed.emplace_back("log");
  if (diff.fixed.size() == named && !(a == b)) diff.fixed.emplace_back("config");
  return diff;
}

std::string_view ReloadResultName(ReloadResult result) {
  switch (result) {
    case ReloadResult::kApplied:
      return "applied";
    case ReloadResult::kUnchanged:
      return "unchanged";
    case ReloadResult::kRefused:
      return "refused";
    case ReloadResult::kInvalid:
      return "invalid";
  }
  return "invalid";
}

}  // namespace brokerload::config
