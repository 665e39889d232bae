#pragma once

#include <string>

#include "config/config.hpp"

namespace brokerload::app {

// Runs the daemon: metrics server first, then each target's clients, consumers and publisher on
// one common schedule, until SIGTERM or SIGINT; then a bounded drain, a summary on stdout, and
// an exit code from exit_codes.hpp. A second signal exits at once.
int Run(const config::Config& config);

}  // namespace brokerload::app
