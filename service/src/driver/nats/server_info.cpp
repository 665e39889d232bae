#include "driver/nats/server_info.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cstring>

namespace brokerload::driver::nats {

namespace {

// What `fd` sends until a newline, 4 KiB or `deadline`, whichever comes first.
std::string ReadLine(int fd, std::chrono::steady_clock::time_point deadline) {
  std::array<char, 4096> buffer{};
  std::size_t used = 0;
  while (used < buffer.size()) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd readable{fd, POLLIN, 0};
    if (left.count() <= 0 || poll(&readable, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = read(fd, buffer.data() + used, buffer.size() - used);
    if (n <= 0) break;
    const char* got = buffer.data() + used;
    used += static_cast<std::size_t>(n);
    if (std::memchr(got, '\n', static_cast<std::size_t>(n)) != nullptr) break;
  }
  return std::string(buffer.data(), used);
}

}  // namespace

std::string InfoLine(const std::string& url, std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) return "";  // (a zero SO_SNDTIMEO would wait forever)
  const auto deadline = std::chrono::steady_clock::now() + timeout;
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
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(timeout - seconds);
    timeval connect_timeout{static_cast<time_t>(seconds.count()),
                            static_cast<suseconds_t>(micros.count())};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &connect_timeout, sizeof connect_timeout);
    if (connect(fd, found->ai_addr, found->ai_addrlen) == 0) line = ReadLine(fd, deadline);
    close(fd);
  }
  freeaddrinfo(found);
  return line.rfind("INFO", 0) == 0 ? line : "";
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
      {"stream.compression", target.stream.compress_s2 ? "s2" : "none"},
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
