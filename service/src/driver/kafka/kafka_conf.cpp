#include "driver/kafka/kafka_conf.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <string_view>

#include "config/property_check.hpp"
#include "driver/kafka/broker_release.hpp"

namespace brokerload::driver::kafka {
namespace {

// The user's value of `name` in a pass-through map, if set.
const std::string* UserValue(const config::Properties& user, std::string_view name) {
  const auto it =
      std::find_if(user.begin(), user.end(), [&](const auto& kv) { return kv.first == name; });
  return it == user.end() ? nullptr : &it->second;
}

config::Properties ProducerDefaults(const config::KafkaTarget& target,
                                    std::chrono::milliseconds publish_timeout) {
  config::Properties settings = {
      {"linger.ms", "1"},
      // librdkafka's default (1,000,000) pipelines a tiny produce request per linger per
      // partition set; Kafka serves one request per connection at a time, so they queue in the
      // broker and publish latency climbs to a steady 100-600 ms at 10,000 msg/s over 15
      // partitions on this project's machine (2.6 ms with 5). 5 is the Java client's default
      // (max.in.flight.requests.per.connection), and what librdkafka allows with idempotence.
      {"max.in.flight", "5"},
      {"message.timeout.ms", std::to_string(publish_timeout.count())},
      {"queue.buffering.max.messages", "500000"},
      // What the producer sent, after compression (Producer::SentBytes): librdkafka's tx_bytes.
      {"statistics.interval.ms", "5000"},
  };
  // Idempotent by default, as Kafka's own clients are since 3.0: a retry after a leader change
  // or a rolling restart writes no second copy (a broker-side duplicate, which pages). It needs
  // acks=all: where the user's producer settings ask for fewer acks, it stays off unless they
  // ask for it too (and librdkafka then names the conflict).
  const std::string* acks = UserValue(target.producer, "acks");
  if (acks == nullptr) acks = UserValue(target.producer, "request.required.acks");  // its alias
  if (acks == nullptr || *acks == "all" || *acks == "-1") {
    settings.emplace_back("enable.idempotence", "true");
  }
  return settings;
}

config::Properties ConsumerDefaults(const config::KafkaTarget& target) {
  return {
      {"group.id", target.consumer_group},
      {"enable.auto.commit", "true"},
      // Where a partition's position is gone (its records deleted ahead of the consumer by
      // retention or DeleteRecords: out of range) or was never committed, resume at the first
      // record still stored: only what the broker no longer holds is missed (and counted lost).
      // "latest" skipped what was written in between too, which the broker still held. The
      // run's first assignment starts at the ends explicitly (StartAtEnds).
      {"auto.offset.reset", "earliest"},
      {"enable.partition.eof", "false"},
      // librdkafka 2.0.2 has known bugs in cooperative-sticky; stay with eager strategies.
      {"partition.assignment.strategy", "range,roundrobin"},
      {"fetch.wait.max.ms", "100"},
      {"session.timeout.ms", "10000"},
      {"heartbeat.interval.ms", "2000"},
  };
}

}  // namespace

config::Properties ClientSettings(const config::KafkaTarget& target, ClientKind kind,
                                  std::chrono::milliseconds publish_timeout) {
  const char* client_id = kind == ClientKind::kProducer   ? "brokerload-producer"
                          : kind == ClientKind::kConsumer ? "brokerload-consumer"
                                                          : "brokerload-cleanup";
  config::Properties settings = {{"bootstrap.servers", target.bootstrap_servers},
                                 {"client.id", client_id}};
  const auto append = [&settings](const config::Properties& more) {
    settings.insert(settings.end(), more.begin(), more.end());
  };
  if (kind == ClientKind::kProducer) append(ProducerDefaults(target, publish_timeout));
  if (kind == ClientKind::kConsumer) append(ConsumerDefaults(target));
  append(SecurityProperties(target.security));
  if (kind == ClientKind::kProducer) {
    append(target.producer);
    // Each connection's ApiVersions answer, which tells the broker's release (Describe), is shown
    // only by librdkafka's "feature" debug context: logged once per connection, before its first
    // request, never per message. It forces log_level to debug; the producer's log callback drops
    // those lines unless the user asked for librdkafka's debug log too (ForwardedLogLevel).
    const std::string* debug = UserValue(target.producer, "debug");
    settings.emplace_back("debug", WithFeatureDebug(debug != nullptr ? *debug : ""));
  }
  if (kind == ClientKind::kConsumer) append(target.consumer);
  return settings;
}

int ForwardedLogLevel(const config::Properties& producer) {
  // librdkafka's lines forwarded up to the user's log_level (6 by default), which a debug
  // context would otherwise raise to 7; 7 only with the user's own debug contexts.
  if (UserValue(producer, "debug") != nullptr) return 7;
  const std::string* log_level = UserValue(producer, "log_level");
  return log_level == nullptr ? 6 : std::clamp(std::atoi(log_level->c_str()), 0, 7);
}

bool BuildConf(const config::Properties& settings, ConfPtr& conf, std::string& error) {
  conf.reset(rd_kafka_conf_new());
  std::array<char, 512> text{};
  for (const auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), text.data(), text.size()) !=
        RD_KAFKA_CONF_OK) {
      // librdkafka's message quotes the value: not for a secret.
      error = "librdkafka property " + key + ": " +
              (config::IsSecretProperty(key) ? "invalid value (not shown: a secret)"
                                             : "'" + value + "': " + text.data());
      return false;
    }
  }
  return true;
}

