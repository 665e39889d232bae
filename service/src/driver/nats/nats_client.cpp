#include "driver/nats/nats_client.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <chrono>

#include "log/log.hpp"

namespace brokerload::driver::nats {
namespace {

void OnDisconnected(natsConnection*, void* closure) {
  auto* watch = static_cast<ConnectionWatch*>(closure);
  watch->disconnected_at_ns.store(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
  if (watch->health.connected.exchange(false)) {
    watch->health.disconnects.fetch_add(1, std::memory_order_relaxed);
    LOG_WARN("nats: connection lost, reconnecting");
  }
}

void OnReconnected(natsConnection*, void* closure) {
  auto* watch = static_cast<ConnectionWatch*>(closure);
  watch->health.connected.store(true);
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
  static_cast<ConnectionWatch*>(closure)->health.client_errors.fetch_add(1,
                                                                         std::memory_order_relaxed);
  LOG_DEBUG("nats: asynchronous error %s", natsStatus_GetText(status));
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
  natsConnection* nc = nullptr;
  s = natsConnection_Connect(&nc, opts.get());
  if (s != NATS_OK) {
    error = "cannot connect to " + target.servers.front() + ": " + LastError(s);
    return nullptr;
  }
  watch.health.connected.store(true);
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
  std::string rest(url.data());
  if (const auto scheme = rest.find("://"); scheme != std::string::npos) rest.erase(0, scheme + 3);
  if (const auto at = rest.rfind('@'); at != std::string::npos) rest.erase(0, at + 1);
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos) return "unknown (no port in " + rest + ")";
  const std::string host = rest.substr(0, colon);
  const std::string port = rest.substr(colon + 1);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return "unknown (no address)";
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
  const std::string key = "\"version\":\"";
  const auto at = line.find(key);
  if (line.rfind("INFO", 0) != 0 || at == std::string::npos) return "unknown (no INFO)";
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
  const std::string replicas = std::to_string(target.stream.replicas);
  d.durability = memory ? "acknowledged once held in the memory of " + replicas +
                              " server(s) (memory storage): gone when the server restarts"
                        : "acknowledged once written to the stream's files on " + replicas +
                              " server(s) (file storage; fsync per the server's sync_interval)";
  return d;
}

}  // namespace brokerload::driver::nats
