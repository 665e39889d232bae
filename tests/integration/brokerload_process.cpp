#include "brokerload_process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

extern char** environ;

namespace brokerload::testing {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// BROKERLOAD_TEST_BINARY: another build of the daemon (tests/asan's).
std::string Binary() {
  const char* other_binary = std::getenv("BROKERLOAD_TEST_BINARY");
  return other_binary != nullptr ? other_binary : BROKERLOAD_BINARY;
}

}  // namespace

CommandOutput Command(const std::string& command) {
  CommandOutput out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    out.text.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

CommandOutput Cleanup(const std::string& config_path) {
  return Command(Binary() + " cleanup --config " + config_path);
}

BrokerloadProcess::BrokerloadProcess(const std::string& config_yaml, const std::string& extra_env,
                                     const std::vector<std::string>& extra_args) {
  char pattern[] = "/tmp/brokerload-test-XXXXXX";
  if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  std::ofstream(ConfigPath()) << config_yaml;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, (dir_ + "/stdout").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, (dir_ + "/log").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const std::string binary = Binary();
  const std::string config = ConfigPath();
  std::vector<char*> argv = {const_cast<char*>(binary.c_str()), const_cast<char*>("run"),
                             const_cast<char*>("--config"), const_cast<char*>(config.c_str())};
  std::vector<std::string> args = extra_args;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) env.push_back(*e);
  std::string extra = extra_env;
  if (!extra.empty()) env.push_back(extra.data());
  env.push_back(nullptr);
  if (posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), env.data()) != 0) {
    pid_ = -1;
  }
  posix_spawn_file_actions_destroy(&actions);
}

BrokerloadProcess::~BrokerloadProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

unsigned short BrokerloadProcess::WaitForMetricsPort(std::chrono::seconds timeout) {
  const std::regex port_line("metrics on port ([0-9]+)");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline && pid_ > 0) {
    std::smatch match;
    const std::string log = Log();
    if (std::regex_search(log, match, port_line)) {
      return static_cast<unsigned short>(std::stoi(match[1]));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return 0;
}

int BrokerloadProcess::Terminate(std::chrono::seconds timeout) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  return WaitForExit(timeout);
}

int BrokerloadProcess::WaitForExit(std::chrono::seconds timeout) {
  if (pid_ <= 0) return -1;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return -1;
}

std::string BrokerloadProcess::Log() const { return ReadAll(dir_ + "/log"); }
std::string BrokerloadProcess::Stdout() const { return ReadAll(dir_ + "/stdout"); }

std::pair<int, std::string> HttpGet(unsigned short port, const std::string& path) {
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    boost::asio::write(socket, boost::asio::buffer("GET " + path + " HTTP/1.1\r\n\r\n"));
    std::string response;
    boost::system::error_code error;
    boost::asio::read(socket, boost::asio::dynamic_buffer(response), error);
    const auto body = response.find("\r\n\r\n");
    const int status = response.size() > 12 ? std::stoi(response.substr(9, 3)) : 0;
    return {status, body == std::string::npos ? "" : response.substr(body + 4)};
  } catch (const std::exception&) {
    return {0, ""};
  }
}

void ExpectEachMessageOnce(const std::string& exposition,
                           const std::map<std::string, std::string>& labels, double messages) {
  for (const char* name : {"brokerload_messages_published_total", "brokerload_messages_acked_total",
                           "brokerload_messages_consumed_total"}) {
    EXPECT_EQ(SumMetric(exposition, name, labels), messages) << name;
  }
  for (const char* name : {"brokerload_messages_lost_total", "brokerload_messages_duplicated_total",
                           "brokerload_publish_errors_total", "brokerload_sends_dropped_total"}) {
    EXPECT_EQ(SumMetric(exposition, name, labels), 0) << name;
  }
}

double SumMetric(const std::string& exposition, const std::string& name,
                 const std::map<std::string, std::string>& labels) {
  double sum = 0;
  std::istringstream lines(exposition);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto name_end = line.find_first_of("{ ");
    if (line.compare(0, name_end, name) != 0 || name_end != name.size()) continue;
    bool match = true;
    for (const auto& [key, value] : labels) {
      match = match && line.find(key + "=\"" + value + "\"") != std::string::npos;
    }
    if (match) sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

bool WaitForAbove(unsigned short port, std::string& metrics, const std::string& name,
                  const std::string& target, double threshold, std::chrono::seconds timeout) {
  return WaitFor(
      [&] {
        metrics = HttpGet(port, "/metrics").second;
        return SumMetric(metrics, name, {{"target", target}}) > threshold;
      },
      timeout);
}

std::vector<double> SummaryRow(const std::string& stdout_text, const std::string& target) {
  const std::size_t start = stdout_text.find("brokerload summary");
  if (start == std::string::npos) return {};
  std::istringstream lines(stdout_text.substr(start));
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string name;
    fields >> name;
    if (name != target) continue;
    std::vector<double> row(7);
    for (double& value : row) fields >> value;
    return row;
  }
  return {};
}

}  // namespace brokerload::testing
