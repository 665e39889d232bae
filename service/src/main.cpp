// brokerload's entry point: parses arguments and maps outcomes to exit codes.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "app/cleanup.hpp"
#include "app/compare.hpp"
#include "app/config_checks.hpp"
#include "app/exit_codes.hpp"
#include "app/runner.hpp"
#include "app/version.hpp"
#include "config/environment.hpp"
#include "config/loader.hpp"
#include "driver/factory.hpp"
#include "log/log.hpp"

namespace {

using namespace brokerload;

constexpr std::string_view kUsage =
    "usage:\n"
    "  brokerload run --config FILE [--log-level debug|info|warn|error]\n"
    "  brokerload compare --config FILE --out DIR [--profile seed] [--seed-rate R]\n"
    "                     [--seed-min-duration DURATION] [--warmup DURATION]\n"
    "                     [--side-by-side] [--repeat N] [--baseline OLD.json]\n"
    "                     [--max-throughput-drop PCT] [--max-p99-rise PCT]\n"
    "  brokerload validate-config FILE\n"
    "  brokerload cleanup --config FILE [--replicas N] [--dry-run] [--wait DURATION]\n"
    "  brokerload --version | --help\n"
    "exit codes: 0 ok, 2 invalid config, 3 broker unavailable at start, 4 runtime error,\n"
    "            5 compare found a regression against its baseline, 64 bad command line,\n"
    "            128 + signal: compare interrupted (its report says so)\n";

int Usage(const std::string& problem) {
  std::fprintf(stderr, "brokerload: %s\n%s", problem.c_str(), kUsage.data());
  return app::kExitUsage;
}

// Loads and validates; prints every problem. Returns nullopt when there was any.
std::optional<config::Config> Load(const std::string& path) {
  config::LoadResult result =
      config::LoadFile(path, driver::CheckClientProperty, app::CheckTrackingMemory);
  for (const config::ConfigError& warning : result.warnings) {
    std::fprintf(stderr, "warning: %s\n", warning.ToString().c_str());
  }
  for (const config::ConfigError& error : result.errors) {
    std::fprintf(stderr, "%s\n", error.ToString().c_str());
  }
  if (!result.errors.empty()) {
    std::fprintf(stderr, "brokerload: %zu problem(s) in %s\n", result.errors.size(), path.c_str());
  }
  // Part of what a run is configured with: it names the topics of a replica (topics_per_replica).
  const char* producer_id = std::getenv(config::kProducerIdVariable);
  if (producer_id != nullptr && !config::ParseProducerId(producer_id)) {
    std::fprintf(stderr,
                 "brokerload: %s: expected a whole number from 0 to 4294967295 (each replica's "
                 "own, such as its pod's ordinal), got '%s'\n",
                 config::kProducerIdVariable, producer_id);
    return std::nullopt;
  }
  return std::move(result.config);
}

// log.level from the file, unless --log-level was given (`given`): the command line wins.
void ApplyConfigLogLevel(const config::Config& config, bool given) {
  if (!given) log::SetLevel(config.log.level);
}

bool SetLogLevel(const std::string& level) {
  if (level == "debug") {
    log::SetLevel(log::Level::kDebug);
  } else if (level == "warn") {
    log::SetLevel(log::Level::kWarn);
  } else if (level == "error") {
    log::SetLevel(log::Level::kError);
  } else if (level != "info") {
    return false;
  }
  return true;
}

bool ParsePercent(const std::string& text, double& fraction) {
  try {
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    if (used != text.size() || value < 0 || value > 1e6) return false;
    fraction = value / 100;
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

int CompareCommand(const std::vector<std::string>& args) {
  std::string config_path;
  std::string profile;
  double seed_rate = 10'000;
  config::Duration seed_min_duration{0};
  bool log_level_given = false;
  app::CompareOptions options;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag == "--side-by-side") {
      options.side_by_side = true;
      continue;
    }
    if (i + 1 >= args.size()) return Usage("compare: " + flag + " needs a value");
    const std::string& value = args[++i];
    if (flag == "--config") {
      config_path = value;
    } else if (flag == "--out") {
      options.out_dir = value;
    } else if (flag == "--profile") {
      if (value != "seed") return Usage("compare: --profile: expected seed, got '" + value + "'");
      profile = value;
    } else if (flag == "--seed-rate") {
      try {
        seed_rate = std::stod(value);
      } catch (const std::exception&) {
        seed_rate = -1;
      }
      if (!(seed_rate > 0))
        return Usage("compare: --seed-rate: expected msg/s above 0, got '" + value + "'");
    } else if (flag == "--seed-min-duration") {
      const auto duration = config::ParseDuration(value);
      if (!duration)
        return Usage("compare: --seed-min-duration: expected a duration such as 20s, got '" +
                     value + "'");
      seed_min_duration = *duration;
    } else if (flag == "--warmup") {
      const auto warmup = config::ParseDuration(value);
      if (!warmup)
        return Usage("compare: --warmup: expected a duration such as 2s, got '" + value + "'");
      options.warmup = *warmup;
    } else if (flag == "--baseline") {
      options.baseline = value;
    } else if (flag == "--repeat") {
      try {
        std::size_t used = 0;
        options.repeat = std::stoi(value, &used);
        if (used != value.size()) options.repeat = 0;
      } catch (const std::exception&) {
        options.repeat = 0;
      }
      if (options.repeat < 1 || options.repeat > 20) {
        return Usage("compare: --repeat: expected a number of runs from 1 to 20, got '" + value +
                     "'");
      }
    } else if (flag == "--max-throughput-drop") {
      if (!ParsePercent(value, options.tolerances.throughput_drop)) {
        return Usage("compare: --max-throughput-drop: expected a percentage, got '" + value + "'");
      }
    } else if (flag == "--max-p99-rise") {
      if (!ParsePercent(value, options.tolerances.p99_rise)) {
        return Usage("compare: --max-p99-rise: expected a percentage, got '" + value + "'");
      }
    } else if (flag == "--log-level") {
      if (!SetLogLevel(value)) return Usage("--log-level: expected debug, info, warn or error");
      log_level_given = true;
    } else {
      return Usage("compare: unknown option '" + flag + "'");
    }
  }
  if (config_path.empty()) return Usage("compare needs --config FILE");
  if (options.out_dir.empty()) return Usage("compare needs --out DIR");
  std::optional<config::Config> config = Load(config_path);
  if (!config) return app::kExitConfig;
  ApplyConfigLogLevel(*config, log_level_given);
  if (profile == "seed") {  // the seed's stages; the config's burst_interval still applies
    const config::Duration burst_interval = config->profile.burst_interval;
    const bool burst_auto = config->profile.burst_auto;
    config->profile = config::SeedProfile(seed_rate, seed_min_duration);
    config->profile.burst_interval = burst_interval;
    config->profile.burst_auto = burst_auto;
  }
  return app::Compare(*config, options);
}

}  // namespace

