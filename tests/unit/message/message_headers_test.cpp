#include "message/message_headers.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace brokerload::message {
namespace {

std::array<std::byte, kHeaderSize> Bytes(int first) {
  std::array<std::byte, kHeaderSize> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<std::byte>(first + static_cast<int>(i));
  }
  return bytes;
}

// The expected texts are Python's base64.b64encode of the same bytes.
TEST(HeaderText, IsStandardBase64WithPadding) {
  EXPECT_EQ(std::string(HeaderText(Bytes(0)).data()),
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc=");
  EXPECT_EQ(std::string(HeaderText(Bytes(200)).data()),
            "yMnKy8zNzs/Q0dLT1NXW19jZ2tvc3d7f4OHi4+Tl5ufo6err7O3u7/Dx8vP09fb3+Pn6+/z9/v8=");
  EXPECT_EQ(std::string(HeaderText(Bytes(0)).data()).size(), kHeaderTextSize);
}

TEST(HeaderText, DecodesWhatItEncodes) {
  for (const int first : {0, 100, 200}) {
    std::array<std::byte, kHeaderSize> out{};
    ASSERT_TRUE(HeaderFromText(HeaderText(Bytes(first)).data(), out));
    EXPECT_EQ(out, Bytes(first));
  }
}

TEST(HeaderText, RefusesWhatIsNotTheBase64OfAHeader) {
  const std::string good(HeaderText(Bytes(0)).data());
  std::array<std::byte, kHeaderSize> out{};
  EXPECT_FALSE(HeaderFromText("", out));
  EXPECT_FALSE(HeaderFromText(good.substr(0, good.size() - 4), out));  // too short
  EXPECT_FALSE(HeaderFromText(good + "AAAA", out));                    // too long
  std::string bad = good;
  bad[10] = '*';
  EXPECT_FALSE(HeaderFromText(bad, out));
  bad = good;
  bad[10] = '=';  // padding inside
  EXPECT_FALSE(HeaderFromText(bad, out));
  bad = good;
  bad[bad.size() - 2] = '=';  // two padding characters: 55 bytes
  EXPECT_FALSE(HeaderFromText(bad, out));
}

TEST(ExtraHeaders, NamesAndBytes) {
  const ExtraHeaders headers(3, 20);
  ASSERT_EQ(headers.Count(), 3u);
  EXPECT_EQ(headers.Name(0), "x-brokerload-1");
  EXPECT_EQ(headers.Name(2), "x-brokerload-3");
  EXPECT_EQ(ExtraHeaders().Count(), 0u);
}

TEST(ExtraHeaders, TheNatsBlockIsCountedAsTheServerCountsIt) {
  // "NATS/1.0\r\n" ... "\r\n", each header "name: value\r\n".
  EXPECT_EQ(ExtraHeaders().NatsBlockBytes(false), 12u);
  EXPECT_EQ(ExtraHeaders().NatsBlockBytes(true),
            12u + std::string("brokerload: ").size() + kHeaderTextSize + 2);
  EXPECT_EQ(ExtraHeaders(2, 10).NatsBlockBytes(false),
            12u + 2 * (std::string("x-brokerload-1: ").size() + 10 + 2));
}

TEST(ExtraHeaders, ValuesAreHexTerminatedAndNewForEachMessage) {
  const ExtraHeaders headers(2, 40);
  std::vector<char> a(2 * 41, 'z');
  std::vector<char> b(2 * 41, 'z');
  std::vector<char> again(2 * 41, 'z');
  headers.Fill(7, 1, a);
  headers.Fill(7, 2, b);
  headers.Fill(7, 1, again);
  EXPECT_EQ(a, again);  // a message's values follow from the seed and its index
  EXPECT_NE(a, b);
  for (const std::vector<char>* values : {&a, &b}) {
    for (std::size_t h = 0; h < 2; ++h) {
      const std::string value(values->data() + h * 41);
      ASSERT_EQ(value.size(), 40u);
      EXPECT_TRUE(std::all_of(value.begin(), value.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      })) << value;
    }
  }
  EXPECT_NE(std::string(a.data()), std::string(a.data() + 41));  // each header its own value
  EXPECT_EQ(headers.FilledSize(), 2 * 41u);
  EXPECT_EQ(headers.Value(a, 0), a.data());
  EXPECT_EQ(headers.Value(a, 1), a.data() + 41);
  std::vector<char> other_seed(2 * 41);
  headers.Fill(8, 1, other_seed);
  EXPECT_NE(a, other_seed);
}

}  // namespace
}  // namespace brokerload::message
