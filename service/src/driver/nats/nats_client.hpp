#pragma once

#include <nats/nats.h>

#include <memory>
#include <string>

// cnats ownership: a deleter and a unique_ptr per handle, and the library's process-wide state.
// What is built on them has a file each: nats_status (errors), nats_security (TLS and
// credentials), nats_connection (connecting, its callbacks, closing; the JetStream context),
// nats_streams and consumer_admin (JetStream admin requests), setup_budget (the caller's bound on
// a series of them), nats_subjects (inboxes and ack subjects), server_info (the server's INFO
// line and the target's description).
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
using OptionsPtr = std::unique_ptr<natsOptions, OptionsDeleter>;
using JsPtr = std::unique_ptr<jsCtx, JsDeleter>;
using SubscriptionPtr = std::unique_ptr<natsSubscription, SubscriptionDeleter>;

// The cnats this process runs with, as it reports itself.
std::string LibraryVersion();

// Starts cnats' process-wide threads now rather than at the first connection, so that thread
// counts sampled around a measured run do not take them for a leak.
void OpenLibrary();

}  // namespace brokerload::driver::nats