int CleanupCommand(const std::vector<std::string>& args) {
  std::string config_path;
  std::uint32_t replicas = 1;
  bool dry_run = false;
  std::chrono::seconds wait{0};
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (args[i] == "--replicas" && i + 1 < args.size()) {
      const std::string& value = args[++i];
      char* end = nullptr;
      const unsigned long n = std::strtoul(value.c_str(), &end, 10);
      if (value.empty() || *end != 0 || n == 0 || n > 10'000) {
        return Usage("cleanup: --replicas: expected 1 to 10000, got '" + value + "'");
      }
      replicas = static_cast<std::uint32_t>(n);
    } else if (args[i] == "--dry-run") {
      dry_run = true;
    } else if (args[i] == "--wait" && i + 1 < args.size()) {
      const std::string& value = args[++i];
      const auto duration = config::ParseDuration(value);
      if (!duration || *duration < app::kQuietBeforeCleanup) {
        return Usage("cleanup: --wait: expected a duration of 10s or more, got '" + value + "'");
      }
      wait = std::chrono::duration_cast<std::chrono::seconds>(*duration);
    } else {
      return Usage("cleanup: unknown or incomplete option '" + args[i] + "'");
    }
  }
  if (config_path.empty()) return Usage("cleanup needs --config FILE");
  const std::optional<config::Config> config = Load(config_path);
  if (!config) return app::kExitConfig;
  if (wait.count() > 0 && wait < app::QuietBeforeCleanup(*config)) {
    wait = app::QuietBeforeCleanup(*config);
    std::fprintf(stderr,
                 "cleanup: --wait raised to %lld s, the quiet time this config's runs need "
                 "(run.publish_timeout + run.drain_timeout)\n",
                 static_cast<long long>(wait.count()));
  }
  log::SetLevel(log::Level::kWarn);
  return app::Cleanup(*config, replicas, dry_run, wait);
}

int Main(const std::vector<std::string>& args) {
  if (args.empty()) return Usage("no command");
  const std::string& command = args[0];
  if (command == "--version" || command == "version") {
    std::fputs(app::VersionReport().c_str(), stdout);
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
    std::optional<std::string> level;
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
    if (level && !SetLogLevel(*level)) {
      return Usage("--log-level: expected debug, info, warn or error, got '" + *level + "'");
    }
    const std::optional<config::Config> config = Load(config_path);
    if (!config) return app::kExitConfig;
    ApplyConfigLogLevel(*config, level.has_value());
    return app::Run(*config, {config_path, level.has_value()});
  }
  if (command == "compare") return CompareCommand(args);
  if (command == "cleanup") return CleanupCommand(args);
  return Usage("unknown command '" + command + "'");
}

int main(int argc, char** argv) {
  // What escapes (a thread that cannot be created, memory that cannot be had) is a runtime error
  // with its reason, not an abort.
  try {
    return Main(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::system_error& error) {
    std::fprintf(stderr, "brokerload: fatal: the system refused a thread or a resource: %s\n",
                 error.what());
  } catch (const std::exception& error) {
    std::fprintf(stderr, "brokerload: fatal: %s\n", error.what());
  } catch (...) {
    std::fprintf(stderr, "brokerload: fatal: an unknown exception\n");
  }
  return app::kExitRuntime;
}
