// libFuzzer target: the message header decoder on arbitrary payloads (every consumed message goes
// through it, foreign ones included). Never reads out of bounds; a payload that decodes is exactly
// what Encode writes for that header; and any header encodes to bytes that decode to itself,
// whatever payload follows (the input's first bytes are taken as a header's fields for that, since
// random bytes almost never carry a valid check word).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "message/header.hpp"

namespace {

template <typename T>
T Take(const std::uint8_t*& data, std::size_t& size) {
  T value{};
  const std::size_t n = size < sizeof(T) ? size : sizeof(T);
  if (n > 0) std::memcpy(&value, data, n);
  data += n;
  size -= n;
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace brokerload::message;
  // A copy of exactly `size` bytes, so that ASan catches any read past the payload.
  std::vector<std::byte> payload(size);
  if (size > 0) std::memcpy(payload.data(), data, size);
  if (const std::optional<Header> header = Decode(payload)) {
    std::vector<std::byte> again(kHeaderSize);
    Encode(*header, again);
    if (std::memcmp(again.data(), payload.data(), kHeaderSize) != 0) std::abort();
  }

  Header h;
  h.run_id = Take<std::uint64_t>(data, size);
  h.producer_id = Take<std::uint32_t>(data, size);
  h.topic = Take<std::uint16_t>(data, size);
  h.key = Take<std::uint32_t>(data, size);
  h.sequence = Take<std::uint64_t>(data, size);
  h.intended_ns = Take<std::int64_t>(data, size);
  h.actual_ns = Take<std::int64_t>(data, size);
  std::vector<std::byte> message(kHeaderSize + size);
  Encode(h, message);
  if (size > 0) std::memcpy(message.data() + kHeaderSize, data, size);
  if (Decode(message) != h) std::abort();
  if (Decode(std::span(message).first(kHeaderSize - 1)).has_value()) std::abort();  // truncated
  return 0;
}
