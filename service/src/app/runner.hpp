#pragma once

#include <string>

#include "config/config.hpp"

namespace brokerload::app {

struct RunOptions {
  std::string config_path;  // the file `config` was loaded from: reloaded (ConfigReloader)
  bool log_level_from_command_line = false;  // --log-level given: log.level has no effect
};

// Runs the daemon: metrics server first, then each target's clients, consumers and publisher on
// one common schedule, until SIGTERM or SIGINT; then a bounded drain, a summary on stdout, and
// an exit code from exit_codes.hpp. A second signal exits at once. Once publishing, SIGHUP and
// a change of the config file's content reload it; a SIGHUP during the start is served once
// publishing starts, and one during the drain is ignored.
int Run(const config::Config& config, const RunOptions& options);

}  // namespace brokerload::app
