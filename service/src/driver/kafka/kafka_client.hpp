#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/loader.hpp"
#include "driver/driver.hpp"
#include "driver/kafka/broker_release.hpp"

// librdkafka ownership and the few helpers the Kafka producer and consumer share.
namespace brokerload::driver::kafka {

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
struct TopicDeleter {
  void operator()(rd_kafka_topic_t* rkt) const { rd_kafka_topic_destroy(rkt); }
};
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* queue) const { rd_kafka_queue_destroy(queue); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* event) const { rd_kafka_event_destroy(event); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using KafkaPtr = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using TopicPtr = std::unique_ptr<rd_kafka_topic_t, TopicDeleter>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

// The librdkafka this process runs with, as it reports itself.
std::string LibraryVersion();

// The one mapping from librdkafka's errors to the engine's Status.
Status MapError(rd_kafka_resp_err_t err);

// A conf with `settings` applied in order (later ones win); false with `error` naming the bad
// property (never a secret's value).
bool BuildConf(const config::Properties& settings, ConfPtr& conf, std::string& error);

// The librdkafka properties of targets.kafka.security (secrets included: for BuildConf only),
// applied after brokerload's defaults and before the producer/consumer pass-through maps.
config::Properties SecurityProperties(const config::KafkaSecurity& security);

// The first error of a client that retrying cannot fix (the broker refused the credentials, the
// certificate did not verify, TLS spoken to a plaintext port or the reverse), and the latest of
// the others (a name that does not resolve, a refused connection) for the message when setup gives
// up. Recorded by the client's error callback on a librdkafka thread, read by setup on another.
class FatalError {
 public:
  // Keeps `message` when it is the first; true when it was.
  bool Record(const std::string& message);
  std::string Get() const;  // "" while none
  void NoteRetryable(const std::string& message);
  std::string LastRetryable() const;  // "" while none
  // OpenSSL's verdict on the broker's certificate ("certificate has expired"), which librdkafka
  // 2.0.2's own message leaves out; set by VerifyCertificate.
  void NoteCertificate(const std::string& verdict);
  std::string Certificate() const;  // "" while none

 private:
  mutable std::mutex mutex_;
  std::string message_;
  std::string last_retryable_;
  std::string certificate_;
};

// For a client's ssl.certificate.verify_cb: accepts exactly what OpenSSL accepted
// (`*x509_error` 0) and otherwise records OpenSSL's verdict in `fatal` (and `errstr`), so that the
// start's error says why ("certificate verify failed: certificate has expired: …"). Returns
// librdkafka's 1 (accept) or 0.
int VerifyCertificate(const int* x509_error, char* errstr, std::size_t errstr_size,
                      FatalError& fatal);

// Installs `callback` as the conf's certificate verify callback when the client speaks TLS and
// verifies certificates (the conf's settings say so); otherwise leaves the conf alone.
void SetCertificateCallback(rd_kafka_conf_t* conf,
                            int (*callback)(rd_kafka_t*, const char*, int32_t, int*, int,
                                            const char*, size_t, char*, size_t, void*));

// Asks for metadata once, waiting up to `timeout`: NO_ERROR when a broker answered. Polls
// nothing, so no callback runs on the caller's thread (housekeeping may ask: an idle client's way
// back to "up").
rd_kafka_resp_err_t AskMetadata(rd_kafka_t* rk, std::chrono::milliseconds timeout);

// Waits until a broker answers (the connection, TLS and SASL are through), serving the client's
// callbacks meanwhile; false with `error` at once when `fatal` is recorded, or after `timeout`
// naming the client's last error (librdkafka's words: the host and the cause).
bool WaitForBroker(rd_kafka_t* rk, const FatalError& fatal, std::chrono::milliseconds timeout,
                   std::string& error);

// Creates the client; the conf passes to librdkafka only on success.
KafkaPtr NewClient(rd_kafka_type_t type, ConfPtr conf, std::string& error);

// What a client's error callback does: feeds `health`, records errors that retrying cannot fix in
// `fatal` (and health.refused), and logs once per change of connection state rather than at
// every retry.
void ReportClientError(int err, const char* reason, Health& health, Link& link, FatalError& fatal);

// Creates the topics that do not exist yet; false with `error` when the broker refuses. A refusal
// by the authorizer (no Create ACL) is also recorded in `fatal` as "not authorized: …": waiting
// cannot fix it.
bool CreateTopics(rd_kafka_t* rk, const std::vector<std::string>& topics,
                  const config::KafkaTopicSettings& settings, std::chrono::milliseconds timeout,
                  FatalError& fatal, std::string& error);

// Waits until the client has metadata for `topic` in which every partition has a leader; sets
// `partitions`. False with `error` after `timeout`, or at once when the authorizer refuses the
// topic's metadata (no Describe ACL), which is then recorded in `fatal` as "not authorized: …".
bool WaitForLeaders(rd_kafka_t* rk, rd_kafka_topic_t* topic, std::chrono::milliseconds timeout,
                    FatalError& fatal, std::size_t& partitions, std::string& error);

// A client's log_cb's way into brokerload's log, with librdkafka's facility: syslog levels 0-3 as
// errors, 4 as warnings, 5-7 as info (the caller decides which levels to forward). Runs on
// librdkafka's threads.
void ForwardClientLog(int level, const char* facility, const char* line);

// The producer's description for reports: librdkafka's version, the effective producer settings
// that decide the outcome, and the brokers' release (Kafka does not report it to clients): inferred
// from `api_versions`, the ApiVersions answers the producer's connections recorded
// (DescribeBrokerVersion); where they name none, inter.broker.protocol.version read by
// DescribeConfigs (3.x has it), bounded by `timeout`.
Description DescribeProducer(rd_kafka_t* rk, const config::KafkaTarget& target,
                             std::vector<BrokerApis> api_versions,
                             std::chrono::milliseconds timeout);

}  // namespace brokerload::driver::kafka
