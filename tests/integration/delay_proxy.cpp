#include "delay_proxy.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace brokerload::testing {
namespace {

int ConnectTo(const std::string& host, unsigned short port) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return -1;
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd >= 0 && connect(fd, found->ai_addr, found->ai_addrlen) != 0) {
    close(fd);
    freeaddrinfo(found);
    return -1;
  }
  freeaddrinfo(found);
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool WriteAll(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

DelayProxy::DelayProxy(std::string upstream_host, unsigned short upstream_port,
                       std::chrono::microseconds delay, unsigned short listen_port)
    : upstream_host_(std::move(upstream_host)), upstream_port_(upstream_port), delay_(delay) {
  listener_ = socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(listen_port);
  socklen_t length = sizeof address;
  if (bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listener_, 64) != 0 ||
      getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(listener_);
    throw std::runtime_error(std::string("delay proxy: cannot listen: ") + std::strerror(errno));
  }
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
}

DelayProxy::~DelayProxy() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (int fd : sockets_) shutdown(fd, SHUT_RDWR);  // ends every blocked recv and send
    for (auto& pump : pumps_) {
      std::lock_guard pump_lock(pump->mutex);
      pump->stop = true;
      pump->changed.notify_all();
    }
  }
  shutdown(listener_, SHUT_RDWR);
  acceptor_.join();
  for (auto& pump : pumps_) {
    pump->reader.join();
    pump->writer.join();
  }
  for (int fd : sockets_) close(fd);
  close(listener_);
}

void DelayProxy::Cut() {
  std::lock_guard lock(mutex_);
  for (int fd : sockets_) shutdown(fd, SHUT_RDWR);
}

int DelayProxy::Accepted() const {
  std::lock_guard lock(mutex_);
  return accepted_;
}

std::chrono::microseconds DelayProxy::MedianLateness() const {
  std::vector<std::int64_t> all;
  {
    std::lock_guard lock(mutex_);
    for (const std::unique_ptr<Pump>& pump : pumps_) {
      std::lock_guard pump_lock(pump->mutex);
      all.insert(all.end(), pump->lateness_ns.begin(), pump->lateness_ns.end());
    }
  }
  if (all.empty()) return std::chrono::microseconds(0);
  std::nth_element(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(all.size() / 2),
                   all.end());
  return std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::nanoseconds(all[all.size() / 2]));
}

void DelayProxy::Accept() {
  for (;;) {
    pollfd waiting{listener_, POLLIN, 0};
    if (poll(&waiting, 1, 100) < 0 && errno != EINTR) return;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    if ((waiting.revents & POLLIN) == 0) continue;
    const int client = accept(listener_, nullptr, nullptr);
    if (client < 0) {  // e.g. out of descriptors: do not spin
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    const int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const int upstream = ConnectTo(upstream_host_, upstream_port_);
    std::lock_guard lock(mutex_);
    sockets_.push_back(client);
    if (upstream < 0 || stopping_) {
      shutdown(client, SHUT_RDWR);
      if (upstream >= 0) close(upstream);
      continue;
    }
    sockets_.push_back(upstream);
    ++accepted_;
    for (auto [from, to] : {std::pair{client, upstream}, std::pair{upstream, client}}) {
      pumps_.push_back(std::make_unique<Pump>());
      pumps_.back()->from = from;
      pumps_.back()->to = to;
      StartPump(*pumps_.back());
    }
  }
}

namespace {

// The proxy's own wake-ups add to the delay it injects: on a loaded 2-core machine a normal
// thread may wake a millisecond late per hop. Real-time where permitted (root, as in CI), as the
// publisher runs; otherwise as before.
void TryRealtime() {
  sched_param param{};
  param.sched_priority = 20;
  pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
}

}  // namespace

void DelayProxy::StartPump(Pump& pump) {
  pump.reader = std::thread([this, &pump] {
    TryRealtime();
    char buffer[64 * 1024];
    for (;;) {
      const ssize_t n = recv(pump.from, buffer, sizeof buffer, 0);
      if (n < 0 && errno == EINTR) continue;
      std::lock_guard lock(pump.mutex);
      pump.queue.push_back({std::chrono::steady_clock::now() + delay_,
                            n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : ""});
      pump.changed.notify_all();
      if (n <= 0) return;
    }
  });
  pump.writer = std::thread([&pump] {
    TryRealtime();
    std::unique_lock lock(pump.mutex);
    for (;;) {
      pump.changed.wait(lock, [&] { return pump.stop || !pump.queue.empty(); });
      if (pump.stop) return;
      const auto due = pump.queue.front().due;
      if (std::chrono::steady_clock::now() < due) {
        pump.changed.wait_until(lock, due, [&] { return pump.stop; });
        continue;  // stopped, or due now: look again
      }
      Pump::Chunk chunk = std::move(pump.queue.front());
      pump.queue.pop_front();
      if (!chunk.bytes.empty()) {
        pump.lateness_ns.push_back((std::chrono::steady_clock::now() - chunk.due).count());
      }
      lock.unlock();
      const bool written = !chunk.bytes.empty() && WriteAll(pump.to, chunk.bytes);
      if (!written) {
        shutdown(pump.to, SHUT_WR);    // the end of the stream, passed on
        shutdown(pump.from, SHUT_RD);  // and nothing more read for a closed destination
      }
      lock.lock();
      if (!written) return;
    }
  });
}

}  // namespace brokerload::testing
