#include "app/cleanup.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "app/exit_codes.hpp"
#include "app/target_runtime.hpp"
#include "driver/factory.hpp"

namespace brokerload::app {
namespace {

// Until nothing uses `topics` (see Cleanup in the header) or `wait` has passed: kExitOk, or
// kExitRuntime naming what is still in use (kExitBrokerUnavailable when the last ask of a broker
// failed). A broker that cannot be asked counts as in use, and is asked again: a leader election
// or a restart during the wait does not end it.
int WaitUntilUnused(const config::Config& config, const std::vector<driver::Backend>& backends,
                    const std::vector<std::string>& topics, std::chrono::seconds wait,
                    std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const std::chrono::seconds quiet = QuietBeforeCleanup(config);
  const Clock::time_point deadline = Clock::now() + wait;
  std::vector<std::uint64_t> ends(backends.size(), 0);
  std::vector<Clock::time_point> moved(backends.size(), Clock::now());
  for (bool first = true;; first = false) {
    const Clock::time_point now = Clock::now();
    std::string busy;
    bool unreachable = false;
    for (std::size_t i = 0; i < backends.size(); ++i) {
      const std::string target(driver::BackendName(backends[i]));
      driver::UseReport use;
      std::string error;
      if (!driver::Activity(backends[i], config, topics, timeout, use, error)) {
        busy += "; " + target + ": cannot ask: " + error;
        unreachable = true;
        moved[i] = now;
        continue;
      }
      if (first || use.messages != ends[i] || !use.in_use.empty()) moved[i] = now;
      ends[i] = use.messages;
      for (const std::string& name : use.in_use) busy += "; " + target + ": " + name;
      if (use.in_use.empty() && now - moved[i] < quiet) {
        busy += "; " + target + ": messages arrived within " + std::to_string(quiet.count()) +
                " s (" + std::to_string(use.messages) + " so far)";
      }
    }
    if (busy.empty()) return kExitOk;
    if (now >= deadline) {
      std::fprintf(stderr, "cleanup: still in use after %lld s, nothing deleted: %s\n",
                   static_cast<long long>(wait.count()), busy.substr(2).c_str());
      return unreachable ? kExitBrokerUnavailable : kExitRuntime;
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
}

}  // namespace

std::chrono::seconds QuietBeforeCleanup(const config::Config& config) {
  return std::max(kQuietBeforeCleanup, std::chrono::ceil<std::chrono::seconds>(
                                           config.run.publish_timeout + config.run.drain_timeout));
}

int Cleanup(const config::Config& config, std::uint32_t replicas, bool dry_run,
            std::chrono::seconds wait) {
  driver::InitializeClientLibraries();
  std::vector<std::string> topics;
  const std::uint32_t sets = config.workload.topics_per_replica ? replicas : 1;
  for (std::uint32_t id = 0; id < sets; ++id) {
    for (std::string& name : TopicNames(config.workload, id)) topics.push_back(std::move(name));
  }
  std::vector<driver::Backend> backends;
  if (config.kafka) backends.push_back(driver::Backend::kKafka);
  if (config.nats) backends.push_back(driver::Backend::kNats);
  if (wait.count() > 0 && !dry_run) {
    // Each ask bounded, so that the wait stays near `wait` (cnats' own timeouts bound NATS).
    const auto ask = std::min<std::chrono::milliseconds>(
        std::chrono::duration_cast<std::chrono::milliseconds>(config.run.startup_timeout),
        std::chrono::seconds(5));
    const int waited = WaitUntilUnused(config, backends, topics, wait, ask);
    if (waited != kExitOk) return waited;
  }
  int exit_code = kExitOk;
  for (const driver::Backend backend : backends) {
    const std::string target(driver::BackendName(backend));
    driver::CleanupReport report;
    std::string error;
    const auto timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(config.run.startup_timeout);
    // Topics or streams created elsewhere (topic.create / stream.create false) are not its own.
    const bool created = backend == driver::Backend::kKafka ? config.kafka->topic.create
                                                            : config.nats->stream.create;
    if (!created) {
      for (const std::string& topic : topics) {
        report.kept.push_back(topic + ": not created by brokerload (" +
                              (backend == driver::Backend::kKafka ? "topic" : "stream") +
                              ".create: false)");
      }
    }
    if (!driver::Cleanup(backend, config, created ? topics : std::vector<std::string>{}, dry_run,
                         timeout, report, error)) {
      for (const std::string& name : report.deleted) {
        std::printf("%s: deleted %s\n", target.c_str(), name.c_str());
      }
      std::fprintf(stderr, "%s: cleanup failed: %s\n", target.c_str(), error.c_str());
      exit_code = kExitBrokerUnavailable;
      continue;
    }
    for (const std::string& name : report.deleted) {
      std::printf("%s: deleted %s\n", target.c_str(), name.c_str());
    }
    for (const std::string& name : report.absent) {
      std::printf("%s: %s was not there\n", target.c_str(), name.c_str());
    }
    for (const std::string& name : report.kept) {
      if (dry_run && name.ends_with(": dry run")) {
        std::printf("%s: would delete %s\n", target.c_str(),
                    name.substr(0, name.rfind(": dry run")).c_str());
      } else {
        std::printf("%s: kept %s\n", target.c_str(), name.c_str());
      }
    }
    const bool kept_any =
        std::any_of(report.kept.begin(), report.kept.end(), [](const std::string& name) {
          return !name.ends_with(": dry run") && name.find(".create: false)") == std::string::npos;
        });
    if (kept_any && exit_code == kExitOk) exit_code = kExitRuntime;
  }
  return exit_code;
}

}  // namespace brokerload::app
