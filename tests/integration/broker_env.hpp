#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace brokerload::testing {

// Reads `key` (KAFKA_BOOTSTRAP or NATS_URL) from the env file that the `brokers` ctest fixture
// writes, at the path in $BROKERLOAD_BROKERS_ENV. Fails, never skips, when the broker is missing.
::testing::AssertionResult LoadBrokerAddress(std::string_view key, std::string& address);

// A config's `targets:` section for one target, "kafka" or "nats" (its stream capped at 16 MiB so
// that tests do not fill the server's memory), at the fixture's address in `address`.
::testing::AssertionResult SingleTargetYaml(const std::string& target, std::string& yaml,
                                            std::string& address);

// A config's `targets:` section with both targets at the fixture's addresses.
::testing::AssertionResult BothTargetsYaml(std::string& yaml);

// A name unique to this process and call, for topics, streams and groups.
std::string UniqueName(std::string_view prefix);

}  // namespace brokerload::testing
