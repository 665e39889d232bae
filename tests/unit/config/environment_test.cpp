#include "config/environment.hpp"

#include <gtest/gtest.h>

namespace brokerload::config {
namespace {

TEST(ParseProducerId, TakesDecimalDigitsUpToTheHeadersWidth) {
  EXPECT_EQ(ParseProducerId("0"), 0u);
  EXPECT_EQ(ParseProducerId("2"), 2u);
  EXPECT_EQ(ParseProducerId("007"), 7u);
  EXPECT_EQ(ParseProducerId("4294967295"), 4294967295u);
}

TEST(ParseProducerId, RefusesWhatIsNotOneWholeNumber) {
  for (const char* text : {"", "brokerload-2", "-1", "+1", " 2", "2 ", "2x", "0x10", "1.0",
                           "4294967296", "99999999999999999999"}) {
    EXPECT_EQ(ParseProducerId(text), std::nullopt) << "'" << text << "'";
  }
}

}  // namespace
}  // namespace brokerload::config
