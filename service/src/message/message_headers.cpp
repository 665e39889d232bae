#include "message/message_headers.hpp"

#include <cstring>

namespace brokerload::message {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::uint64_t SplitMix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

std::array<char, kHeaderTextSize + 1> HeaderText(std::span<const std::byte> header) {
  std::array<char, kHeaderTextSize + 1> text{};
  std::size_t out = 0;
  for (std::size_t at = 0; at < kHeaderSize; at += 3) {
    const std::size_t n = std::min<std::size_t>(3, kHeaderSize - at);
    std::uint32_t group = 0;
    for (std::size_t i = 0; i < 3; ++i) {
      group = (group << 8) | (i < n ? std::to_integer<std::uint32_t>(header[at + i]) : 0U);
    }
    for (std::size_t i = 0; i < 4; ++i) {
      text[out++] = i <= n ? kAlphabet[(group >> (18 - 6 * i)) & 0x3F] : '=';
    }
  }
  return text;
}

bool HeaderFromText(std::string_view text, std::span<std::byte, kHeaderSize> out) {
  if (text.size() != kHeaderTextSize) return false;
  std::size_t written = 0;
  for (std::size_t at = 0; at < text.size(); at += 4) {
    std::uint32_t group = 0;
    std::size_t bytes = 3;
    for (std::size_t i = 0; i < 4; ++i) {
      const char c = text[at + i];
      int value = Sextet(c);
      if (c == '=' && at + 4 == text.size() && i >= 2) {
        // Padding only at the end, only as much as kHeaderSize leaves (one '=' for 56 bytes).
        value = 0;
        bytes = std::min(bytes, i - 1);
      } else if (value < 0 || bytes < 3) {
        return false;
      }
      group = (group << 6) | static_cast<std::uint32_t>(value);
    }
    if (written + bytes > kHeaderSize) return false;
    for (std::size_t i = 0; i < bytes; ++i) {
      out[written++] = static_cast<std::byte>((group >> (16 - 8 * i)) & 0xFF);
    }
  }
  return written == kHeaderSize;
}

ExtraHeaders::ExtraHeaders(int count, int size) : size_(static_cast<std::size_t>(size)) {
  for (int i = 1; i <= count; ++i) names_.push_back("x-brokerload-" + std::to_string(i));
}

std::size_t ExtraHeaders::NatsBlockBytes(bool with_header) const {
  std::size_t bytes = std::string_view("NATS/1.0\r\n\r\n").size();
  if (with_header) bytes += kHeaderName.size() + 2 + kHeaderTextSize + 2;
  for (const std::string& name : names_) bytes += name.size() + 2 + size_ + 2;
  return bytes;
}

void ExtraHeaders::Fill(std::uint64_t seed, std::uint64_t index, std::span<char> out) const {
  constexpr std::string_view kHex = "0123456789abcdef";
  std::uint64_t state = seed ^ SplitMix(index + 0x9E3779B97F4A7C15ULL);
  std::size_t at = 0;
  for (std::size_t h = 0; h < names_.size(); ++h) {
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < size_; ++i) {
      if (i % 16 == 0) bits = SplitMix(state += 0x9E3779B97F4A7C15ULL);
      out[at++] = kHex[bits & 0xF];
      bits >>= 4;
    }
    out[at++] = '\0';
  }
}

}  // namespace brokerload::message
