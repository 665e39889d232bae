#include "driver/nats/reader_handler.hpp"

#include <gtest/gtest.h>

namespace brokerload::driver::nats {
namespace {

TEST(NumberAfter, ReadsTheDigitsThatEndASubjectAfterItsPrefix) {
  EXPECT_EQ(NumberAfter("_INBOX.abc.", "_INBOX.abc.0"), 0u);
  EXPECT_EQ(NumberAfter("_INBOX.abc.", "_INBOX.abc.42"), 42u);
  EXPECT_EQ(NumberAfter("_INBOX.abc.", "_INBOX.abc.9999999999999999999"), 9999999999999999999u);
}

TEST(NumberAfter, RefusesOtherPrefixesTokensAndOverlongNumbers) {
  EXPECT_FALSE(NumberAfter("_INBOX.abc.", "_INBOX.abc."));     // no digits
  EXPECT_FALSE(NumberAfter("_INBOX.abc.", "_INBOX.abd.1"));    // another inbox
  EXPECT_FALSE(NumberAfter("_INBOX.abc.", "_INBOX.abc.1.2"));  // a further token
  EXPECT_FALSE(NumberAfter("_INBOX.abc.", "_INBOX.abc.12x"));
  EXPECT_FALSE(NumberAfter("_INBOX.abc.", "_INBOX.ab"));                        // shorter
  EXPECT_FALSE(NumberAfter("_INBOX.abc.", "_INBOX.abc.18446744073709551616"));  // 20 digits
  EXPECT_FALSE(NumberAfter("_INBOX.abc.", "$JS.ACK.s.c.1.2.3.4.5"));
}

}  // namespace
}  // namespace brokerload::driver::nats
