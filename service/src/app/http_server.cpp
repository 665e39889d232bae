#include "app/http_server.hpp"

#include <openssl/crypto.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <istream>
#include <stdexcept>
#include <system_error>

#include "log/log.hpp"

namespace brokerload::app {
namespace {

using boost::asio::ip::tcp;
using TlsStream = boost::asio::ssl::stream<tcp::socket>;

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 401:
      return "Unauthorized";
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

std::string Base64(const std::string& text) {
  static constexpr char kDigits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  auto byte = [&](std::size_t i) -> unsigned {
    return i < text.size() ? static_cast<unsigned char>(text[i]) : 0u;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 3) {
    const unsigned n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += kDigits[(n >> 18) & 63];
    out += kDigits[(n >> 12) & 63];
    out += i + 1 < text.size() ? kDigits[(n >> 6) & 63] : '=';
    out += i + 2 < text.size() ? kDigits[n & 63] : '=';
  }
  return out;
}

// Compares in time independent of where the strings differ.
bool SameSecret(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

struct Shared {
  const HttpHandler& handler;
  const std::string& expected_authorization;
  const std::set<std::string>& open_paths;
  std::size_t& sessions;  // live sessions; the io thread alone touches it
  std::list<PendingSession*>& pending;
  std::chrono::milliseconds deadline;
  std::chrono::milliseconds request_deadline;
};

template <typename Stream>
class Session final : public PendingSession, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, Shared shared)
      : stream_(std::move(stream)),
        shared_(shared),
        deadline_(stream_.get_executor()),
        pending_(shared_.pending.insert(shared_.pending.end(), this)) {
    ++shared_.sessions;
  }
  ~Session() override {
    Requested();
    --shared_.sessions;
  }
  // Pushed out by a newer connection: the pending read ends with an error and the session goes.
  void Abort() override {
    Requested();
    boost::system::error_code ignored;
    stream_.lowest_layer().close(ignored);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Start() {
    auto self = this->shared_from_this();
    // The handshake and request within the request deadline, the whole exchange within the
    // session's, or the connection goes: an idle or slow client holds a descriptor no longer.
    started_ = std::chrono::steady_clock::now();
    Expire(std::min(shared_.request_deadline, shared_.deadline));
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      stream_.async_handshake(boost::asio::ssl::stream_base::server,
                              [self](const boost::system::error_code& error) {
                                if (!error) self->Read();
                              });
    } else {
      Read();
    }
  }

 private:
  void Expire(std::chrono::steady_clock::duration after) {
    deadline_.expires_at(started_ + after);
    // Weak: the timer alone must not keep a failed session (and its socket) alive.
    deadline_.async_wait([weak = this->weak_from_this()](const boost::system::error_code& error) {
      const auto session = weak.lock();
      if (error || !session) return;  // cancelled, or the session ended first
      boost::system::error_code ignored;
      session->stream_.lowest_layer().close(ignored);
    });
  }

  // No longer one that a newer connection may push out.
  void Requested() {
    if (pending_ == shared_.pending.end()) return;
    shared_.pending.erase(pending_);
    pending_ = shared_.pending.end();
  }

  void Read() {
    auto self = this->shared_from_this();
    boost::asio::async_read_until(stream_, request_, "\r\n\r\n",
                                  [self](const boost::system::error_code& error, std::size_t) {
                                    if (error) return;
                                    self->Requested();
                                    self->Expire(self->shared_.deadline);
                                    self->Respond();
                                  });
  }

