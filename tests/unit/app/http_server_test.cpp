#include "app/http_server.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <stdexcept>

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
