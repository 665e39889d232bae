// Payloads with brokerload's header, as the accounting tests hand them to TargetAccounting.
#pragma once

#include <cstdint>
#include <vector>

#include "accounting/target_accounting.hpp"
#include "message/header.hpp"

namespace brokerload::accounting::testing {

inline constexpr RunIdentity kRun{0xABCDEF, 3};
inline constexpr std::int64_t kSecond = 1'000'000'000;

inline std::vector<std::byte> Payload(std::uint16_t topic, std::uint64_t sequence,
                                      std::uint32_t key = message::kNoKey, RunIdentity run = kRun,
                                      std::int64_t intended_ns = 1'000,
                                      std::int64_t actual_ns = 2'000) {
  std::vector<std::byte> payload(64);
  message::Header h;
  h.run_id = run.run_id;
  h.producer_id = run.producer_id;
  h.topic = topic;
  h.key = key;
  h.sequence = sequence;
  h.intended_ns = intended_ns;
  h.actual_ns = actual_ns;
  message::Encode(h, payload);
  return payload;
}

}  // namespace brokerload::accounting::testing
