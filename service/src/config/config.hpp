#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "log/log.hpp"
#include "message/samples.hpp"

// brokerload's configuration, as read from YAML by loader.hpp. Every field has the default that
// config/brokerload.yaml documents; docs/configuration.md is the reference.
namespace brokerload::config {

using Duration = std::chrono::nanoseconds;
using Properties = std::vector<std::pair<std::string, std::string>>;

enum class Storage { kMemory, kFile };
enum class Discard { kOld, kNew };
enum class AckPolicy { kNone, kAll, kExplicit };
enum class PayloadKind { kRandom, kCompressible, kSamples };
// workload.brokerload_header: where each message carries brokerload's header.
enum class HeaderPlace { kPayload, kMessageHeader };
// workload.payload: {samples: PATH, order: ...}: the sample payloads, loaded (and checked) with
// the config. Equal when the path, the order and the samples' bytes are.
struct PayloadSamples {
  std::string path;
  bool random_order = false;  // order: random (each message's sample drawn); else in turn
  std::shared_ptr<const message::Samples> data;

  bool operator==(const PayloadSamples& other) const {
    return path == other.path && random_order == other.random_order &&
           (data == other.data || (data && other.data && data->Digest() == other.data->Digest()));
  }
};
// How each message's size is drawn between workload.min_size and max_size.
enum class SizeDistribution { kUniform, kLogNormal, kTable };
struct SizeWeight {
  int size = 0;  // bytes, header included
  double weight = 0;

  bool operator==(const SizeWeight&) const = default;
};
enum class WorkMode { kNone, kSpin, kSleep };
// What an instance does (docs/scaling.md): publish and consume its own messages; only publish;
// or only consume, accounting for every producer's messages by their headers.
enum class Role { kFull, kProduceOnly, kConsumeOnly };

// A secret (password, token, key password) as resolved at load time from the YAML, from the
// environment (`${env:NAME}`) or from a file (`<key>_file`). It has no operator<< and no
// conversion to string: the drivers call Reveal() where a client library takes it, and nothing
// else may print it.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  const std::string& Reveal() const { return value_; }
  bool Empty() const { return value_.empty(); }
  // Compares the values without showing them (config::Diff names a changed secret's key only).
  bool operator==(const Secret&) const = default;

 private:
  std::string value_;
};

// TLS to a broker: PEM files. An empty ca_file trusts the system's CAs; cert_file with key_file
// is the client certificate for mutual TLS.
struct TlsSettings {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  Secret key_password;  // of an encrypted key_file (Kafka only: cnats takes unencrypted keys)
  bool verify_hostname = true;

  bool operator==(const TlsSettings&) const = default;
};

enum class KafkaProtocol { kPlaintext, kSsl, kSaslPlaintext, kSaslSsl };
enum class SaslMechanism { kPlain, kScramSha256, kScramSha512 };

// targets.kafka.security: applied to the producer, the consumer and topic creation alike.
struct KafkaSecurity {
  KafkaProtocol protocol = KafkaProtocol::kPlaintext;
  TlsSettings tls;                                        // used with ssl and sasl_ssl
  SaslMechanism mechanism = SaslMechanism::kScramSha512;  // used with sasl_*
  std::string username;
  Secret password;

  bool operator==(const KafkaSecurity&) const = default;
};

// targets.kafka.topic.partitions: a count, or `per_broker`.
struct PartitionCount {
  int count = 3;            // used unless per_broker
  bool per_broker = false;  // as many as the cluster's metadata lists brokers at start (at least 1)

  bool operator==(const PartitionCount&) const = default;
};

struct KafkaTopicSettings {
  PartitionCount partitions;  // of each topic brokerload creates (an existing topic keeps its own)
  int replication_factor = -1;  // -1: the cluster's default.replication.factor
  bool create = true;           // off for managed clusters that refuse topic creation
  // Topic configs set at creation, the user's merged over these. A load generator fills disks
  // fast: keep an hour by default.
  Properties config = {{"retention.ms", "3600000"}};

  bool operator==(const KafkaTopicSettings&) const = default;
};

struct KafkaTarget {
  std::string bootstrap_servers = "127.0.0.1:9092";
  std::string consumer_group = "brokerload";
  Properties producer;  // passed through to librdkafka, after brokerload's defaults
  Properties consumer;
  KafkaTopicSettings topic;
  KafkaSecurity security;

  bool operator==(const KafkaTarget&) const = default;
};

struct NatsStreamSettings {
  Storage storage = Storage::kMemory;
  int replicas = 1;
  // Memory streams live in the server's RAM: bounded by default (256 MiB and 1 h per stream).
  std::int64_t max_bytes = 256ll << 20;      // -1: unlimited
  Duration max_age = std::chrono::hours(1);  // 0: unlimited
  Discard discard = Discard::kOld;
  bool create = true;
  // The server compresses the stream's file blocks with S2 (nats-server 2.10 and later; file
  // storage only): stream.compression: s2.
  bool compress_s2 = false;

