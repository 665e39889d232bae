#include "driver/nats/reader_handler.hpp"

#include <string>
#include <string_view>

#if BROKERLOAD_NATS_READER_HOOK
// cnats' private declarations (src/natsp.h, conn.h, msg.h); see the header.
extern "C" {
typedef void (*natsMsgFilter)(natsConnection* nc, natsMsg** msg, void* closure);
void natsConn_setFilterWithClosure(natsConnection* nc, natsMsgFilter f, void* closure);
void natsMsg_free(void* object);
}
#endif

namespace brokerload::driver::nats {

bool TakeOnReaderLocked(ReaderHandler& handler, natsMsg* msg) {
  std::lock_guard lock(handler.reader_);
  return handler.TakeOnReader(msg);
}

namespace {

#if BROKERLOAD_NATS_READER_HOOK
// The reader thread calls this between parsing a message and queueing it to its subscription
// (cnats 3.10: before looking the subscription up).
void Filter(natsConnection*, natsMsg** msg, void* closure) {
  if (!TakeOnReaderLocked(*static_cast<ReaderHandler*>(closure), *msg)) return;
  natsMsg_free(*msg);  // nothing else refers to it yet: it was never queued
  *msg = nullptr;
}
#endif

// Built for a tested cnats and running with one of the tested lines (the library loaded at run
// time may differ from the one built against).
bool HookUsable() {
  const std::string_view version(nats_GetVersion());
  return BROKERLOAD_NATS_READER_HOOK &&
         (version.starts_with("3.4.") || version.starts_with("3.10."));
}

}  // namespace

bool HandleOnReader([[maybe_unused]] natsConnection* nc, [[maybe_unused]] ReaderHandler& handler) {
#if BROKERLOAD_NATS_READER_HOOK
  if (!HookUsable()) return false;
  natsConn_setFilterWithClosure(nc, Filter, &handler);
  return true;
#else
  return false;
#endif
}

const char* DataPath() {
  static const std::string path =
      HookUsable() ? std::string("reader thread (cnats ") + nats_GetVersion() + ")"
      : BROKERLOAD_NATS_READER_HOOK
          ? std::string("subscription callbacks (cnats ") + nats_GetVersion() +
                ": its reader hook is not tested here)"
          : std::string("subscription callbacks (cnats ") + nats_GetVersion() +
                ", built without the reader hook)";
  return path.c_str();
}

std::optional<std::uint64_t> NumberAfter(std::string_view prefix, std::string_view subject) {
  if (subject.size() <= prefix.size() || subject.size() - prefix.size() > 19 ||
      subject.substr(0, prefix.size()) != prefix) {
    return std::nullopt;
  }
  std::uint64_t number = 0;
  for (const char c : subject.substr(prefix.size())) {
    if (c < '0' || c > '9') return std::nullopt;
    number = number * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return number;
}

}  // namespace brokerload::driver::nats
