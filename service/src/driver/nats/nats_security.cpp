#include "driver/nats/nats_security.hpp"

#include <optional>

#include "driver/nats/nats_status.hpp"
#include "driver/nats/nkey.hpp"
#include "log/log.hpp"

namespace brokerload::driver::nats {
namespace {

// The host of a server URL ("tls://user@host:4222" -> "host").
std::string UrlHost(std::string url) {
  if (const auto scheme = url.find("://"); scheme != std::string::npos) url.erase(0, scheme + 3);
  if (const auto at = url.rfind('@'); at != std::string::npos) url.erase(0, at + 1);
  if (!url.empty() && url.front() == '[') return url.substr(1, url.find(']') - 1);
  return url.substr(0, url.rfind(':'));
}

bool IsIpAddress(const std::string& host) {
  return host.find_first_not_of("0123456789.") == std::string::npos ||
         host.find(':') != std::string::npos;
}

natsStatus ApplyTls(natsOptions* opts, const config::NatsTarget& target, std::string& error) {
  const config::TlsSettings& tls = *target.tls;
  natsStatus s = natsOptions_SetSecure(opts, true);
  if (s == NATS_OK && !tls.ca_file.empty()) {
    s = natsOptions_LoadCATrustedCertificates(opts, tls.ca_file.c_str());
  }
  if (s == NATS_OK && !tls.cert_file.empty()) {
    s = natsOptions_LoadCertificatesChain(opts, tls.cert_file.c_str(), tls.key_file.c_str());
  }
  // cnats checks the certificate's name only when told which name to expect, and only DNS
  // names: an IP address in the URL is checked against the CA alone.
  const std::string host = UrlHost(target.servers.front());
  if (s == NATS_OK && tls.verify_hostname && !IsIpAddress(host)) {
    s = natsOptions_SetExpectedHostname(opts, host.c_str());
  } else if (s == NATS_OK && tls.verify_hostname) {
    LOG_WARN(
        "nats: the server certificate's name is not checked for the IP address %s "
        "(cnats checks DNS names only); name the servers by DNS name",
        host.c_str());
  }
  if (s != NATS_OK) error = "TLS settings: " + LastError(s);
  return s;
}

natsStatus ApplyCredentials(natsOptions* opts, const config::NatsTarget& target,
                            std::string& error) {
  natsStatus s = NATS_OK;
  if (!target.user.empty()) {
    s = natsOptions_SetUserInfo(opts, target.user.c_str(), target.password.Reveal().c_str());
  } else if (!target.token.Empty()) {
    s = natsOptions_SetToken(opts, target.token.Reveal().c_str());
  } else if (!target.nkey_seed_file.empty()) {
    const std::optional<std::string> public_key =
        UserPublicKeyFromFile(target.nkey_seed_file, error);
    if (!public_key) return NATS_INVALID_ARG;
    s = natsOptions_SetNKeyFromSeed(opts, public_key->c_str(), target.nkey_seed_file.c_str());
  } else if (!target.credentials_file.empty()) {
    s = natsOptions_SetUserCredentialsFromFiles(opts, target.credentials_file.c_str(), nullptr);
  }
  if (s != NATS_OK) error = "credentials: " + std::string(natsStatus_GetText(s));
  return s;
}

}  // namespace

natsStatus ApplySecurity(natsOptions* opts, const config::NatsTarget& target, std::string& error) {
  if (target.tls) {
    if (const natsStatus s = ApplyTls(opts, target, error); s != NATS_OK) return s;
  }
  return ApplyCredentials(opts, target, error);
}

}  // namespace brokerload::driver::nats
