#include "driver/kafka/kafka_errors.hpp"

#include <openssl/x509.h>

#include <cstdio>

#include "log/log.hpp"

namespace brokerload::driver::kafka {
namespace {

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

CommitFailure MapCommitError(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
      return CommitFailure::kNone;
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
      return CommitFailure::kTimeout;
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
      return CommitFailure::kCoordinator;
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
    case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
    case RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID:
    case RD_KAFKA_RESP_ERR__STATE:
    case RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST:
      return CommitFailure::kRebalance;
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
      return CommitFailure::kTransport;
    default:
      return IsAuthorization(err) ? CommitFailure::kUnauthorized : CommitFailure::kOther;
  }
}

bool IsAuthorization(rd_kafka_resp_err_t code) {
  return code == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
         code == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED ||
         code == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED;
}

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

}  // namespace brokerload::driver::kafka
