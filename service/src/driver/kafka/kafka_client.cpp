#include "driver/kafka/kafka_client.hpp"

#include <openssl/x509.h>

#include <array>
#include <cstdio>
#include <thread>

#include "log/log.hpp"

namespace brokerload::driver::kafka {

std::string LibraryVersion() { return rd_kafka_version_str(); }

namespace {

struct ResourceDeleter {
  void operator()(rd_kafka_ConfigResource_t* r) const { rd_kafka_ConfigResource_destroy(r); }
};

// The effective value of a client property ("" when unset).
std::string ConfValue(const rd_kafka_conf_t* conf, const char* name) {
  std::array<char, 256> value{};
  std::size_t size = value.size();
  if (rd_kafka_conf_get(conf, name, value.data(), &size) != RD_KAFKA_CONF_OK) return "";
  return value.data();
}

// inter.broker.protocol.version of one broker (`value`), or why there is none (`gap`).
struct ProtocolVersion {
  std::string value;
  std::string gap;
};

ProtocolVersion BrokerProtocolVersion(rd_kafka_t* rk, std::chrono::milliseconds timeout) {
  const std::string within = " within " + std::to_string(timeout.count()) + " ms";
  const rd_kafka_metadata_t* metadata = nullptr;
  if (const rd_kafka_resp_err_t err =
          rd_kafka_metadata(rk, 0, nullptr, &metadata, static_cast<int>(timeout.count()));
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return {"", std::string("no broker list: ") + rd_kafka_err2str(err)};
  }
  const std::string broker_id =
      metadata->broker_cnt > 0 ? std::to_string(metadata->brokers[0].id) : "";
  rd_kafka_metadata_destroy(metadata);
  if (broker_id.empty()) return {"", "the metadata lists no broker"};
  std::unique_ptr<rd_kafka_ConfigResource_t, ResourceDeleter> resource(
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_BROKER, broker_id.c_str()));
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(rk));
  rd_kafka_ConfigResource_t* resources[] = {resource.get()};
  rd_kafka_DescribeConfigs(rk, resources, 1, nullptr, queue.get());
  std::unique_ptr<rd_kafka_event_t, EventDeleter> event(
      rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count())));
  if (!event) return {"", "no DescribeConfigs answer" + within};
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return {"", std::string("DescribeConfigs failed: ") + rd_kafka_event_error_string(event.get())};
  }
  const rd_kafka_DescribeConfigs_result_t* result =
      rd_kafka_event_DescribeConfigs_result(event.get());
  std::size_t count = 0;
  const rd_kafka_ConfigResource_t** described =
      rd_kafka_DescribeConfigs_result_resources(result, &count);
  for (std::size_t i = 0; i < count; ++i) {
    if (const rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(described[i]);
        err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* text = rd_kafka_ConfigResource_error_string(described[i]);
      return {"", std::string("DescribeConfigs failed: ") +
                      (text != nullptr ? text : rd_kafka_err2str(err))};
    }
    std::size_t entries = 0;
    const rd_kafka_ConfigEntry_t** configs =
        rd_kafka_ConfigResource_configs(described[i], &entries);
    for (std::size_t j = 0; j < entries; ++j) {
      const char* value = rd_kafka_ConfigEntry_value(configs[j]);
      if (std::string(rd_kafka_ConfigEntry_name(configs[j])) == "inter.broker.protocol.version" &&
          value != nullptr) {
        return {value, ""};
      }
    }
  }
  return {"", "broker " + broker_id + " has no such config (Kafka 4.0 removed it)"};
}

bool IsAuthorization(rd_kafka_resp_err_t code) {
  return code == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
         code == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED ||
         code == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED;
}

