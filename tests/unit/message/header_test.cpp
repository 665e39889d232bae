#include "message/header.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace brokerload::message {
namespace {

Header Sample() {
  Header h;
  h.run_id = 0x0123456789ABCDEFull;
  h.producer_id = 7;
  h.topic = 4;
  h.key = 99;
  h.sequence = 1'000'000'007ull;
  h.intended_ns = 1'795'000'000'123'456'789;
  h.actual_ns = 1'795'000'000'123'999'000;
  return h;
}

TEST(Header, RoundTripsEveryField) {
  std::vector<std::byte> buffer(256, std::byte{0x5A});
  Encode(Sample(), buffer);
  const std::optional<Header> decoded = Decode(buffer);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, Sample());
}

TEST(Header, RoundTripsInExactlyHeaderSizeBytes) {
  std::vector<std::byte> buffer(kHeaderSize);
  Header h = Sample();
  h.key = kNoKey;
  Encode(h, buffer);
  ASSERT_TRUE(Decode(buffer).has_value());
  EXPECT_EQ(Decode(buffer)->key, kNoKey);
}

TEST(Header, RejectsShortPayload) {
  std::vector<std::byte> buffer(kHeaderSize);
  Encode(Sample(), buffer);
  EXPECT_FALSE(Decode(std::span(buffer).first(kHeaderSize - 1)).has_value());
}

TEST(Header, RejectsForeignPayload) {
  std::vector<std::byte> buffer(kHeaderSize, std::byte{'x'});
  EXPECT_FALSE(Decode(buffer).has_value());
}

TEST(Header, RejectsAnyCorruptedByte) {
  for (std::size_t i = 0; i < kHeaderSize; ++i) {
    std::vector<std::byte> buffer(kHeaderSize);
    Encode(Sample(), buffer);
    buffer[i] ^= std::byte{0x01};
    EXPECT_FALSE(Decode(buffer).has_value()) << "byte " << i;
  }
}

}  // namespace
}  // namespace brokerload::message
