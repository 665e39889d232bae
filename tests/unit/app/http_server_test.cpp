#include "app/http_server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
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
