#include "app/config_checks.hpp"

#include <cstdint>

#include "accounting/target_accounting.hpp"

namespace brokerload::app {

std::optional<std::string> CheckTrackingMemory(const config::Config& config) {
  constexpr std::uint64_t kMaxBytes = std::uint64_t{1} << 30;
  const bool any_source = config.run.role == config::Role::kConsumeOnly;
  const auto receive =
      any_source ? accounting::ReceiveMode::kAnySource : accounting::ReceiveMode::kOwnRun;
  const std::uint64_t targets = (config.kafka ? 1u : 0u) + (config.nats ? 1u : 0u);
  const auto topics = static_cast<std::uint64_t>(config.workload.topics);
  const auto keys = static_cast<std::uint64_t>(config.workload.keys);
  const std::uint64_t bytes =
      targets * accounting::TargetAccounting::EstimateBytes(topics, keys, receive) +
      targets * accounting::BrokerFigures::Bytes();  // the latencies by broker
  if (bytes <= kMaxBytes) return std::nullopt;
  return std::to_string(topics) + " topics x " + std::to_string(keys) + " keys on " +
         std::to_string(targets) + " target(s) would need about " + std::to_string(bytes >> 20) +
         " MiB of accounting memory (" +
         std::to_string(accounting::TargetAccounting::EstimateBytes(1, keys, receive) >> 10) +
         " KiB per topic and target" +
         (any_source ? ", tracking up to " + std::to_string(accounting::SourceTable::kCapacity) +
                           " producers in consume-only"
                     : std::string()) +
         "); at most " + std::to_string(kMaxBytes >> 20) + " MiB: use fewer topics or keys";
}

}  // namespace brokerload::app