  bool Authorized(std::istream& headers) const {
    std::string line;
    while (std::getline(headers, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      constexpr std::string_view kName = "authorization:";
      if (line.size() < kName.size()) continue;
      std::string name = line.substr(0, kName.size());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (name != kName) continue;
      std::string value = line.substr(kName.size());
      value.erase(0, value.find_first_not_of(' '));
      return SameSecret(value, shared_.expected_authorization);
    }
    return false;
  }

  void Respond() {
    std::istream stream(&request_);
    std::string method;
    std::string target;
    stream >> method >> target;
    const std::string path = target.substr(0, target.find('?'));
    std::string extra_headers;
    HttpResponse response;
    if (method != "GET" && method != "HEAD") {
      response = {405, "text/plain; charset=utf-8", "only GET\n"};
    } else if (!shared_.expected_authorization.empty() && !shared_.open_paths.contains(path) &&
               !Authorized(stream)) {
      response = {401, "text/plain; charset=utf-8", "unauthorized\n"};
      extra_headers = "\r\nWWW-Authenticate: Basic realm=\"brokerload\"";
    } else {
      response = shared_.handler(path);
    }
    const std::string body = method == "HEAD" ? "" : response.body;
    reply_ = "HTTP/1.1 " + std::to_string(response.status) + " " + Reason(response.status) +
             "\r\nContent-Type: " + response.content_type +
             "\r\nContent-Length: " + std::to_string(response.body.size()) + extra_headers +
             "\r\nConnection: close\r\n\r\n" + body;
    auto self = this->shared_from_this();
    boost::asio::async_write(
        stream_, boost::asio::buffer(reply_),
        [self](const boost::system::error_code&, std::size_t) { self->Close(); });
  }

  void Close() {
    deadline_.cancel();
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      auto self = this->shared_from_this();
      stream_.async_shutdown([self](const boost::system::error_code&) {
        boost::system::error_code ignored;
        self->stream_.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
      });
    } else {
      boost::system::error_code ignored;
      stream_.shutdown(tcp::socket::shutdown_both, ignored);
    }
  }

  Stream stream_;
  Shared shared_;
  boost::asio::steady_timer deadline_;
  std::chrono::steady_clock::time_point started_;
  std::list<PendingSession*>::iterator pending_;  // shared_.pending.end() once requested
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

std::unique_ptr<boost::asio::ssl::context> TlsContext(const HttpSecurity& security) {
  if (security.tls_cert_file.empty()) return nullptr;
  namespace ssl = boost::asio::ssl;
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  boost::system::error_code error;
  context->use_certificate_chain_file(security.tls_cert_file, error);
  if (error) {
    throw std::runtime_error("metrics.tls.cert_file " + security.tls_cert_file +
                             ": cannot load: " + error.message());
  }
  context->use_private_key_file(security.tls_key_file, ssl::context::pem, error);
  if (error) {
    throw std::runtime_error("metrics.tls.key_file " + security.tls_key_file +
                             ": cannot load (or it does not match cert_file): " + error.message());
  }
  return context;
}

}  // namespace

HttpServer::HttpServer(const std::string& listen, HttpHandler handler, const HttpSecurity& security,
                       const HttpLimits& limits)
    : handler_(std::move(handler)),
      expected_authorization_(
          security.basic_auth
              ? "Basic " + Base64(security.basic_auth->first + ":" + security.basic_auth->second)
              : ""),
      open_paths_(security.open_paths),
      tls_(TlsContext(security)),
      limits_(limits),
      acceptor_(io_),
      accept_retry_(io_) {
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
  try {
    thread_ = std::thread([this] {
      log::NameThread("http");
      io_.run();
    });
  } catch (const std::system_error& e) {
    throw std::runtime_error("metrics server: cannot start its thread: " + std::string(e.what()));
  }
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void HttpServer::Accept() {
  acceptor_.async_accept([this](const boost::system::error_code& error, tcp::socket socket) {
    if (!acceptor_.is_open()) return;
    if (error) {
      // Out of descriptors (EMFILE) or another accept error: the pending connection stays in
      // the backlog; trying again at once would spin. Sessions end by their deadline and free
      // descriptors meanwhile.
      accept_retry_.expires_after(std::chrono::milliseconds(100));
      accept_retry_.async_wait([this](const boost::system::error_code& e) {
        if (!e && acceptor_.is_open()) Accept();
      });
      return;
    }
    // At the cap, the oldest connection still without a request makes room (its descriptor is
    // closed now; the session itself goes once its read ends): a flood of idle connections cannot
    // keep out a scraper, which sends its request as it connects.
    bool room = sessions_ < limits_.max_sessions;
    if (!room && !pending_.empty()) {
      pending_.front()->Abort();
      room = true;
    }
    if (!room) {
      boost::system::error_code ignored;
      socket.close(ignored);  // every one is being answered: shed at once
    } else {
      const Shared shared{handler_,
                          expected_authorization_,
                          open_paths_,
                          sessions_,
                          pending_,
                          limits_.session_deadline,
                          limits_.request_deadline};
      if (tls_) {
        std::make_shared<Session<TlsStream>>(TlsStream(std::move(socket), *tls_), shared)->Start();
      } else {
        std::make_shared<Session<tcp::socket>>(std::move(socket), shared)->Start();
      }
    }
    Accept();
  });
}

}  // namespace brokerload::app
