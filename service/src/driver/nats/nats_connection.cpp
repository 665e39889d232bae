#include "driver/nats/nats_connection.hpp"

#include <chrono>
#include <memory>
#include <vector>

#include "driver/nats/nats_security.hpp"
#include "driver/nats/nats_status.hpp"
#include "driver/nats/server_info.hpp"
#include "log/log.hpp"

namespace brokerload::driver::nats {
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

void OnClosed(natsConnection* nc, void* closure) {
  auto* watch = static_cast<ConnectionWatch*>(closure);
  // cnats gives up reconnecting only when a server refused authentication twice in a row.
  if (!watch->closing.load()) {
    const char* text = nullptr;
    const natsStatus s = natsConnection_GetLastError(nc, &text);
    LOG_ERROR("nats: the connection closed and will not reconnect: %s%s%s", natsStatus_GetText(s),
              text != nullptr && *text != '\0' ? ": " : "", text != nullptr ? text : "");
  }
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

// Servers, reconnection forever, the watch's callbacks, TLS and credentials; null with `error`.
OptionsPtr Options(const config::NatsTarget& target, const char* name, bool send_asap,
                   ConnectionWatch& watch, std::string& error) {
  natsOptions* raw = nullptr;
  if (natsOptions_Create(&raw) != NATS_OK) {
    error = "cannot create NATS options";
    return nullptr;
  }
  OptionsPtr opts(raw);
  std::vector<const char*> servers;
  for (const std::string& server : target.servers) servers.push_back(server.c_str());
  natsStatus s =
      natsOptions_SetServers(opts.get(), servers.data(), static_cast<int>(servers.size()));
  if (s == NATS_OK) s = natsOptions_SetName(opts.get(), name);
  if (s == NATS_OK) s = natsOptions_SetSendAsap(opts.get(), send_asap);
  // Without a deadline the socket blocks: a server that stops reading (paused, or its host
  // stalled) would hold the writing thread (the publisher, or the flusher and every publisher
  // behind the connection's lock) until it reads again, a stop included.
  if (s == NATS_OK) s = natsOptions_SetWriteDeadline(opts.get(), kWriteDeadlineMs);
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
  if (ApplySecurity(opts.get(), target, error) != NATS_OK) {
    watch.health.refused.store(true);  // a bad file or key: retrying cannot help
    return nullptr;
  }
  return opts;
}

// Why natsConnection_Connect failed with `s`, setting health.refused when retrying cannot help.
std::string ConnectError(natsStatus s, const config::NatsTarget& target, ConnectionWatch& watch) {
  std::string unfixable = UnfixableConnectError(s);
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
  return "cannot connect to " + target.servers.front() + ": " +
         (unfixable.empty() ? LastError(s) : unfixable);
}

}  // namespace

int AuthAttempts(const config::NatsTarget& target, std::uint32_t cnats_version) {
  const bool signs = !target.nkey_seed_file.empty() || !target.credentials_file.empty();
  return signs && cnats_version < 0x030800 ? 3 : 1;
}

natsStatus Connect(natsConnection** nc, natsOptions* opts, const config::NatsTarget& target) {
  int made = 0;
  return ConnectWithAuthAttempts(AuthAttempts(target, nats_GetVersionNumber()), [&] {
    if (made++ > 0) {
      LOG_DEBUG(
          "nats: authentication refused; connecting again (cnats < 3.8.0 omits one "
          "signature in 256)");
    }
    return natsConnection_Connect(nc, opts);
  });
}

bool JetStreamConnection::Open(const config::NatsTarget& target, const char* name, bool send_asap,
                               std::string& error) {
  const OptionsPtr opts = Options(target, name, send_asap, watch_, error);
  if (!opts) return false;
  natsConnection* nc = nullptr;
  if (const natsStatus connected = Connect(&nc, opts.get(), target); connected != NATS_OK) {
    error = ConnectError(connected, target, watch_);
    return false;
  }
  watch_.link.SetUp();
  nc_.reset(nc);
  jsCtx* js = nullptr;
  if (const natsStatus s = natsConnection_JetStream(&js, nc, nullptr); s != NATS_OK) {
    error = "JetStream context: " + LastError(s);
    return false;
  }
  js_.reset(js);
  return true;
}

void JetStreamConnection::Close() {
  watch_.link.Close();
  if (!nc_) return;
  watch_.closing.store(true);
  natsConnection_Close(nc_.get());
  std::unique_lock lock(watch_.mutex);
  if (!watch_.closed_changed.wait_for(lock, std::chrono::seconds(5),
                                      [&] { return watch_.closed; })) {
    LOG_WARN("nats: no closed callback within 5 s; destroying the connection anyway");
  }
}

}  // namespace brokerload::driver::nats
