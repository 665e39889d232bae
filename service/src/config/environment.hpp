#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

// What brokerload reads from its environment besides the config file.
namespace brokerload::config {

inline constexpr const char* kProducerIdVariable = "BROKERLOAD_PRODUCER_ID";

// BROKERLOAD_PRODUCER_ID's value: decimal digits only, 0 to 4294967295; nullopt for anything else
// ("brokerload-2", "", "-1", "2 ", a value out of range).
std::optional<std::uint32_t> ParseProducerId(std::string_view text);

}  // namespace brokerload::config
