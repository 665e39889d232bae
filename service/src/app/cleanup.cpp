#include "app/cleanup.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "app/exit_codes.hpp"
#include "app/target_runtime.hpp"
#include "driver/factory.hpp"

namespace brokerload::app {

int Cleanup(const config::Config& config, std::uint32_t replicas, bool dry_run) {
  driver::InitializeClientLibraries();
  std::vector<std::string> topics;
  const std::uint32_t sets = config.workload.topics_per_replica ? replicas : 1;
  for (std::uint32_t id = 0; id < sets; ++id) {
    for (std::string& name : TopicNames(config.workload, id)) topics.push_back(std::move(name));
  }
  std::vector<driver::Backend> backends;
  if (config.kafka) backends.push_back(driver::Backend::kKafka);
  if (config.nats) backends.push_back(driver::Backend::kNats);
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
