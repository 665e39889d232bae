#pragma once

#include <nats/nats.h>

#include <string>

#include "driver/nats/setup_budget.hpp"
#include "driver/status.hpp"

// cnats' errors in the engine's terms and in people's words.
namespace brokerload::driver::nats {

// The one mapping from cnats' errors (and JetStream's error codes) to the engine's Status.
Status MapError(natsStatus status, jsErrCode code);

// `status` as text, with cnats' last error of this thread when it has one.
std::string LastError(natsStatus status);

// A JetStream request's outcome as a step of RunWithin: NATS_TIMEOUT is out of time.
Step StepOf(natsStatus status);

// Why a connection failed, with a hint, when retrying cannot fix it (credentials, certificate,
// TLS on one side only); "" otherwise.
std::string UnfixableConnectError(natsStatus status);

}  // namespace brokerload::driver::nats
