#pragma once

#include <nats/nats.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "driver/driver.hpp"

// cnats ownership and the helpers the JetStream producer and consumer share.
namespace brokerload::driver::nats {

struct ConnectionDeleter {
  void operator()(natsConnection* nc) const {
    natsConnection_Close(nc);
    natsConnection_Destroy(nc);
  }
};
struct OptionsDeleter {
  void operator()(natsOptions* opts) const { natsOptions_Destroy(opts); }
};
struct JsDeleter {
  void operator()(jsCtx* js) const { jsCtx_Destroy(js); }
};
struct SubscriptionDeleter {
  void operator()(natsSubscription* sub) const { natsSubscription_Destroy(sub); }
};
using ConnectionPtr = std::unique_ptr<natsConnection, ConnectionDeleter>;
using JsPtr = std::unique_ptr<jsCtx, JsDeleter>;
using SubscriptionPtr = std::unique_ptr<natsSubscription, SubscriptionDeleter>;

// What a connection's callbacks report: shared health, and a flag for its owner to restore
// streams or subscriptions after a reconnect (a restarted server has lost memory streams and
// ephemeral consumers).
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
  // Set by the closed callback, cnats' last for a connection: after it, the watch may go.
  std::mutex mutex;
  std::condition_variable closed_changed;
  bool closed = false;
};

// Closes the connection and waits (at most 5 s) for cnats' closed callback, after which no callback
// of this connection runs: only then may `watch` and the callbacks' other targets be destroyed.
void CloseAndWait(ConnectionPtr& nc, ConnectionWatch& watch);

// The cnats this process runs with, as it reports itself.
std::string LibraryVersion();

// The one mapping from cnats' errors (and JetStream's error codes) to the engine's Status.
Status MapError(natsStatus status, jsErrCode code);

// Connects with reconnection forever; connection changes feed `watch` and one log line each.
// `name` labels the connection on the server. Null with `error` on failure.
ConnectionPtr Connect(const config::NatsTarget& target, const char* name, bool send_asap,
                      ConnectionWatch& watch, std::string& error);

// Adds one memory- or file-backed stream per topic (stream and subject named as the topic),
// accepting streams that already exist.
bool EnsureStreams(jsCtx* js, const config::NatsStreamSettings& settings,
                   const std::vector<std::string>& topics, std::string& error);

std::string LastError(natsStatus status);

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

// The version the connected server announces in its INFO line (cnats keeps it private, so this
// reads it on a short connection of its own, at most ~2 s), or why it is unknown.
std::string ServerVersion(natsConnection* nc);

// The producer's description for reports: versions, stream and consumer settings, durability.
Description DescribeTarget(natsConnection* nc, const config::NatsTarget& target);

// Starts cnats' process-wide threads now rather than at the first connection, so that thread
// counts sampled around a measured run do not take them for a leak.
void OpenLibrary();

}  // namespace brokerload::driver::nats