// What retrying cannot fix, in words naming the cause; "" for anything else. librdkafka names the
// cause in `reason` (never a secret: it holds broker addresses and OpenSSL's verdict).
std::string Unfixable(rd_kafka_resp_err_t code, const std::string& reason,
                      const std::string& certificate) {
  if (code == RD_KAFKA_RESP_ERR__AUTHENTICATION) {
    // librdkafka before 2.6.1 computes a SCRAM proof that Kafka 4.x rejects (it repeats the
    // client nonce; confluentinc/librdkafka#4895): right password, "invalid credentials".
    const bool old_scram = reason.find("SCRAM") != std::string::npos &&
                           reason.find("invalid credentials") != std::string::npos &&
                           rd_kafka_version() < 0x020601ff;
    return "authentication failed: " + reason +
           (old_scram ? std::string(" (if the broker runs Kafka 4.x: librdkafka ") +
                            rd_kafka_version_str() +
                            " cannot do SCRAM with it, 2.6.1 can; see docs/security.md)"
                      : "");
  }
  if (code == RD_KAFKA_RESP_ERR__SSL) {
    return reason.find("certificate verify failed") != std::string::npos
               ? "certificate verify failed: " + (certificate.empty() ? "" : certificate + ": ") +
                     reason
               : "TLS handshake failed: " + reason;
  }
  // A plaintext client at a TLS or SASL listener: the broker hangs up on its first request.
  if (code == RD_KAFKA_RESP_ERR__TRANSPORT &&
      reason.find("incorrect security.protocol") != std::string::npos) {
    return "protocol mismatch (is targets.kafka.security.protocol right for this listener?): " +
           reason;
  }
  return "";
}

}  // namespace

bool FatalError::Record(const std::string& message) {
  std::lock_guard lock(mutex_);
  if (!message_.empty()) return false;
  message_ = message;
  return true;
}

std::string FatalError::Get() const {
  std::lock_guard lock(mutex_);
  return message_;
}

void FatalError::NoteRetryable(const std::string& message) {
  std::lock_guard lock(mutex_);
  last_retryable_ = message;
}

std::string FatalError::LastRetryable() const {
  std::lock_guard lock(mutex_);
  return last_retryable_;
}

void FatalError::NoteCertificate(const std::string& verdict) {
  std::lock_guard lock(mutex_);
  certificate_ = verdict;
}

std::string FatalError::Certificate() const {
  std::lock_guard lock(mutex_);
  return certificate_;
}

int VerifyCertificate(const int* x509_error, char* errstr, std::size_t errstr_size,
                      FatalError& fatal) {
  if (*x509_error == X509_V_OK) return 1;
  const char* verdict = X509_verify_cert_error_string(*x509_error);
  fatal.NoteCertificate(verdict);
  std::snprintf(errstr, errstr_size, "%s", verdict);
  return 0;
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

void ReportClientError(int err, const char* reason, Health& health_ref, Link& link,
                       FatalError& fatal) {
  Health* health = &health_ref;
  health->client_errors.fetch_add(1, std::memory_order_relaxed);
  const auto code = static_cast<rd_kafka_resp_err_t>(err);
  if (const std::string unfixable = Unfixable(code, reason, fatal.Certificate());
      !unfixable.empty()) {
    health->refused.store(true);
    // Once per client: librdkafka retries the connection with backoff and calls again each time.
    if (fatal.Record(unfixable)) LOG_WARN("kafka: %s", unfixable.c_str());
    return;
  }
  fatal.NoteRetryable(reason);
  if (code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || code == RD_KAFKA_RESP_ERR__TRANSPORT) {
    if (link.SetDown()) {
      health->disconnects.fetch_add(1, std::memory_order_relaxed);
      LOG_WARN("kafka: connection lost: %s", reason);
    }
    return;
  }
  LOG_WARN("kafka: client error %s: %s", rd_kafka_err2name(code), reason);
}

void ForwardClientLog(int level, const char* facility, const char* line) {
  // syslog levels: 0-3 error, 4 warning, 5 notice, 6 info, 7 debug.
  if (level <= 3) {
    LOG_ERROR("kafka: librdkafka %s: %s", facility, line);
  } else if (level == 4) {
    LOG_WARN("kafka: librdkafka %s: %s", facility, line);
  } else {
    LOG_INFO("kafka: librdkafka %s: %s", facility, line);
  }
}

Status MapError(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
      return Status::kOk;
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
      return Status::kQueueFull;
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
      return Status::kTimeout;
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
      return Status::kDisconnected;
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
      return Status::kTooLarge;
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      return Status::kUnknownTopic;
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
      return Status::kRejected;
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR__SSL:
      return Status::kUnauthorized;
    default:
      return Status::kOther;
  }
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

rd_kafka_resp_err_t AskMetadata(rd_kafka_t* rk, std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t err =
      rd_kafka_metadata(rk, 0, nullptr, &metadata, static_cast<int>(timeout.count()));
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_metadata_destroy(metadata);
  return err;
}

bool WaitForBroker(rd_kafka_t* rk, const FatalError& fatal, std::chrono::milliseconds timeout,
                   std::string& error) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string problem = "no answer";
  while (std::chrono::steady_clock::now() < deadline) {
    rd_kafka_poll(rk, 0);  // a producer's error callback runs only from poll
    if (std::string unfixable = fatal.Get(); !unfixable.empty()) {
      error = std::move(unfixable);
      return false;
    }
    const rd_kafka_resp_err_t err = AskMetadata(rk, std::chrono::milliseconds(500));
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return true;
    problem = rd_kafka_err2str(err);
  }
  error = "no broker answered within " + std::to_string(timeout.count()) + " ms (" + problem + ")";
  if (const std::string last = fatal.LastRetryable(); !last.empty()) error += ": " + last;
  return false;
}

