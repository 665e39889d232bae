#pragma once

#include <nats/nats.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

#include "config/config.hpp"
#include "driver/driver.hpp"
#include "driver/nats/nats_client.hpp"

// A NATS connection with JetStream: connecting, what its callbacks report, and closing.
namespace brokerload::driver::nats {

// What a connection's callbacks report: shared health, and a flag for its owner to restore
// streams or subscriptions after a reconnect (a restarted server has lost memory streams and
// ephemeral consumers). Written by cnats' threads, read by the owner's.
struct ConnectionWatch {
  explicit ConnectionWatch(Health& h) : health(h), link(h) {}
  Health& health;
  Link link;  // this connection's part in health: up from connect, down while disconnected
  std::atomic<bool> reconnected{false};
  std::atomic<std::int64_t> disconnected_at_ns{0};  // Unix time of the last loss
  // Refusals (permissions, credentials) are logged at most once per 10 s: a revoked permission
  // refuses every message.
  std::atomic<std::int64_t> refusal_logged_ns{0};  // steady clock
  std::atomic<std::uint64_t> refusals_unlogged{0};
  std::atomic<bool> closing{false};  // set by Close: a closed callback before it is unasked for
  // Set by the closed callback, cnats' last for a connection: after it, the watch may go.
  std::mutex mutex;
  std::condition_variable closed_changed;
  bool closed = false;
};

// How long a write to the server may wait for the socket: past it the write, and the publish it
// serves, fails instead of holding its thread.
inline constexpr std::int64_t kWriteDeadlineMs = 2'000;

// How many times to connect while the server refuses authentication. cnats before 3.8.0 leaves
// the signature out of CONNECT when the signature's first byte is zero (nats.c #705), so one
// connect in 256 with an NKey or a credentials file is refused; the next connect signs a new
// nonce. 3 for those credentials on such a cnats (`cnats_version` as nats_GetVersionNumber()
// gives it), else 1.
int AuthAttempts(const config::NatsTarget& target, std::uint32_t cnats_version);

// Calls `connect` (returning a natsStatus) once, then again while it returns
// NATS_CONNECTION_AUTH_FAILED, `attempts` calls at most; its last status.
template <typename Connect>
natsStatus ConnectWithAuthAttempts(int attempts, Connect connect) {
  natsStatus s = connect();
  for (int made = 1; s == NATS_CONNECTION_AUTH_FAILED && made < attempts; ++made) s = connect();
  return s;
}

// natsConnection_Connect with `opts`, AuthAttempts(target, the loaded cnats' version) times at
// most while the server refuses authentication (each retry logged at debug level).
natsStatus Connect(natsConnection** nc, natsOptions* opts, const config::NatsTarget& target);

// The one way the producer, the consumer and cleanup connect: a connection that reconnects
// forever, its connection changes feeding the watch (and one log line each), and its JetStream
// context (requests wait up to cnats' default 5 s unless given less). Writes wait for the socket
// at most kWriteDeadlineMs. Open and Close from the owner's thread; the handles may be used from
// any thread in between.
class JetStreamConnection {
 public:
  explicit JetStreamConnection(Health& health) : watch_(health) {}
  ~JetStreamConnection() { Close(); }
  JetStreamConnection(const JetStreamConnection&) = delete;
  JetStreamConnection& operator=(const JetStreamConnection&) = delete;

  // Connects (each server tried once per attempt, cnats' 2 s connect timeout each; Connect's
  // attempts while authentication is refused) and makes the JetStream context. `name` labels the
  // connection on the server. False with `error` on failure, with health.refused set when retrying
  // cannot help (credentials, certificate, TLS).
  bool Open(const config::NatsTarget& target, const char* name, bool send_asap, std::string& error);
  // Deregisters from health (closing is not an outage), closes, and waits (at most 5 s) for
  // cnats' closed callback, after which no callback of this connection runs (its reader thread is
  // joined): only then may the callbacks' targets be destroyed. Idempotent.
  void Close();

  natsConnection* connection() const { return nc_.get(); }
  jsCtx* js() const { return js_.get(); }
  ConnectionWatch& watch() { return watch_; }

 private:
  ConnectionWatch watch_;
  ConnectionPtr nc_;
  JsPtr js_;  // destroyed before the connection
};

}  // namespace brokerload::driver::nats
