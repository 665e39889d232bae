// brokerload's entry point: parses arguments and maps outcomes to exit codes.
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/exit_codes.hpp"
#include "app/runner.hpp"
#include "app/version.hpp"
#include "config/loader.hpp"
#include "log/log.hpp"

namespace {

using namespace brokerload;

constexpr std::string_view kUsage =
    "usage:\n"
    "  brokerload run --config FILE [--log-level debug|info|warn|error]\n"
    "  brokerload validate-config FILE\n"
    "  brokerload --version | --help\n"
    "exit codes: 0 ok, 2 invalid config, 3 broker unavailable at start, 4 runtime error,\n"
    "            64 bad command line\n";

int Usage(const std::string& problem) {
  std::fprintf(stderr, "brokerload: %s\n%s", problem.c_str(), kUsage.data());
  return app::kExitUsage;
}

// Loads and validates; prints every problem. Returns nullopt when there was any.
std::optional<config::Config> Load(const std::string& path) {
  config::LoadResult result = config::LoadFile(path);
  for (const config::ConfigError& error : result.errors) {
    std::fprintf(stderr, "%s\n", error.ToString().c_str());
  }
  if (!result.errors.empty()) {
    std::fprintf(stderr, "brokerload: %zu problem(s) in %s\n", result.errors.size(), path.c_str());
  }
  return std::move(result.config);
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return Usage("no command");
  const std::string& command = args[0];
  if (command == "--version" || command == "version") {
    std::printf("brokerload %s\n", std::string(app::Version()).c_str());
    return app::kExitOk;
  }
  if (command == "--help" || command == "help") {
    std::fputs(kUsage.data(), stdout);
    return app::kExitOk;
  }
  if (command == "validate-config") {
    if (args.size() != 2) return Usage("validate-config takes one FILE");
    if (!Load(args[1])) return app::kExitConfig;
    std::printf("%s: valid\n", args[1].c_str());
    return app::kExitOk;
  }
  if (command == "run") {
    std::string config_path;
    std::string level = "info";
    for (std::size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "--config" && i + 1 < args.size()) {
        config_path = args[++i];
      } else if (args[i] == "--log-level" && i + 1 < args.size()) {
        level = args[++i];
      } else {
        return Usage("unknown or incomplete option '" + args[i] + "'");
      }
    }
    if (config_path.empty()) return Usage("run needs --config FILE");
    if (level == "debug") {
      log::SetLevel(log::Level::kDebug);
    } else if (level == "warn") {
      log::SetLevel(log::Level::kWarn);
    } else if (level == "error") {
      log::SetLevel(log::Level::kError);
    } else if (level != "info") {
      return Usage("--log-level: expected debug, info, warn or error, got '" + level + "'");
    }
    const std::optional<config::Config> config = Load(config_path);
    if (!config) return app::kExitConfig;
    return app::Run(*config);
  }
  return Usage("unknown command '" + command + "'");
}
