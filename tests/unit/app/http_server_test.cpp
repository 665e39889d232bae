#include "app/http_server.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>
#include <vector>

namespace brokerload::app {
namespace {

std::string Request(unsigned short port, const std::string& request) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  boost::asio::write(socket, boost::asio::buffer(request));
  std::string response;
  boost::system::error_code error;
  boost::asio::read(socket, boost::asio::dynamic_buffer(response), error);
  return response;
}

HttpResponse Handler(const std::string& path) {
  if (path == "/metrics") return {200, "text/plain", "brokerload_up 1\n"};
  return {404, "text/plain", "no\n"};
}

TEST(HttpServer, ServesTheHandlersAnswerOnAFreePort) {
  HttpServer server("127.0.0.1:0", Handler);
  ASSERT_NE(server.Port(), 0);
  const std::string response = Request(server.Port(), "GET /metrics?x=1 HTTP/1.1\r\n\r\n");
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
  EXPECT_NE(response.find("Content-Length: 16\r\n"), std::string::npos);
  EXPECT_NE(response.find("\r\n\r\nbrokerload_up 1\n"), std::string::npos);
}

TEST(HttpServer, AnswersNotFoundAndRefusesOtherMethods) {
  HttpServer server("127.0.0.1:0", Handler);
  EXPECT_EQ(Request(server.Port(), "GET /nope HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404", 0), 0u);
  EXPECT_EQ(Request(server.Port(), "POST /metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 405", 0), 0u);
}

TEST(HttpServer, HeadHasHeadersButNoBody) {
  HttpServer server("127.0.0.1:0", Handler);
  const std::string response = Request(server.Port(), "HEAD /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(response.substr(response.size() - 4), "\r\n\r\n");
}

boost::asio::ip::tcp::socket Idle(boost::asio::io_context& io, unsigned short port) {
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  return socket;
}

// True when the server closed `socket` (a read ends with EOF or a reset) within `wait`.
bool ClosedByServer(boost::asio::ip::tcp::socket& socket, std::chrono::milliseconds wait) {
  const int fd = socket.native_handle();
  timeval tv{static_cast<time_t>(wait.count() / 1000),
             static_cast<suseconds_t>((wait.count() % 1000) * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char byte = 0;
  const ssize_t n = ::recv(fd, &byte, 1, 0);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

// An idle connection (no request) is closed at the deadline, not kept forever.
TEST(HttpServer, AnIdleConnectionIsClosedAtTheDeadline) {
  HttpServer server("127.0.0.1:0", Handler, {}, {std::chrono::milliseconds(300), 64});
  boost::asio::io_context io;
  auto socket = Idle(io, server.Port());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(ClosedByServer(socket, std::chrono::seconds(5)));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(250));
  EXPECT_LT(took, std::chrono::seconds(3));
}

// At the cap, a new connection pushes out the oldest one that has sent no request: a scrape
// answers at once however many idle connections came first (slowloris), and those that did send
// theirs are not pushed out.
TEST(HttpServer, AtTheCapTheOldestConnectionWithoutARequestMakesRoomForAScrape) {
  HttpServer server("127.0.0.1:0", Handler, {}, {std::chrono::seconds(10), 4});
  boost::asio::io_context io;
  std::vector<boost::asio::ip::tcp::socket> idle;
  for (int i = 0; i < 40; ++i) idle.push_back(Idle(io, server.Port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // all accepted, most pushed out
  const auto start = std::chrono::steady_clock::now();
  for (int scrape = 0; scrape < 5; ++scrape) {
    const std::string response = Request(server.Port(), "GET /metrics HTTP/1.1\r\n\r\n");
    EXPECT_EQ(response.rfind("HTTP/1.1 200 OK", 0), 0u) << response;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_TRUE(ClosedByServer(idle.front(), std::chrono::milliseconds(200)));
}

// A client that connects and sends its headers slowly is closed at the request deadline, long
// before the session deadline.
TEST(HttpServer, RequestHeadersMustArriveWithinTheRequestDeadline) {
  HttpServer server("127.0.0.1:0", Handler, {},
                    {std::chrono::seconds(10), 64, std::chrono::milliseconds(300)});
  boost::asio::io_context io;
  auto socket = Idle(io, server.Port());
  boost::asio::write(socket, boost::asio::buffer(std::string("GET /metrics HTTP/1.1\r\n")));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(ClosedByServer(socket, std::chrono::seconds(5)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

// With the process out of descriptors, the accept loop waits instead of spinning, and answers
// again once descriptors are free.
TEST(HttpServer, OutOfDescriptorsNeitherSpinsNorStopsServing) {
  HttpServer server("127.0.0.1:0", Handler, {}, {std::chrono::milliseconds(500), 64});
  boost::asio::io_context io;
  // A client socket first (it needs a descriptor), then use up the rest.
  boost::asio::ip::tcp::socket client(io);
  client.open(boost::asio::ip::tcp::v4());
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
  rlimit low = old;
  low.rlim_cur = std::min<rlim_t>(old.rlim_cur, 1024);  // so that running out is quick
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> hogs;
  for (int fd = ::dup(0); fd >= 0; fd = ::dup(0)) hogs.push_back(fd);
  ASSERT_EQ(errno, EMFILE);
  client.connect({boost::asio::ip::make_address("127.0.0.1"), server.Port()});  // backlog
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  auto cpu_ms = [](const rusage& u) {
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000.0 +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1000.0;
  };
  for (int fd : hogs) ::close(fd);
  setrlimit(RLIMIT_NOFILE, &old);
  EXPECT_LT(cpu_ms(after) - cpu_ms(before), 150.0) << "the accept loop spun";
  // The connection waiting in the backlog is served once a descriptor is free.
  boost::asio::write(client, boost::asio::buffer(std::string("GET /metrics HTTP/1.1\r\n\r\n")));
  std::string response;
  boost::system::error_code error;
  boost::asio::read(client, boost::asio::dynamic_buffer(response), error);
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK", 0), 0u) << response;
}

// A self-signed certificate and key for localhost, as PEM files in the test's temp dir.
struct SelfSigned {
  std::string cert = ::testing::TempDir() + "/cert-" + std::to_string(getpid()) + ".pem";
  std::string key = ::testing::TempDir() + "/key-" + std::to_string(getpid()) + ".pem";
  SelfSigned() {
    EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    X509* x509 = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x509), 1);
    X509_gmtime_adj(X509_getm_notBefore(x509), 0);
    X509_gmtime_adj(X509_getm_notAfter(x509), 3600);
    X509_set_pubkey(x509, pkey);
    X509_NAME* name = X509_get_subject_name(x509);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(x509, name);
    X509_sign(x509, pkey, EVP_sha256());
    FILE* f = std::fopen(cert.c_str(), "w");
    PEM_write_X509(f, x509);
    std::fclose(f);
    f = std::fopen(key.c_str(), "w");
    PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    X509_free(x509);
    EVP_PKEY_free(pkey);
  }
  ~SelfSigned() {
    std::remove(cert.c_str());
    std::remove(key.c_str());
  }
};

std::string TlsRequest(unsigned short port, const std::string& request) {
  namespace ssl = boost::asio::ssl;
  boost::asio::io_context io;
  ssl::context context(ssl::context::tls_client);
  context.set_verify_mode(ssl::verify_none);  // self-signed; the handshake is what is tested
  ssl::stream<boost::asio::ip::tcp::socket> stream(io, context);
  stream.lowest_layer().connect({boost::asio::ip::make_address("127.0.0.1"), port});
  stream.handshake(ssl::stream_base::client);
  boost::asio::write(stream, boost::asio::buffer(request));
  std::string response;
  boost::system::error_code error;
  boost::asio::read(stream, boost::asio::dynamic_buffer(response), error);
  return response;
}

TEST(HttpServer, ServesOverTlsOnly) {
  const SelfSigned files;
  HttpSecurity security;
  security.tls_cert_file = files.cert;
  security.tls_key_file = files.key;
  HttpServer server("127.0.0.1:0", Handler, security);
  const std::string response = TlsRequest(server.Port(), "GET /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
  EXPECT_NE(response.find("brokerload_up 1"), std::string::npos);
  // Plain HTTP gets no HTTP answer.
  EXPECT_EQ(Request(server.Port(), "GET /metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1", 0),
            std::string::npos);
}

TEST(HttpServer, AnUnloadableCertificateIsAClearError) {
  HttpSecurity security;
  security.tls_cert_file = "/nonexistent/cert.pem";
  security.tls_key_file = "/nonexistent/key.pem";
  try {
    HttpServer server("127.0.0.1:0", Handler, security);
    FAIL() << "served without a certificate";
  } catch (const std::runtime_error& error) {
    EXPECT_EQ(std::string(error.what())
                  .rfind("metrics.tls.cert_file /nonexistent/cert.pem: "
                         "cannot load",
                         0),
              0u)
        << error.what();
  }
}

TEST(HttpServer, BasicAuthGuardsAllButTheOpenPaths) {
  HttpSecurity security;
  security.basic_auth.emplace("prometheus", "s3cret");
  security.open_paths = {"/healthz"};
  HttpServer server(
      "127.0.0.1:0",
      [](const std::string& path) {
        return HttpResponse{200, "text/plain", "at " + path + "\n"};
      },
      security);
  const std::string none = Request(server.Port(), "GET /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(none.rfind("HTTP/1.1 401 Unauthorized\r\n", 0), 0u) << none;
  EXPECT_NE(none.find("WWW-Authenticate: Basic realm=\"brokerload\"\r\n"), std::string::npos);
  // base64("prometheus:wrong") and base64("prometheus:s3cret")
  EXPECT_EQ(
      Request(server.Port(),
              "GET /metrics HTTP/1.1\r\nAuthorization: Basic cHJvbWV0aGV1czp3cm9uZw==\r\n\r\n")
          .rfind("HTTP/1.1 401", 0),
      0u);
  EXPECT_EQ(Request(server.Port(),
                    "GET /metrics HTTP/1.1\r\nHost: x\r\nauthorization: Basic "
                    "cHJvbWV0aGV1czpzM2NyZXQ=\r\n\r\n")
                .rfind("HTTP/1.1 200", 0),
            0u);
  EXPECT_EQ(Request(server.Port(), "GET /healthz HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 200", 0), 0u);
}

TEST(HttpServer, APortInUseIsAClearError) {
  HttpServer first("127.0.0.1:0", Handler);
  try {
    HttpServer second("127.0.0.1:" + std::to_string(first.Port()), Handler);
    FAIL() << "a second server bound the same port";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("cannot listen"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace brokerload::app
