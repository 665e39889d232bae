#pragma once

#include <nats/nats.h>

#include <chrono>
#include <string>

#include "config/config.hpp"
#include "driver/driver.hpp"

// What a NATS server says of itself, and what a report says of the target.
namespace brokerload::driver::nats {

// The INFO line a server sends first on a plain TCP connection to `url`, before any TLS or
// authentication ("" when none came within `timeout`, connecting included; the name lookup is
// the system's).
std::string InfoLine(const std::string& url,
                     std::chrono::milliseconds timeout = std::chrono::seconds(2));

// The version the connected server announces in its INFO line (cnats keeps it private, so this
// reads it on a short connection of its own, at most ~2 s), or why it is unknown.
std::string ServerVersion(natsConnection* nc);

// The producer's description for reports: versions, stream and consumer settings, durability.
Description DescribeTarget(natsConnection* nc, const config::NatsTarget& target);

}  // namespace brokerload::driver::nats
