// libFuzzer target: the config loader on arbitrary text. Whatever the input, Parse returns a
// config or errors (never throws, crashes, hangs or leaks), every error names a place, and a
// config it accepts satisfies the loader's own invariants.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace brokerload::config;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const LoadResult result = Parse(text, "fuzz.yaml");
  if (result.config.has_value() == !result.errors.empty()) std::abort();
  for (const ConfigError& e : result.errors) {
    if (e.file != "fuzz.yaml" || e.message.empty()) std::abort();
  }
  if (result.config) {
    const Config& c = *result.config;
    if (!c.kafka && !c.nats) std::abort();
    if (c.profile.stages.empty() || c.workload.topics < 1) std::abort();
    if (c.workload.max_size < c.workload.min_size) std::abort();
  }
  return 0;
}