KafkaPtr NewClient(rd_kafka_type_t type, ConfPtr conf, std::string& error) {
  std::array<char, 512> text{};
  KafkaPtr rk(rd_kafka_new(type, conf.get(), text.data(), text.size()));
  if (rk) {
    conf.release();  // librdkafka owns it now
  } else {
    error = std::string("cannot create the Kafka client: ") + text.data();
  }
  return rk;
}

bool CreateTopics(rd_kafka_t* rk, const std::vector<std::string>& topics,
                  const config::KafkaTopicSettings& settings, std::chrono::milliseconds timeout,
                  FatalError& fatal, std::string& error) {
  std::vector<rd_kafka_NewTopic_t*> new_topics;
  std::array<char, 512> text{};
  for (const std::string& topic : topics) {
    rd_kafka_NewTopic_t* new_topic = rd_kafka_NewTopic_new(
        topic.c_str(), settings.partitions, settings.replication_factor, text.data(), text.size());
    if (new_topic == nullptr) {
      error = "topic " + topic + ": " + text.data();
      for (auto* t : new_topics) rd_kafka_NewTopic_destroy(t);
      return false;
    }
    for (const auto& [key, value] : settings.config) {
      rd_kafka_NewTopic_set_config(new_topic, key.c_str(), value.c_str());
    }
    new_topics.push_back(new_topic);
  }
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(rk));
  rd_kafka_CreateTopics(rk, new_topics.data(), new_topics.size(), nullptr, queue.get());
  rd_kafka_NewTopic_destroy_array(new_topics.data(), new_topics.size());
  for (auto*& t : new_topics) t = nullptr;
  std::unique_ptr<rd_kafka_event_t, EventDeleter> event(
      rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count())));
  if (!event) {
    error = "no answer to CreateTopics within " + std::to_string(timeout.count()) + " ms";
    return false;
  }
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    error = std::string("CreateTopics: ") + rd_kafka_event_error_string(event.get());
    return false;
  }
  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event.get()), &count);
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) continue;
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      error = std::string("topic ") + rd_kafka_topic_result_name(results[i]) + ": " +
              rd_kafka_topic_result_error_string(results[i]) +
              " (set targets.kafka.topic.create: false where topics are managed elsewhere)";
      if (IsAuthorization(err)) {
        error = "not authorized: " + error + "; docs/security.md lists the ACLs";
        fatal.Record(error);
      }
      return false;
    }
    LOG_INFO("kafka: created topic %s (%d partitions)", rd_kafka_topic_result_name(results[i]),
             settings.partitions);
  }
  return true;
}

