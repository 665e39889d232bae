#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

namespace boost::asio::ssl {
class context;
}

// A minimal HTTP/1.1 server on its own thread for /metrics, /healthz and /readyz. It serves from
// memory only, so a slow or absent broker never blocks a scrape. One request per connection.
// Optionally over TLS and with HTTP basic auth (as Prometheus' exporter web config).
// Bounded (HttpLimits): each connection has `request_deadline` to complete its TLS handshake and
// send its request headers, and `session_deadline` for its whole exchange, and is closed after
// either; at `max_sessions` open connections, a new one closes the oldest that has not sent its
// request yet (or, when every one has, is itself closed at once); when descriptors run out,
// accepting pauses 100 ms instead of spinning. Idle or slow clients (slowloris) therefore hold at
// most `max_sessions` descriptors, each for at most `request_deadline`, and never keep out a
// scraper that sends its request as it connects.
namespace brokerload::app {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using HttpHandler = std::function<HttpResponse(const std::string& path)>;

struct HttpSecurity {
  std::string tls_cert_file;  // PEM; with tls_key_file, serve HTTPS only
  std::string tls_key_file;
  // Set: every path but `open_paths` answers 401 without these credentials.
  std::optional<std::pair<std::string, std::string>> basic_auth;  // username, password
  std::set<std::string> open_paths;  // e.g. the probes, which Kubernetes sends no credentials to
};

struct HttpLimits {
  std::chrono::milliseconds session_deadline{10'000};
  std::size_t max_sessions = 64;
  std::chrono::milliseconds request_deadline{2'000};  // at most session_deadline
};

// A connection that has not sent its request yet, which a new one may push out (HttpServer).
class PendingSession {
 public:
  virtual ~PendingSession() = default;
  virtual void Abort() = 0;
};

class HttpServer {
 public:
  // Binds at once (port 0 picks a free one); throws std::runtime_error naming the address (or
  // the certificate) when it cannot. `handler` runs on the server's thread.
  HttpServer(const std::string& listen, HttpHandler handler, const HttpSecurity& security = {},
             const HttpLimits& limits = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  unsigned short Port() const { return port_; }
  void Stop();

 private:
  void Accept();

  HttpHandler handler_;
  std::string expected_authorization_;  // "Basic base64(user:password)", or "" for no auth
  std::set<std::string> open_paths_;
  std::unique_ptr<boost::asio::ssl::context> tls_;  // null: plain HTTP
  HttpLimits limits_;
  // Both outlive io_ (declared before it): sessions count down and leave the list in it.
  std::size_t sessions_ = 0;
  std::list<PendingSession*> pending_;  // oldest first; the io thread alone touches it
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_retry_;
  unsigned short port_ = 0;
  std::thread thread_;
};

}  // namespace brokerload::app
