#pragma once

#include <nats/nats.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>

// Handling a connection's messages on the thread that reads them, without cnats' hand-offs.
//
// cnats passes every received message from the connection's reader thread to a delivery thread
// of its subscription (a condition-variable wake per batch), and natsMsg_Destroy passes it on to
// the library's garbage-collector thread (another wake). A handler takes the message on the
// reader thread and frees it there: neither wake happens (what that saves: docs/benchmarks.md,
// "JetStream data path by library version").
//
// cnats has a hook for this in the connection, used by its own tests: a message filter that the
// reader thread calls before queueing a message; a filter that takes the message owns it. Both
// the hook (natsConn_setFilterWithClosure) and the function that frees a message at once
// (natsMsg_free, what the garbage collector calls) are exported by libnats but declared only in
// its private headers (conn.h, msg.h). Their contract is not public and has changed: 3.4.x looks
// the message's subscription up first and calls the filter only for one it still holds (draining
// ones included); 3.6.1 and later (3.10.x among them) call it for every message, before the
// lookup, so also for a subscription already unsubscribed, drained or never known. So the hook is
// built only for the lines a test here holds (CMake: BROKERLOAD_NATS_READER_HOOK; cnats 3.4.x and
// 3.10.x, tests/integration/nats_reader_handler_test.cpp); with any other, HandleOnReader installs
// nothing and messages go through the subscriptions' callbacks. Handlers decide by their own
// state what is for a subscription they hold live (TakeOnReader), and make a stop final with
// WaitForReader.
namespace brokerload::driver::nats {

// Takes messages of one connection on its reader thread.
class ReaderHandler {
 public:
  virtual ~ReaderHandler() = default;
  // Called on the connection's reader thread, with no cnats lock held, for each message the
  // connection reads (cnats 3.4.x: those of a subscription it still holds; 3.6.1 and later:
  // every one, before cnats knows whose it is): replies to JetStream API requests as well as
  // data, and messages of a subscription already unsubscribed or drained. Returns true when it
  // has handled `msg` (which is then freed at once, not through cnats' collector thread; no
  // subscription sees it), false to leave it to cnats (the subscription's callback on its
  // delivery thread, or cnats' own discarding when the subscription is gone). Must take only
  // messages of a subscription it holds live by its own state, which it must clear, then call
  // WaitForReader, before it unsubscribes. Must not block: the connection reads nothing
  // meanwhile, PINGs included. Must not close or destroy the connection, nor call WaitForReader.
  virtual bool TakeOnReader(natsMsg* msg) = 0;

  // Returns once no TakeOnReader call that began before it is still running: after the handler
  // has cleared the state by which it takes a subscription's messages, nothing is taken under
  // the old state when this returns. The reader thread holds the lock for each call (uncontended
  // but for this).
  void WaitForReader() { std::lock_guard lock(reader_); }

 private:
  friend bool TakeOnReaderLocked(ReaderHandler& handler, natsMsg* msg);
  std::mutex reader_;
};

// Installs `handler` on `nc` (one per connection; a later call replaces it) and returns true; with
// a cnats whose hook is not held by a test, installs nothing and returns false (the caller's
// subscription callbacks then get every message). `handler` must outlive every call: until the
// connection is closed (its reader thread is joined before cnats' closed callback, so after
// JetStreamConnection::Close nothing calls it).
bool HandleOnReader(natsConnection* nc, ReaderHandler& handler);

// Which way JetStream messages go in this build, for logs and --version: "reader thread (cnats
// 3.4.1)" or "subscription callbacks (cnats X: its reader hook is not tested here)", or "...
// (built without the reader hook)".
const char* DataPath();

// The number that follows `prefix` (e.g. "_INBOX.x.") to the end of `subject`, or nullopt when
// `subject` is not `prefix` and 1 to 19 digits: how the handlers tell their subjects apart and
// place them without a lookup by string. Pure.
std::optional<std::uint64_t> NumberAfter(std::string_view prefix, std::string_view subject);

}  // namespace brokerload::driver::nats
