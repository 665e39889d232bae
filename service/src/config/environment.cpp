#include "config/environment.hpp"

#include <charconv>

namespace brokerload::config {

std::optional<std::uint32_t> ParseProducerId(std::string_view text) {
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  std::uint32_t id = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return id;
}

}  // namespace brokerload::config
