#include "driver/nats/nats_subjects.hpp"

#include <nats/nats.h>

#include <array>
#include <charconv>
#include <utility>

#include "driver/nats/nats_status.hpp"

namespace brokerload::driver::nats {

std::string InboxPrefix(const char* what, std::string& error) {
  natsInbox* inbox = nullptr;
  if (const natsStatus s = natsInbox_Create(&inbox); s != NATS_OK) {
    error = std::string(what) + ": " + LastError(s);
    return "";
  }
  std::string prefix = std::string(inbox) + ".";
  natsInbox_Destroy(inbox);
  return prefix;
}

std::optional<AckPlace> ParseAckReply(std::string_view reply) {
  constexpr std::size_t kMaxTokens = 12;
  std::array<std::string_view, kMaxTokens> tokens;
  std::size_t count = 0;
  while (count < kMaxTokens) {
    const std::size_t dot = reply.find('.');
    tokens[count++] = reply.substr(0, dot);
    if (dot == std::string_view::npos) break;
    reply.remove_prefix(dot + 1);
  }
  // v2 may grow tokens after the 12th; like cnats, ignore them.
  if (count < 9 || tokens[0] != "$JS" || tokens[1] != "ACK") return std::nullopt;
  std::size_t first = 0;  // index of <delivered>
  if (count == 9) {
    first = 4;
  } else if (count >= 11) {
    first = 6;
  } else {
    return std::nullopt;
  }
  AckPlace place;
  for (auto [token, out] : {std::pair{tokens[first], &place.delivered},
                            std::pair{tokens[first + 1], &place.stream_sequence}}) {
    const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), *out);
    if (ec != std::errc{} || end != token.data() + token.size() || token.empty()) {
      return std::nullopt;
    }
  }
  return place;
}

}  // namespace brokerload::driver::nats
