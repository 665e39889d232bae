#include "driver/nats/nats_client.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <chrono>

#include "driver/nats/nkey.hpp"
#include "log/log.hpp"

namespace brokerload::driver::nats {

std::string LibraryVersion() { return nats_GetVersion(); }

namespace {

void OnDisconnected(natsConnection*, void* closure) {
  auto* watch = static_cast<ConnectionWatch*>(closure);
  watch->disconnected_at_ns.store(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
  if (watch->link.SetDown()) {
    watch->health.disconnects.fetch_add(1, std::memory_order_relaxed);
    LOG_WARN("nats: connection lost, reconnecting");
  }
}

void OnReconnected(natsConnection*, void* closure) {
  auto* watch = static_cast<ConnectionWatch*>(closure);
  watch->link.SetUp();
  watch->reconnected.store(true);
  LOG_INFO("nats: reconnected");
}

void OnClosed(natsConnection*, void* closure) {
  auto* watch = static_cast<ConnectionWatch*>(closure);
  std::lock_guard lock(watch->mutex);
  watch->closed = true;
  watch->closed_changed.notify_all();
}

void OnAsyncError(natsConnection*, natsSubscription*, natsStatus status, void* closure) {
  auto* watch = static_cast<ConnectionWatch*>(closure);
  watch->health.client_errors.fetch_add(1, std::memory_order_relaxed);
  // Refused credentials or permissions mid-run are worth a line every 10 s at most (each refused
  // publish calls this); the rest is routine.
  if (status != NATS_CONNECTION_AUTH_FAILED && status != NATS_NOT_PERMITTED &&
      status != NATS_SSL_ERROR) {
    LOG_DEBUG("nats: asynchronous error %s", natsStatus_GetText(status));
    return;
  }
  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  std::int64_t last = watch->refusal_logged_ns.load();
  if ((last != 0 && now - last < 10'000'000'000) ||
      !watch->refusal_logged_ns.compare_exchange_strong(last, now)) {
    watch->refusals_unlogged.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const std::uint64_t more = watch->refusals_unlogged.exchange(0);
  LOG_WARN("nats: %s (and %llu more refusals since the last such line)", LastError(status).c_str(),
           static_cast<unsigned long long>(more));
}

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

// TLS and credentials of targets.nats on `opts`.
natsStatus Secure(natsOptions* opts, const config::NatsTarget& target, std::string& error) {
  natsStatus s = NATS_OK;
  if (target.tls) {
    const config::TlsSettings& tls = *target.tls;
    s = natsOptions_SetSecure(opts, true);
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
    if (s != NATS_OK) {
      error = "TLS settings: " + LastError(s);
      return s;
    }
  }
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

// Why a connection failed, when retrying cannot fix it; "" otherwise.
std::string Unfixable(natsStatus status) {
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

// The INFO line a server sends first on a plain TCP connection to `url`, before any TLS or
// authentication ("" when none came within 2 s).
std::string InfoLine(const std::string& url) {
  std::string rest = url;
  if (const auto scheme = rest.find("://"); scheme != std::string::npos) rest.erase(0, scheme + 3);
  if (const auto at = rest.rfind('@'); at != std::string::npos) rest.erase(0, at + 1);
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos) return "";
  const std::string host = rest.substr(0, colon);
  const std::string port = rest.substr(colon + 1);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return "";
  std::string line;
  const int fd = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
  if (fd >= 0) {
    timeval timeout{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    if (connect(fd, found->ai_addr, found->ai_addrlen) == 0) {
      std::array<char, 4096> buffer{};
      std::size_t used = 0;
      while (used < buffer.size() && line.find('\n') == std::string::npos) {
        const ssize_t n = read(fd, buffer.data() + used, buffer.size() - used);
        if (n <= 0) break;
        used += static_cast<std::size_t>(n);
        line.assign(buffer.data(), used);
      }
    }
    close(fd);
  }
  freeaddrinfo(found);
  return line.rfind("INFO", 0) == 0 ? line : "";
}

}  // namespace

void OpenLibrary() { nats_Open(-1); }

void CloseAndWait(ConnectionPtr& nc, ConnectionWatch& watch) {
  if (!nc) return;
  natsConnection_Close(nc.get());
  std::unique_lock lock(watch.mutex);
  if (!watch.closed_changed.wait_for(lock, std::chrono::seconds(5), [&] { return watch.closed; })) {
    LOG_WARN("nats: no closed callback within 5 s; destroying the connection anyway");
  }
}

std::optional<AckPlace> ParseAckReply(std::string_view reply) {
  constexpr std::size_t kMaxTokens = 12;
  std::array<std::string_view, kMaxTokens> tokens;
  std::size_t count = 0;
  while (count < kMaxTokens) {
    const std::size_t dot = reply.find('.');
    tokens[count++] = reply.substr(0, dot);
    if (dot == std::string_view::npos) break;
    reply.remove_prefix(dot + 1);
  }
  // v2 may grow tokens after the 12th; like cnats, ignore them.
  if (count < 9 || tokens[0] != "$JS" || tokens[1] != "ACK") return std::nullopt;
  std::size_t first = 0;  // index of <delivered>
  if (count == 9) {
    first = 4;
  } else if (count >= 11) {
    first = 6;
  } else {
    return std::nullopt;
  }
  AckPlace place;
  for (auto [token, out] : {std::pair{tokens[first], &place.delivered},
                            std::pair{tokens[first + 1], &place.stream_sequence}}) {
    const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), *out);
    if (ec != std::errc{} || end != token.data() + token.size() || token.empty()) {
      return std::nullopt;
    }
  }
  return place;
}

std::string InboxPrefix(const char* what, std::string& error) {
  natsInbox* inbox = nullptr;
  if (const natsStatus s = natsInbox_Create(&inbox); s != NATS_OK) {
    error = std::string(what) + ": " + LastError(s);
    return "";
  }
  std::string prefix = std::string(inbox) + ".";
  natsInbox_Destroy(inbox);
  return prefix;
}

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

ConnectionPtr Connect(const config::NatsTarget& target, const char* name, bool send_asap,
                      ConnectionWatch& watch, std::string& error) {
  natsOptions* raw = nullptr;
  if (natsOptions_Create(&raw) != NATS_OK) {
    error = "cannot create NATS options";
    return nullptr;
  }
  std::unique_ptr<natsOptions, OptionsDeleter> opts(raw);
  std::vector<const char*> servers;
  for (const std::string& server : target.servers) servers.push_back(server.c_str());
  natsStatus s =
      natsOptions_SetServers(opts.get(), servers.data(), static_cast<int>(servers.size()));
  if (s == NATS_OK) s = natsOptions_SetName(opts.get(), name);
  if (s == NATS_OK) s = natsOptions_SetSendAsap(opts.get(), send_asap);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts.get(), -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts.get(), 250);
  if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(opts.get(), 64 * 1024 * 1024);
  if (s == NATS_OK) s = natsOptions_SetMaxPendingMsgs(opts.get(), 1'000'000);
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(opts.get(), OnDisconnected, &watch);
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts.get(), OnReconnected, &watch);
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts.get(), OnAsyncError, &watch);
  if (s == NATS_OK) s = natsOptions_SetClosedCB(opts.get(), OnClosed, &watch);
  if (s != NATS_OK) {
    error = "NATS options: " + LastError(s);
    return nullptr;
  }
  if (Secure(opts.get(), target, error) != NATS_OK) {
    watch.health.refused.store(true);  // a bad file or key: retrying cannot help
    return nullptr;
  }
  natsConnection* nc = nullptr;
  s = natsConnection_Connect(&nc, opts.get());
  if (s != NATS_OK) {
    std::string unfixable = Unfixable(s);
    // A server that verifies client certificates hangs up on a client without one after the
    // handshake, which cnats reports as a protocol error; its INFO line says why.
    if (unfixable.empty() && target.tls && target.tls->cert_file.empty() &&
        InfoLine(target.servers.front()).find("\"tls_verify\":true") != std::string::npos) {
      unfixable =
          "the server requires a client certificate (its INFO says tls_verify; set "
          "targets.nats.tls.cert_file and key_file): " +
          LastError(s);
    }
    if (!unfixable.empty()) watch.health.refused.store(true);
    error = "cannot connect to " + target.servers.front() + ": " +
            (unfixable.empty() ? LastError(s) : unfixable);
    return nullptr;
  }
  watch.link.SetUp();
  return ConnectionPtr(nc);
}

bool EnsureStreams(jsCtx* js, const config::NatsStreamSettings& settings,
                   const std::vector<std::string>& topics, std::string& error) {
  for (const std::string& topic : topics) {
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    config.Name = topic.c_str();
    const char* subjects[] = {topic.c_str()};
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    config.Storage =
        settings.storage == config::Storage::kMemory ? js_MemoryStorage : js_FileStorage;
    config.Replicas = settings.replicas;
    config.MaxBytes = settings.max_bytes;
    config.MaxAge = settings.max_age.count();
    config.Discard = settings.discard == config::Discard::kOld ? js_DiscardOld : js_DiscardNew;
    jsStreamInfo* info = nullptr;
    jsErrCode code{};
    const natsStatus s = js_AddStream(&info, js, &config, nullptr, &code);
    jsStreamInfo_Destroy(info);
    if (s == NATS_OK) {
      LOG_INFO("nats: stream %s ready", topic.c_str());
      continue;
    }
    if (code == JSStreamNameExistErr) {
      LOG_INFO("nats: stream %s exists with another config; using it as it is", topic.c_str());
      continue;
    }
    error = "stream " + topic + ": " + LastError(s) + " (JetStream error " +
            std::to_string(static_cast<int>(code)) +
            "; is JetStream enabled? set targets.nats.stream.create: false for managed streams)";
    return false;
  }
  return true;
}

std::string ServerVersion(natsConnection* nc) {
  std::array<char, 256> url{};
  if (natsConnection_GetConnectedUrl(nc, url.data(), url.size()) != NATS_OK || url[0] == 0) {
    return "unknown (not connected)";
  }
  const std::string line = InfoLine(url.data());
  const std::string key = "\"version\":\"";
  const auto at = line.find(key);
  if (at == std::string::npos) return "unknown (no INFO)";
  const auto end = line.find('"', at + key.size());
  return "nats-server " + line.substr(at + key.size(), end - at - key.size());
}

Description DescribeTarget(natsConnection* nc, const config::NatsTarget& target) {
  Description d;
  d.client_version = std::string("cnats ") + nats_GetVersion();
  d.broker_version = ServerVersion(nc);
  const bool memory = target.stream.storage == config::Storage::kMemory;
  d.settings = {
      {"stream.storage", memory ? "memory" : "file"},
      {"stream.replicas", std::to_string(target.stream.replicas)},
      {"ack_policy", target.ack_policy == config::AckPolicy::kNone  ? "none"
                     : target.ack_policy == config::AckPolicy::kAll ? "all"
                                                                    : "explicit"},
      {"max_pending", std::to_string(target.max_pending)},
      {"send_asap", target.send_asap ? "true" : "false"},
  };
  if (target.ack_policy != config::AckPolicy::kNone) {
    d.settings.emplace_back("max_ack_pending", std::to_string(target.max_ack_pending));
  }
  const std::string replicas = std::to_string(target.stream.replicas);
  d.durability = memory ? "acknowledged once held in the memory of " + replicas +
                              " server(s) (memory storage): gone when the server restarts"
                        : "acknowledged once written to the stream's files on " + replicas +
                              " server(s) (file storage; fsync per the server's sync_interval)";
  return d;
}

}  // namespace brokerload::driver::nats
