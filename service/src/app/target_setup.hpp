#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "accounting/target_accounting.hpp"
#include "driver/driver.hpp"
#include "driver/factory.hpp"
#include "pacing/clock.hpp"

// Making a target ready: the setup's retry policy and the probe round trip that proves it.
namespace brokerload::app {

// Calls `attempt` until it succeeds (true), once a second, `undo` after each failure. False with
// `error` once `cancel` is set ("setup cancelled"), at once when `health` says the broker refused
// this client (credentials, certificate, protocol: retrying cannot help), or when another attempt
// would end past `deadline` (the last attempt's error, with the count). Waits at most 100 ms past
// a cancel between attempts; each attempt's own waits end by `deadline`. Logs each retry.
bool RetrySetup(const std::string& name, const std::function<bool(std::string& error)>& attempt,
                const std::function<void()>& undo, const driver::Health& health,
                const std::atomic<bool>& cancel, std::chrono::steady_clock::time_point deadline,
                std::string& error);

// The readiness proof: one probe message to every partition (up to 64) of every topic, by lane
// t % lanes's producer, resent every 2 s while missing, until `accounting` has received each back
// (probes never enter the counts). False with `error` naming the topics still missing at
// `deadline`, or once `cancel` is set ("setup cancelled"). From one thread, before publishing.
bool ProbeRoundTrip(const std::string& name, const std::vector<std::string>& topics,
                    const std::vector<driver::Clients>& lanes,
                    const accounting::TargetAccounting& accounting,
                    accounting::RunIdentity identity, const pacing::Clock& clock,
                    const std::atomic<bool>& cancel, std::chrono::steady_clock::time_point deadline,
                    std::string& error);

}  // namespace brokerload::app
