// A known delay to inject between brokerload and a broker: a TCP proxy on the loopback that
// forwards each direction of every connection `delay` after it read it. Bytes read at time t are
// written at t + delay, in order; nothing else changes (no bandwidth limit, no reordering, no
// loss). So a request/response round trip through it takes 2 x delay longer, and a message from
// one client through the broker to another client, 2 x delay longer too.
//
// Threads: one accepts; each connection has a reader and a writer per direction. The writer
// sleeps until each chunk's due time (a condition variable's timed wait, so a chunk leaves up to
// the kernel's timer slack, ~50 us, late). Destruction closes every socket and joins every
// thread; what is still queued is dropped. Sockets and threads of closed connections are kept
// until then (a test's handful of connections). Connecting upstream has no timeout of its own:
// for a local broker.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace brokerload::testing {

class DelayProxy {
 public:
  // Listens on 127.0.0.1 (`listen_port`, or a free port for 0) and forwards to
  // `upstream_host`:`upstream_port`. Throws std::runtime_error when it cannot listen.
  DelayProxy(std::string upstream_host, unsigned short upstream_port,
             std::chrono::microseconds delay, unsigned short listen_port = 0);
  ~DelayProxy();
  DelayProxy(const DelayProxy&) = delete;
  DelayProxy& operator=(const DelayProxy&) = delete;

  unsigned short Port() const { return port_; }
  // Connections accepted so far.
  int Accepted() const;
  // Breaks every connection open now, both ways, as a failed network path would; the proxy goes
  // on listening, so a client that reconnects comes through it again.
  void Cut();
  // How late the proxy wrote chunks after their due time, the median over every chunk of every
  // direction so far: what it injected beyond `delay` per hop (its own wake-ups on a busy machine).
  std::chrono::microseconds MedianLateness() const;

 private:
  // One direction of one connection: `from` read by the reader, written to `to` by the writer.
  struct Pump {
    int from = -1;
    int to = -1;
    std::mutex mutex;
    std::condition_variable changed;
    struct Chunk {
      std::chrono::steady_clock::time_point due;
      std::string bytes;  // empty: the end of the stream
    };
    std::deque<Chunk> queue;
    std::vector<std::int64_t> lateness_ns;  // per chunk written: write time - due
    bool stop = false;
    std::thread reader;
    std::thread writer;
  };

  void Accept();
  void StartPump(Pump& pump);

  std::string upstream_host_;
  unsigned short upstream_port_;
  std::chrono::microseconds delay_;
  int listener_ = -1;
  unsigned short port_ = 0;
  mutable std::mutex mutex_;  // pumps_, sockets_, stopping_
  bool stopping_ = false;
  std::vector<int> sockets_;
  std::vector<std::unique_ptr<Pump>> pumps_;
  int accepted_ = 0;
  std::thread acceptor_;
};

}  // namespace brokerload::testing
