#include "driver/nats/nats_status.hpp"

namespace brokerload::driver::nats {

std::string LastError(natsStatus status) {
  const char* last = nats_GetLastError(nullptr);
  return std::string(natsStatus_GetText(status)) + (last && *last ? std::string(": ") + last : "");
}

Status MapError(natsStatus status, jsErrCode code) {
  if (code == JSStreamNotFoundErr) return Status::kUnknownTopic;
  switch (status) {
    case NATS_OK:
      return Status::kOk;
    case NATS_TIMEOUT:
      return Status::kTimeout;
    case NATS_CONNECTION_CLOSED:
    case NATS_NOT_YET_CONNECTED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_STALE_CONNECTION:
      return Status::kDisconnected;
    case NATS_NO_RESPONDERS:
      return Status::kUnknownTopic;
    case NATS_MAX_PAYLOAD:
      return Status::kTooLarge;
    case NATS_INSUFFICIENT_BUFFER:
      return Status::kQueueFull;
    case NATS_CONNECTION_AUTH_FAILED:
    case NATS_NOT_PERMITTED:
    case NATS_SSL_ERROR:
      return Status::kUnauthorized;
    case NATS_ERR:
      return code != 0 ? Status::kRejected : Status::kOther;
    default:
      return Status::kOther;
  }
}

Step StepOf(natsStatus status) {
  return status == NATS_OK        ? Step::kDone
         : status == NATS_TIMEOUT ? Step::kOutOfTime
                                  : Step::kFailed;
}

std::string UnfixableConnectError(natsStatus status) {
  switch (status) {
    case NATS_CONNECTION_AUTH_FAILED:
    case NATS_NOT_PERMITTED:
      return "authentication failed: " + LastError(status);
    case NATS_SSL_ERROR: {
      const std::string detail = LastError(status);
      // OpenSSL's verify errors name the certificate ("unable to get local issuer certificate",
      // "self-signed certificate", "certificate has expired").
      return detail.find("certificate") != std::string::npos
                 ? "certificate verify failed: " + detail
                 : "TLS handshake failed: " + detail;
    }
    case NATS_SECURE_CONNECTION_REQUIRED:
      return "the server requires TLS (set targets.nats.tls): " + LastError(status);
    case NATS_SECURE_CONNECTION_WANTED:
      return "the server does not offer TLS (remove targets.nats.tls or use its TLS port): " +
             LastError(status);
    default:
      return "";
  }
}

}  // namespace brokerload::driver::nats
