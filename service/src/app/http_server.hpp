#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <string>
#include <thread>

// A minimal HTTP/1.1 server on its own thread for /metrics, /healthz and /readyz. It serves from
// memory only, so a slow or absent broker never blocks a scrape. One request per connection.
namespace brokerload::app {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using HttpHandler = std::function<HttpResponse(const std::string& path)>;

class HttpServer {
 public:
  // Binds at once (port 0 picks a free one); throws std::runtime_error naming the address when
  // it cannot. `handler` runs on the server's thread.
  HttpServer(const std::string& listen, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  unsigned short Port() const { return port_; }
  void Stop();

 private:
  void Accept();

  HttpHandler handler_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::thread thread_;
};

}  // namespace brokerload::app
