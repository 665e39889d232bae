#include "driver/nats/nkey.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <fstream>
#include <memory>
#include <vector>

namespace brokerload::driver::nats {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::uint8_t kSeedPrefix = 18 << 3;  // 'S'
constexpr std::uint8_t kUserPrefix = 20 << 3;  // 'U'

// CRC-16/XMODEM, as NKeys append it (little-endian).
std::uint16_t Crc16(const std::uint8_t* data, std::size_t size) {
  std::uint16_t crc = 0;
  for (std::size_t i = 0; i < size; ++i) {
    crc ^= static_cast<std::uint16_t>(data[i] << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<std::uint16_t>(crc << 1);
    }
  }
  return crc;
}

std::optional<std::vector<std::uint8_t>> Base32Decode(const std::string& text) {
  std::vector<std::uint8_t> out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const auto at = kAlphabet.find(c);
    if (at == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(at);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(buffer >> bits));
    }
  }
  return out;
}

std::string Base32Encode(const std::vector<std::uint8_t>& data) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::uint8_t byte : data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += kAlphabet[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (5 - bits)) & 31];
  return out;
}

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

}  // namespace

std::optional<std::string> UserPublicKey(const std::string& seed) {
  std::optional<std::vector<std::uint8_t>> raw = Base32Decode(seed);
  if (!raw || raw->size() != 36) return std::nullopt;
  std::vector<std::uint8_t>& bytes = *raw;
  const std::uint16_t crc = static_cast<std::uint16_t>(bytes[34] | (bytes[35] << 8));
  const bool valid =
      Crc16(bytes.data(), 34) == crc && (bytes[0] & 0xF8) == kSeedPrefix &&
      static_cast<std::uint8_t>(((bytes[0] & 7) << 5) | (bytes[1] >> 3)) == kUserPrefix;
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(
      valid ? EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes.data() + 2, 32)
            : nullptr);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  if (!key) return std::nullopt;
  std::vector<std::uint8_t> public_key(35);
  public_key[0] = kUserPrefix;
  std::size_t size = 32;
  if (EVP_PKEY_get_raw_public_key(key.get(), public_key.data() + 1, &size) != 1 || size != 32) {
    return std::nullopt;
  }
  const std::uint16_t public_crc = Crc16(public_key.data(), 33);
  public_key[33] = static_cast<std::uint8_t>(public_crc & 0xFF);
  public_key[34] = static_cast<std::uint8_t>(public_crc >> 8);
  return Base32Encode(public_key);
}

std::optional<std::string> UserPublicKeyFromFile(const std::string& file, std::string& error) {
  std::ifstream in(file);
  if (!in) {
    error = "cannot read the NKey seed file " + file;
    return std::nullopt;
  }
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.size() == 58 && line.starts_with("SU")) {
      std::optional<std::string> key = UserPublicKey(line);
      OPENSSL_cleanse(line.data(), line.size());
      if (key) return key;
    }
  }
  error = "no valid user NKey seed (a line starting with SU) in " + file;
  return std::nullopt;
}

}  // namespace brokerload::driver::nats
