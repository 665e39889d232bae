#pragma once

#include <nats/nats.h>

#include <string>

#include "config/config.hpp"

// TLS and authentication of a NATS connection, from targets.nats.
namespace brokerload::driver::nats {

// Sets TLS (CA, client certificate, the name to check) and credentials (user and password, token,
// NKey seed file or creds file) of `target` on `opts`. Not NATS_OK with `error` ("TLS settings:
// ..." or "credentials: ...") on a file or key cnats refuses: retrying cannot help.
natsStatus ApplySecurity(natsOptions* opts, const config::NatsTarget& target, std::string& error);

}  // namespace brokerload::driver::nats
