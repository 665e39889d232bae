// The JetStream ack subject parser that tells a redelivery from a new stream entry, against the
// subjects nats-server sends (server/consumer.go: ackReplyT, and the v2 form with domain and
// account hash that servers send since 2.9).
#include <gtest/gtest.h>

#include "driver/nats/nats_subjects.hpp"

namespace brokerload::driver::nats {
namespace {

TEST(ParseAckReply, ReadsDeliveryCountAndStreamSequenceOfTheNineTokenForm) {
  // $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<ns>.<pending>
  const auto place = ParseAckReply("$JS.ACK.bl-0.dur-x.3.1042.17.1700000000000000000.5");
  ASSERT_TRUE(place.has_value());
  EXPECT_EQ(place->delivered, 3u);
  EXPECT_EQ(place->stream_sequence, 1042u);
}

TEST(ParseAckReply, ReadsTheFormWithDomainAndAccountHash) {
  // $JS.ACK.<domain>.<account hash>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ns>.<pending>
  // and, from 2.10, a random token at the end.
  const auto twelve =
      ParseAckReply("$JS.ACK._.Ab12cd.bl-0.dur-x.1.99.98.1700000000000000000.0.Xz9");
  ASSERT_TRUE(twelve.has_value());
  EXPECT_EQ(twelve->delivered, 1u);
  EXPECT_EQ(twelve->stream_sequence, 99u);
  const auto eleven = ParseAckReply("$JS.ACK.hub.Ab12cd.bl-0.dur-x.2.7.6.1700000000000000000.0");
  ASSERT_TRUE(eleven.has_value());
  EXPECT_EQ(eleven->delivered, 2u);
  EXPECT_EQ(eleven->stream_sequence, 7u);
  // Tokens a later server may add after the 12th are ignored, as cnats ignores them.
  const auto longer = ParseAckReply("$JS.ACK._.h.s.c.4.5.6.7.8.r.x.y");
  ASSERT_TRUE(longer.has_value());
  EXPECT_EQ(longer->delivered, 4u);
  EXPECT_EQ(longer->stream_sequence, 5u);
}

TEST(ParseAckReply, RefusesWhatIsNotAJetStreamAckSubject) {
  EXPECT_FALSE(ParseAckReply("").has_value());
  EXPECT_FALSE(ParseAckReply("_INBOX.abc.def").has_value());
  EXPECT_FALSE(ParseAckReply("$JS.ACK.bl-0.dur-x.3.1042.17").has_value());          // short
  EXPECT_FALSE(ParseAckReply("$JS.ACK.bl-0.dur-x.three.1042.17.1.5").has_value());  // not a number
  EXPECT_FALSE(ParseAckReply("$JS.ACK.bl-0.dur-x.3..17.1.5").has_value());          // empty
  EXPECT_FALSE(ParseAckReply("$JS.ACK.a.b.c.d.1.2.3.4").has_value());  // 10: neither form
  EXPECT_FALSE(ParseAckReply("$JS.ACK.bl-0.dur-x.3.18446744073709551616.1.1.5").has_value());
}

}  // namespace
}  // namespace brokerload::driver::nats
