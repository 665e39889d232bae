#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

// The binary header that brokerload writes at the start of every payload, so that any consumer
// can tell which run, producer, topic, key and sequence number a message carries, and when it was
// meant to be sent and was sent. Little-endian, fixed size, with a check word: a payload whose
// header does not decode is "foreign". Thread-safe: pure functions.
namespace brokerload::message {

inline constexpr std::size_t kHeaderSize = 56;
inline constexpr std::uint32_t kNoKey = 0xFFFFFFFFu;
// A probe: the readiness round trip before a run's schedule starts; never part of its counts.
inline constexpr std::uint64_t kProbeSequence = 0xFFFFFFFFFFFFFFFFull;

struct Header {
  std::uint64_t run_id = 0;       // new at every start of brokerload
  std::uint32_t producer_id = 0;  // the producing instance within a deployment
  std::uint16_t topic = 0;        // index of the topic within the workload
  std::uint32_t key = kNoKey;     // aggregate key, or kNoKey
  std::uint64_t sequence = 0;     // per run, producer and topic, from 0, without gaps
  std::int64_t intended_ns = 0;   // scheduled send time, ns since the Unix epoch
  std::int64_t actual_ns = 0;     // time the send was handed to the client library

  friend bool operator==(const Header&, const Header&) = default;
};

inline bool IsProbe(const Header& header) { return header.sequence == kProbeSequence; }

// Writes the header into the first kHeaderSize bytes of `out` (which must be at least that big).
void Encode(const Header& header, std::span<std::byte> out);

// Reads a header; nullopt when the payload is too short, the magic is wrong or the check fails.
std::optional<Header> Decode(std::span<const std::byte> payload);

}  // namespace brokerload::message