bool WaitForLeaders(rd_kafka_t* rk, rd_kafka_topic_t* topic, std::chrono::milliseconds timeout,
                    FatalError& fatal, std::size_t& partitions, std::string& error) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string problem = "no metadata";
  while (std::chrono::steady_clock::now() < deadline) {
    const rd_kafka_metadata_t* metadata = nullptr;
    const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, topic, &metadata, 5'000);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const rd_kafka_metadata_topic_t* t = metadata->topic_cnt == 1 ? metadata->topics : nullptr;
      bool ready = t != nullptr && t->err == RD_KAFKA_RESP_ERR_NO_ERROR && t->partition_cnt > 0;
      for (int i = 0; ready && i < t->partition_cnt; ++i) {
        ready = t->partitions[i].leader >= 0 && t->partitions[i].err == RD_KAFKA_RESP_ERR_NO_ERROR;
      }
      if (ready) partitions = static_cast<std::size_t>(t->partition_cnt);
      if (t != nullptr && IsAuthorization(t->err)) {
        error = std::string("not authorized: topic ") + rd_kafka_topic_name(topic) + ": " +
                rd_kafka_err2str(t->err) + "; docs/security.md lists the ACLs";
        fatal.Record(error);
        rd_kafka_metadata_destroy(metadata);
        return false;
      }
      problem = t == nullptr ? "topic missing from metadata"
                : t->err     ? rd_kafka_err2str(t->err)
                             : "a partition without a leader";
      rd_kafka_metadata_destroy(metadata);
      if (ready) return true;
    } else {
      problem = rd_kafka_err2str(err);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  error = std::string("topic ") + rd_kafka_topic_name(topic) + ": not ready within " +
          std::to_string(timeout.count()) + " ms (" + problem + ")";
  return false;
}

Description DescribeProducer(rd_kafka_t* rk, const config::KafkaTarget& target,
                             std::vector<BrokerApis> api_versions,
                             std::chrono::milliseconds timeout) {
  Description d;
  d.client_version = std::string("librdkafka ") + rd_kafka_version_str();
  VersionEvidence evidence;
  evidence.brokers = std::move(api_versions);
  if (evidence.brokers.empty()) {
    const rd_kafka_conf_t* conf = rd_kafka_conf(rk);
    evidence.no_answer_reason =
        ConfValue(conf, "api.version.request") == "false" ? "api.version.request is false"
        : ConfValue(conf, "log.queue") == "true"
            ? "log.queue is true, and brokerload does not read librdkafka's log queue"
            : "librdkafka's debug log showed none";
  }
  if (!NamesRelease(evidence.brokers)) {
    const ProtocolVersion ibp = BrokerProtocolVersion(rk, timeout);
    evidence.protocol_version = ibp.value;
    evidence.protocol_version_gap = ibp.gap;
  }
  d.broker_version = DescribeBrokerVersion(evidence);
  const rd_kafka_conf_t* conf = rd_kafka_conf(rk);
  for (const char* name : {"acks", "enable.idempotence", "linger.ms", "batch.num.messages",
                           "compression.codec", "max.in.flight.requests.per.connection"}) {
    d.settings.emplace_back(name, ConfValue(conf, name));
  }
  d.settings.emplace_back("topic.partitions", std::to_string(target.topic.partitions));
  const std::string replicas = target.topic.replication_factor == -1
                                   ? std::string("the cluster's default number of")
                                   : std::to_string(target.topic.replication_factor);
  d.settings.emplace_back("topic.replication_factor",
                          target.topic.replication_factor == -1
                              ? "-1 (the cluster's default.replication.factor)"
                              : replicas);
  const std::string acks = ConfValue(conf, "acks");
  if (acks == "0") {
    d.durability = "not acknowledged by the broker at all (acks=0)";
  } else if (acks == "1") {
    d.durability = "acknowledged once the partition leader has it in its log (acks=1), of " +
                   replicas + " replica(s); Kafka's log is on disk through the page cache";
  } else {
    d.durability = "acknowledged once every in-sync replica of " + replicas +
                   " has it (acks=all), on disk through the page cache (flushed by the OS)";
  }
  return d;
}

}  // namespace brokerload::driver::kafka
