#pragma once

namespace brokerload::app {

// Distinct exit codes, documented in README.md.
inline constexpr int kExitOk = 0;
inline constexpr int kExitConfig = 2;             // the config file is invalid or unreadable
inline constexpr int kExitBrokerUnavailable = 3;  // a target could not be set up at start
inline constexpr int kExitRuntime = 4;            // e.g. the metrics port is taken
inline constexpr int kExitRegression = 5;         // compare --baseline found a regression
inline constexpr int kExitUsage = 64;             // bad command line
// compare stopped by a signal: this plus the signal (130 SIGINT, 143 SIGTERM), its report
// marked interrupted.
inline constexpr int kExitInterrupted = 128;

}  // namespace brokerload::app
