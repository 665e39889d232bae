#pragma once

#include <nats/nats.h>

#include <cstdint>
#include <optional>
#include <string_view>

// Handling a connection's messages on the thread that reads them, without cnats' hand-offs.
//
// cnats 3.4.1 passes every received message from the connection's reader thread to a delivery
// thread of its subscription (a condition-variable wake per batch), and natsMsg_Destroy passes it
// on to the library's garbage-collector thread (another wake). On this project's 2-core VM each
// wake costs 30-40 us of CPU (docs/benchmarks.md, "Against the machine's own floor"); paced at
// 50,000 msg/s those hand-offs made four in ten of brokerload's samples.
//
// cnats has a hook for this in the connection, used by its own tests: a message filter that the
// reader thread calls for every message that has a subscription, before queueing it; a filter that
// takes the message owns it. Both the hook (natsConn_setFilterWithClosure) and the function that
// frees a message at once (natsMsg_free, what the garbage collector calls) are exported by
// libnats but declared only in its private headers (conn.h, msg.h): declared here, so that a
// cnats without them fails at link time, not at run time.
namespace brokerload::driver::nats {

// Takes messages of one connection on its reader thread.
class ReaderHandler {
 public:
  virtual ~ReaderHandler() = default;
  // Called on the connection's reader thread, with no cnats lock held, for each message that has
  // a live subscription on the connection: replies to JetStream API requests as well as data.
  // Returns true when it has handled `msg` (which is then freed at once, not through cnats'
  // collector thread; the subscription never sees it), false to leave it to the subscription's
  // own callback on its delivery thread. Must not block: the connection reads nothing meanwhile,
  // PINGs included. Must not close or destroy the connection.
  virtual bool TakeOnReader(natsMsg* msg) = 0;
};

// Installs `handler` on `nc` (one per connection; a later call replaces it). `handler` must outlive
// every call: until the connection is closed (its reader thread is joined before cnats' closed
// callback, so after CloseAndWait nothing calls it).
void HandleOnReader(natsConnection* nc, ReaderHandler& handler);

// The number that follows `prefix` (e.g. "_INBOX.x.") to the end of `subject`, or nullopt when
// `subject` is not `prefix` and 1 to 19 digits: how the handlers tell their subjects apart and
// place them without a lookup by string. Pure.
std::optional<std::uint64_t> NumberAfter(std::string_view prefix, std::string_view subject);

}  // namespace brokerload::driver::nats
