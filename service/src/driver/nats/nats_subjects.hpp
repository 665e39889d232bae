#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// The subjects brokerload names and reads: inboxes of its own, JetStream's ack reply subjects.
namespace brokerload::driver::nats {

// A new inbox subject and a dot ("_INBOX.<unique>."), under which a client names subjects of its
// own; "" with `error` ("<what>: <cause>") when cnats cannot make one.
std::string InboxPrefix(const char* what, std::string& error);

// What a JetStream push message's reply subject says of its place: the server's
// $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending> (9 tokens)
// or, from nats-server 2.9 on, with <domain>.<account hash> after ACK and a random token at the
// end (12 tokens; any after those are ignored, as cnats' own parser does). Pure, no allocation
// (cnats' natsMsg_GetMetaData allocates per message).
struct AckPlace {
  std::uint64_t delivered = 0;  // delivery count: 1 the first time
  std::uint64_t stream_sequence = 0;
};
std::optional<AckPlace> ParseAckReply(std::string_view reply);

}  // namespace brokerload::driver::nats