config::Properties SecurityProperties(const config::KafkaSecurity& security) {
  using config::KafkaProtocol;
  const auto protocol = security.protocol;
  config::Properties p = {{"security.protocol", protocol == KafkaProtocol::kPlaintext ? "plaintext"
                                                : protocol == KafkaProtocol::kSsl     ? "ssl"
                                                : protocol == KafkaProtocol::kSaslPlaintext
                                                    ? "sasl_plaintext"
                                                    : "sasl_ssl"}};
  if (protocol == KafkaProtocol::kSsl || protocol == KafkaProtocol::kSaslSsl) {
    const config::TlsSettings& tls = security.tls;
    if (!tls.ca_file.empty()) p.emplace_back("ssl.ca.location", tls.ca_file);
    if (!tls.cert_file.empty()) p.emplace_back("ssl.certificate.location", tls.cert_file);
    if (!tls.key_file.empty()) p.emplace_back("ssl.key.location", tls.key_file);
    if (!tls.key_password.Empty()) p.emplace_back("ssl.key.password", tls.key_password.Reveal());
    p.emplace_back("ssl.endpoint.identification.algorithm", tls.verify_hostname ? "https" : "none");
  }
  if (protocol == KafkaProtocol::kSaslPlaintext || protocol == KafkaProtocol::kSaslSsl) {
    using config::SaslMechanism;
    p.emplace_back("sasl.mechanisms", security.mechanism == SaslMechanism::kPlain ? "PLAIN"
                                      : security.mechanism == SaslMechanism::kScramSha256
                                          ? "SCRAM-SHA-256"
                                          : "SCRAM-SHA-512");
    p.emplace_back("sasl.username", security.username);
    p.emplace_back("sasl.password", security.password.Reveal());
  }
  return p;
}

std::string ConfValue(const rd_kafka_conf_t* conf, const char* name) {
  std::array<char, 256> value{};
  std::size_t size = value.size();
  if (rd_kafka_conf_get(conf, name, value.data(), &size) != RD_KAFKA_CONF_OK) return "";
  return value.data();
}

void SetCertificateCallback(rd_kafka_conf_t* conf,
                            int (*callback)(rd_kafka_t*, const char*, int32_t, int*, int,
                                            const char*, size_t, char*, size_t, void*)) {
  const std::string protocol = ConfValue(conf, "security.protocol");
  if ((protocol == "ssl" || protocol == "sasl_ssl") &&
      ConfValue(conf, "enable.ssl.certificate.verification") != "false") {
    rd_kafka_conf_set_ssl_cert_verify_cb(conf, callback);
  }
}

}  // namespace brokerload::driver::kafka
