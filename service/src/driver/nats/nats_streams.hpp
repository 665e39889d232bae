#pragma once

#include <nats/nats.h>

#include <string>
#include <vector>

#include "config/config.hpp"

// JetStream stream admin: brokerload's streams are named as its topics, one subject each.
namespace brokerload::driver::nats {

// Adds one memory- or file-backed stream per topic (stream and subject named as the topic),
// accepting streams that already exist. Each request waits up to the context's wait (5 s).
bool EnsureStreams(jsCtx* js, const config::NatsStreamSettings& settings,
                   const std::vector<std::string>& topics, std::string& error);

}  // namespace brokerload::driver::nats
