#pragma once

#include <nats/nats.h>

#include <string>
#include <vector>

#include "config/config.hpp"
#include "driver/nats/setup_budget.hpp"

// JetStream stream admin: brokerload's streams are named as its topics, one subject each.
namespace brokerload::driver::nats {

// Adds one memory- or file-backed stream per topic (stream and subject named as the topic),
// accepting streams that already exist, one request after another within `budget` (each given
// what is left, at most 5 s). False with `error` at the first refusal, or when the budget ends
// ("streams: timed out after <ms> ms with <n> of <N> ready").
bool EnsureStreams(jsCtx* js, const config::NatsStreamSettings& settings,
                   const std::vector<std::string>& topics, const SetupBudget& budget,
                   std::string& error);

}  // namespace brokerload::driver::nats
