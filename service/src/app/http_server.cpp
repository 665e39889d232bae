#include "app/http_server.hpp"

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <istream>
#include <stdexcept>

namespace brokerload::app {
namespace {

using boost::asio::ip::tcp;

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpHandler& handler)
      : socket_(std::move(socket)), handler_(handler) {}

  void Start() {
    auto self = shared_from_this();
    boost::asio::async_read_until(socket_, request_, "\r\n\r\n",
                                  [self](const boost::system::error_code& error, std::size_t) {
                                    if (!error) self->Respond();
                                  });
  }

 private:
  void Respond() {
    std::istream stream(&request_);
    std::string method;
    std::string target;
    stream >> method >> target;
    HttpResponse response;
    if (method != "GET" && method != "HEAD") {
      response = {405, "text/plain; charset=utf-8", "only GET\n"};
    } else {
      const std::string path = target.substr(0, target.find('?'));
      response = handler_(path);
    }
    const std::string body = method == "HEAD" ? "" : response.body;
    reply_ = "HTTP/1.1 " + std::to_string(response.status) + " " + Reason(response.status) +
             "\r\nContent-Type: " + response.content_type +
             "\r\nContent-Length: " + std::to_string(response.body.size()) +
             "\r\nConnection: close\r\n\r\n" + body;
    auto self = shared_from_this();
    boost::asio::async_write(socket_, boost::asio::buffer(reply_),
                             [self](const boost::system::error_code&, std::size_t) {
                               boost::system::error_code ignored;
                               self->socket_.shutdown(tcp::socket::shutdown_both, ignored);
                             });
  }

  tcp::socket socket_;
  const HttpHandler& handler_;
  boost::asio::streambuf request_{16 * 1024};
  std::string reply_;
};

tcp::endpoint Resolve(boost::asio::io_context& io, const std::string& listen) {
  const auto colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  tcp::resolver resolver(io);
  boost::system::error_code error;
  const auto results = resolver.resolve(host, listen.substr(colon + 1), error);
  if (error || results.empty()) {
    throw std::runtime_error("metrics.listen " + listen + ": cannot resolve: " + error.message());
  }
  return results.begin()->endpoint();
}

}  // namespace

HttpServer::HttpServer(const std::string& listen, HttpHandler handler)
    : handler_(std::move(handler)), acceptor_(io_) {
  const tcp::endpoint endpoint = Resolve(io_, listen);
  boost::system::error_code error;
  acceptor_.open(endpoint.protocol(), error);
  if (!error) acceptor_.set_option(tcp::acceptor::reuse_address(true), error);
  if (!error) acceptor_.bind(endpoint, error);
  if (!error) acceptor_.listen(128, error);
  if (error) {
    throw std::runtime_error("metrics.listen " + listen + ": cannot listen: " + error.message());
  }
  port_ = acceptor_.local_endpoint().port();
  Accept();
  thread_ = std::thread([this] { io_.run(); });
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void HttpServer::Accept() {
  acceptor_.async_accept([this](const boost::system::error_code& error, tcp::socket socket) {
    if (!error) std::make_shared<Session>(std::move(socket), handler_)->Start();
    if (acceptor_.is_open()) Accept();
  });
}

}  // namespace brokerload::app
