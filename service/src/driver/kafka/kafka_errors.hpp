#pragma once

#include <librdkafka/rdkafka.h>

#include <cstddef>
#include <mutex>
#include <string>

#include "driver/driver.hpp"

// What librdkafka's errors mean to brokerload: the engine's Status, errors that retrying cannot
// fix, and the client error callback's reporting.
namespace brokerload::driver::kafka {

// The one mapping from librdkafka's errors to the engine's Status.
Status MapError(rd_kafka_resp_err_t err);

// The one mapping from a failed offset commit's error to CommitFailure (kNone for NO_ERROR).
CommitFailure MapCommitError(rd_kafka_resp_err_t err);

// True for the authorizer's refusals (a missing ACL): waiting cannot fix them.
bool IsAuthorization(rd_kafka_resp_err_t code);

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

// What a client's error callback does: feeds `health`, records errors that retrying cannot fix in
// `fatal` (and health.refused), and logs once per change of connection state rather than at
// every retry.
void ReportClientError(int err, const char* reason, Health& health, Link& link, FatalError& fatal);

}  // namespace brokerload::driver::kafka