  bool operator==(const NatsStreamSettings&) const = default;
};

struct NatsTarget {
  std::vector<std::string> servers = {"nats://127.0.0.1:4222"};
  NatsStreamSettings stream;
  AckPolicy ack_policy = AckPolicy::kNone;
  // With acks: messages the server delivers before it waits for their acks (JetStream's
  // MaxAckPending; its own default is 1,000). A small value throttles delivery to what
  // brokerload acknowledges; the rest waits in the stream.
  int max_ack_pending = 100'000;
  int max_pending = 16384;  // async publishes awaiting an ack; past it, sends count as late
  // Authentication: at most one of user+password, token, nkey_seed_file and credentials_file.
  std::optional<TlsSettings> tls;  // set: TLS to every server
  std::string user;
  Secret password;
  Secret token;
  std::string nkey_seed_file;    // a user NKey seed (SU...); the public key is derived from it
  std::string credentials_file;  // JWT and NKey seed, as `nats --creds`
  // true: one write per publish, ~1 ms less latency at low rates, but a syscall per message that
  // stalls the publisher at high rates; false: cnats' flusher batches writes (adds up to ~1 ms).
  bool send_asap = false;

  bool operator==(const NatsTarget&) const = default;
};

inline constexpr int kMaxExtraHeaders = 64;  // workload.headers.count

struct Workload {
  int topics = 5;
  std::string topic_prefix = "brokerload";
  // true: topics are <topic_prefix>-p<producer id>-<n>, so that each replica (its own
  // BROKERLOAD_PRODUCER_ID) writes and reads only its own; false: <topic_prefix>-<n>, shared.
  bool topics_per_replica = false;
  // Producer connections (each with its own publisher thread) and consumer connections per
  // target; a multiple of it must be `topics`: lane k publishes and consumes topics t % N == k.
  int publishers = 1;
  // Each message's size, header included: min_size when max_size equals it; else drawn for each
  // message by size_distribution (pacing::SizeChooser): uniform from min_size to max_size; log-
  // normal with median size_p50 and 99th percentile size_p99, cut to [min_size, max_size]; or
  // one of size_table's sizes with a probability proportional to its weight (min_size and
  // max_size are then its smallest and largest).
  int min_size = 256;
  int max_size = 256;
  SizeDistribution size_distribution = SizeDistribution::kUniform;
  int size_p50 = 0;
  int size_p99 = 0;
  std::vector<SizeWeight> size_table;
  PayloadKind payload = PayloadKind::kRandom;
  PayloadSamples samples;  // with PayloadKind::kSamples
  // kPayload: the header is the payload's first 56 bytes; kMessageHeader: it travels in a Kafka
  // record header or NATS message header named "brokerload" (message/message_headers.hpp) and the
  // payload is the rest (its sample as it is). Sizes count the header either way.
  HeaderPlace brokerload_header = HeaderPlace::kPayload;
  // workload.headers: extra headers on every message, `extra_headers` of them (at most
  // kMaxExtraHeaders), each value `extra_header_size` characters (message::ExtraHeaders); not
  // part of message sizes.
  int extra_headers = 0;
  int extra_header_size = 32;
  int keys = 0;  // 0: no key; N: N aggregate keys, each consumed in order
  // 0: the keys in turn (message n of a topic gets key n % keys); s > 0: each message's key drawn
  // at random with the Zipf law, key k (from 0) with a probability proportional to 1/(k+1)^s.
  double key_skew = 0;
  int workers = 0;          // 0: accounting on the consumer's thread; N: a pool (for `work`)
  int worker_queue = 1024;  // per worker, messages
  WorkMode work = WorkMode::kNone;
  Duration work_time{0};

  bool operator==(const Workload&) const = default;
};

struct Stage {
  std::string name;
  double rate = 0;                   // messages per second, all topics together
  std::optional<Duration> duration;  // exactly one of duration and messages
  std::optional<std::uint64_t> messages;

  bool operator==(const Stage&) const = default;
};

struct Profile {
  std::vector<Stage> stages;
  bool repeat = false;
  // `rate: max`: unpaced, closed loop. Set, the publisher sends as fast as the broker takes
  // messages, with at most this many sent and not yet acknowledged or failed; `stages` then
  // holds one unbounded stage "max" whose rate is only nominal. Latencies are not corrected for
  // coordinated omission (each message's intended time is its send time).
  std::optional<std::uint64_t> max_in_flight = std::nullopt;
  // Paced only. Above zero, the messages each stage has due within every interval of this length
  // from its start are all due at the interval's start: one wake of the publisher (and one burst
  // through the client and the broker) per interval instead of per message. 0: each at its own
  // time.
  Duration burst_interval{0};
  // `burst_interval: auto`: each stage's interval from its rate instead
  // (pacing::AutoBurstIntervalNs); burst_interval is then 0.
  bool burst_auto = false;

