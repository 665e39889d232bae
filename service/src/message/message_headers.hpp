#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "message/header.hpp"

// What brokerload puts in a Kafka record's or a NATS message's headers: its own header, where the
// workload carries it there instead of at the payload's start (workload.brokerload_header:
// message_header), and the workload's extra headers (workload.headers). Pure functions and a
// value type; thread-safe as values are.
namespace brokerload::message {

// The header's name in both brokers. Kafka carries the kHeaderSize bytes as they are; NATS header
// values are text, so it carries them in base64 (kHeaderTextSize characters).
inline constexpr std::string_view kHeaderName = "brokerload";
inline constexpr std::size_t kHeaderTextSize = (kHeaderSize + 2) / 3 * 4;

// The header's bytes in base64 (RFC 4648, with padding), NUL-terminated for cnats.
std::array<char, kHeaderTextSize + 1> HeaderText(std::span<const std::byte> header);

// The kHeaderSize bytes that `text` encodes, into `out`; false when `text` is not the base64 of
// exactly kHeaderSize bytes.
bool HeaderFromText(std::string_view text, std::span<std::byte, kHeaderSize> out);

// The workload's extra headers: `count` headers named "x-brokerload-1" to "x-brokerload-<count>",
// each value `size` characters of hexadecimal digits drawn anew for each message (as trace and
// request ids are: they compress as such ids do, not as repeated text).
class ExtraHeaders {
 public:
  ExtraHeaders() = default;
  ExtraHeaders(int count, int size);

  std::size_t Count() const { return names_.size(); }
  std::size_t ValueSize() const { return size_; }
  // The most a NATS header block takes with these headers and, with `with_header`, brokerload's:
  // "NATS/1.0\r\n", each "name: value\r\n", and the closing "\r\n" (what counts against
  // the server's max_payload with the payload).
  std::size_t NatsBlockBytes(bool with_header) const;
  const std::string& Name(std::size_t i) const { return names_[i]; }
  // Writes every header's value for message `index` of a run with `seed`, one after the other,
  // each NUL-terminated, into `out` (at least FilledSize() characters). No allocation.
  void Fill(std::uint64_t seed, std::uint64_t index, std::span<char> out) const;
  std::size_t FilledSize() const { return names_.size() * (size_ + 1); }
  // Header i's value in what Fill wrote.
  const char* Value(std::span<const char> filled, std::size_t i) const {
    return filled.data() + i * (size_ + 1);
  }

 private:
  std::vector<std::string> names_;
  std::size_t size_ = 0;
};

}  // namespace brokerload::message
