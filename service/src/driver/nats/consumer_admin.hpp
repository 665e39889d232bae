#pragma once

#include <nats/nats.h>

#include <cstdint>
#include <string>

#include "config/config.hpp"

// JetStream consumer admin for brokerload's consumer: ephemeral push consumers, one per stream.
// Each request waits at most `wait_ms` (> 0) for the server.
namespace brokerload::driver::nats {

struct PushConsumerSpec {
  const std::string& stream;   // also the subject it filters on
  const std::string& deliver;  // the subject it delivers to
  config::AckPolicy ack_policy;
  int max_ack_pending;    // with acks only
  std::int64_t start_ns;  // 0: new messages only; otherwise those since then (Unix ns)
};

struct AddedConsumer {
  std::string name;                  // the server's
  std::uint64_t start_sequence = 0;  // the stream sequence it starts after
};

// Adds an ephemeral push consumer into `added`; otherwise the failure, with `error`
// ("consumer of stream <s>: ...").
natsStatus AddPushConsumer(jsCtx* js, const PushConsumerSpec& spec, std::int64_t wait_ms,
                           AddedConsumer& added, std::string& error);

enum class ConsumerPresence { kPresent, kGone, kUnknown };

// Whether consumer `name` of `stream` is still there: kGone when the server says it (or its
// stream) is not; kUnknown with `error` when it could not tell.
ConsumerPresence FindConsumer(jsCtx* js, const std::string& stream, const std::string& name,
                              std::int64_t wait_ms, std::string& error);

// Deletes consumer `name` of `stream`, best effort (an error changes nothing for the caller).
void DeleteConsumer(jsCtx* js, const std::string& stream, const std::string& name,
                    std::int64_t wait_ms);

}  // namespace brokerload::driver::nats