  bool operator==(const Profile&) const = default;
};

// The metrics endpoint's protection, in the style of Prometheus' exporter web config. Off by
// default; /healthz and /readyz never ask for credentials (Kubernetes probes send none).
struct MetricsTls {
  std::string cert_file;  // PEM, the server certificate (with its chain)
  std::string key_file;   // PEM, unencrypted

  bool operator==(const MetricsTls&) const = default;
};
struct BasicAuth {
  std::string username;
  Secret password;

  bool operator==(const BasicAuth&) const = default;
};

struct Metrics {
  std::string listen = "0.0.0.0:9464";
  std::string path = "/metrics";
  std::optional<MetricsTls> tls;
  std::optional<BasicAuth> basic_auth;
  std::vector<double> latency_buckets;  // seconds; filled with the default ladder when empty

  bool operator==(const Metrics&) const = default;
};

struct Run {
  Role role = Role::kFull;
  Duration loss_grace = std::chrono::seconds(30);  // a sequence gap open this long is a loss
  Duration drain_timeout = std::chrono::seconds(15);
  Duration max_send_lag = std::chrono::seconds(1);  // further behind, due sends are dropped
  Duration publish_timeout = std::chrono::seconds(10);
  Duration tick = std::chrono::milliseconds(1);
  // The publisher wakes at each message's due time, but not sooner than this after its last
  // wake: above 1 / min_wake msg/s (4,000 by default) it sends what is due in batches, so send
  // lag is up to min_wake there. 0 wakes for every message: a thread wake per message (what that
  // costs: docs/benchmarks.md, "Send precision").
  Duration min_wake = std::chrono::microseconds(250);
  // SCHED_FIFO priority (1-99) of the publisher threads while they keep their schedule, so that a
  // due send does not wait for a core; 0: normal scheduling. Needs CAP_SYS_NICE; without it the
  // publishers say so once (log, metric) and run at normal priority (pacing/publisher.hpp).
  int realtime_priority = 10;
  // true: the publisher ends each sleep before a send early (by the recent upper quartile of its
  // wake-up latency, at most 100 us) and spins the rest: send lag of microseconds, for that spin's
  // CPU on every wake. false: it sleeps to the due time; send lag is the kernel's wake-up latency
  // (figures of both: docs/configuration.md, `run.spin`).
  bool spin = false;
  // Set: held as the process's PM QoS CPU latency request (/dev/cpu_dma_latency) while it
  // publishes (from the start of publishing; never in consume-only),
  // which keeps the machine's cores out of idle states slower to leave than this (0: any), so
  // that wakes are prompter, for every process on the machine. Needs write access to the device
  // (root, or a device mount); refused, brokerload logs a warning and runs without it.
  std::optional<Duration> cpu_dma_latency;
  Duration startup_timeout = std::chrono::seconds(60);  // connecting and creating topics
  // After readiness, sent at the first stage's rate and kept out of every latency figure (and
  // out of every compare figure): long enough for a freshly started local broker to settle.
  Duration warmup = std::chrono::seconds(15);

  bool operator==(const Run&) const = default;
};

struct Log {
  log::Level level = log::Level::kInfo;  // `--log-level` overrides it (docs/configuration.md)

  bool operator==(const Log&) const = default;
};

struct Config {
  std::optional<KafkaTarget> kafka;
  std::optional<NatsTarget> nats;
  Workload workload;
  Profile profile;
  Metrics metrics;
  Run run;
  Log log;

  bool operator==(const Config&) const = default;
};

// Default histogram boundaries, in seconds: a geometric ladder 50 µs × 2^(k/8), k = 0..141, each
// rounded to four significant digits (142 bounds, 50 µs to 10.11 s). The rule behind it:
// histogram_quantile interpolates linearly inside a bucket, so in a bucket whose bounds differ by
// the ratio r it can be off by up to (r − 1) of the true value; r = 2^(1/8) ≤ 1.1 keeps every
// quantile between 50 µs and 10 s within 10 % of the exact one.
std::vector<double> DefaultLatencyBuckets();

// The seed report's four levels (Low 1,000 · Medium 4,000 · High 6,000 · Extreme 10,000
// messages), each at `rate` messages per second. With `min_duration`, each level is its size
// repeated as often as it takes to last at least that long (whole repetitions), so that every
// level is measured long enough while keeping the seed's level sizes.
Profile SeedProfile(double rate, Duration min_duration = Duration::zero());

}  // namespace brokerload::config
