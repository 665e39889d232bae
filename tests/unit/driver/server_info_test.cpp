// The INFO line read from a NATS server (driver/nats/server_info.hpp), against a fake server on
// loopback: read to its newline, and ended at the timeout (with what came) however the server
// trickles bytes (each read once had its own 2 s: a server sending a byte a second held it for
// over an hour).
#include "driver/nats/server_info.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace brokerload::driver::nats {
namespace {

// Accepts one connection on a free loopback port and sends `first`, then, while `trickle`,
// one more byte (no newline) every 20 ms until it is destroyed.
class FakeServer {
 public:
  FakeServer(std::string first, bool trickle) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&address), length), 0);
    EXPECT_EQ(listen(listener_, 1), 0);
    EXPECT_EQ(getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length), 0);
    url_ = "nats://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
    thread_ = std::thread([this, first = std::move(first), trickle] {
      const int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      (void)!write(fd, first.data(), first.size());
      std::unique_lock lock(mutex_);
      while (trickle && !stop_) {
        stopping_.wait_for(lock, std::chrono::milliseconds(20));
        if (!stop_ && write(fd, "x", 1) != 1) break;
      }
      stopping_.wait(lock, [this] { return stop_; });
      close(fd);
    });
  }
  ~FakeServer() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    stopping_.notify_all();
    shutdown(listener_, SHUT_RDWR);
    thread_.join();
    close(listener_);
  }
  const std::string& url() const { return url_; }

 private:
  int listener_ = -1;
  std::string url_;
  std::mutex mutex_;
  std::condition_variable stopping_;
  bool stop_ = false;
  std::thread thread_;
};

TEST(InfoLine, ReadsTheServersFirstLine) {
  const FakeServer server("INFO {\"version\":\"2.14.5\"}\r\n", false);
  EXPECT_EQ(InfoLine(server.url()), "INFO {\"version\":\"2.14.5\"}\r\n");
}

TEST(InfoLine, GivesUpAtItsTimeoutOnAServerThatNeverEndsTheLine) {
  const FakeServer server("INFO {", true);
  const auto started = std::chrono::steady_clock::now();
  const std::string line = InfoLine(server.url(), std::chrono::milliseconds(200));
  EXPECT_TRUE(line.starts_with("INFO {x")) << line;  // what came by then
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1'500));
}

TEST(InfoLine, IsEmptyForWhatIsNotAnInfoLine) {
  const FakeServer server("-ERR 'nope'\r\n", false);
  EXPECT_EQ(InfoLine(server.url()), "");
}

}  // namespace
}  // namespace brokerload::driver::nats
