#include "message/header.hpp"

#include <bit>
#include <cstring>

namespace brokerload::message {
namespace {

constexpr std::uint32_t kMagic = 0x314C4442;  // "BDL1" read little-endian
constexpr std::uint8_t kVersion = 1;

// Byte offsets inside the header.
constexpr std::size_t kMagicAt = 0;
constexpr std::size_t kVersionAt = 4;
constexpr std::size_t kTopicAt = 6;
constexpr std::size_t kProducerAt = 8;
constexpr std::size_t kKeyAt = 12;
constexpr std::size_t kRunAt = 16;
constexpr std::size_t kSequenceAt = 24;
constexpr std::size_t kIntendedAt = 32;
constexpr std::size_t kActualAt = 40;
constexpr std::size_t kCheckAt = 48;

template <typename T>
void Put(std::span<std::byte> out, std::size_t at, T value) {
  static_assert(std::endian::native == std::endian::little, "brokerload assumes little-endian");
  std::memcpy(out.data() + at, &value, sizeof(T));
}

template <typename T>
T Get(std::span<const std::byte> in, std::size_t at) {
  T value;
  std::memcpy(&value, in.data() + at, sizeof(T));
  return value;
}

// A 64-bit mix of the first kCheckAt bytes; cheap, and catches truncation and stray payloads.
std::uint64_t Check(std::span<const std::byte> bytes) {
  std::uint64_t hash = 0x9E3779B97F4A7C15ull;
  for (std::size_t at = 0; at < kCheckAt; at += 8) {
    hash ^= Get<std::uint64_t>(bytes, at);
    hash *= 0xBF58476D1CE4E5B9ull;
    hash ^= hash >> 31;
  }
  return hash;
}

}  // namespace

void Encode(const Header& header, std::span<std::byte> out) {
  Put<std::uint32_t>(out, kMagicAt, kMagic);
  Put<std::uint8_t>(out, kVersionAt, kVersion);
  Put<std::uint8_t>(out, kVersionAt + 1, 0);
  Put<std::uint16_t>(out, kTopicAt, header.topic);
  Put<std::uint32_t>(out, kProducerAt, header.producer_id);
  Put<std::uint32_t>(out, kKeyAt, header.key);
  Put<std::uint64_t>(out, kRunAt, header.run_id);
  Put<std::uint64_t>(out, kSequenceAt, header.sequence);
  Put<std::int64_t>(out, kIntendedAt, header.intended_ns);
  Put<std::int64_t>(out, kActualAt, header.actual_ns);
  Put<std::uint64_t>(out, kCheckAt, Check(out));
}

std::optional<Header> Decode(std::span<const std::byte> payload) {
  if (payload.size() < kHeaderSize) return std::nullopt;
  if (Get<std::uint32_t>(payload, kMagicAt) != kMagic) return std::nullopt;
  if (Get<std::uint8_t>(payload, kVersionAt) != kVersion) return std::nullopt;
  if (Get<std::uint8_t>(payload, kVersionAt + 1) != 0) return std::nullopt;  // reserved
  if (Get<std::uint64_t>(payload, kCheckAt) != Check(payload)) return std::nullopt;
  Header header;
  header.topic = Get<std::uint16_t>(payload, kTopicAt);
  header.producer_id = Get<std::uint32_t>(payload, kProducerAt);
  header.key = Get<std::uint32_t>(payload, kKeyAt);
  header.run_id = Get<std::uint64_t>(payload, kRunAt);
  header.sequence = Get<std::uint64_t>(payload, kSequenceAt);
  header.intended_ns = Get<std::int64_t>(payload, kIntendedAt);
  header.actual_ns = Get<std::int64_t>(payload, kActualAt);
  return header;
}

}  // namespace brokerload::message
