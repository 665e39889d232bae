#pragma once

#include <nats/nats.h>

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "driver/driver.hpp"
#include "driver/nats/setup_budget.hpp"

// JetStream stream admin: brokerload's streams are named as its topics, one subject each; and
// which servers lead them.
namespace brokerload::driver::nats {

// Adds one memory- or file-backed stream per topic (stream and subject named as the topic),
// accepting streams that already exist, one request after another within `budget` (each given
// what is left, at most 5 s). False with `error` at the first refusal, or when the budget ends
// ("streams: timed out after <ms> ms with <n> of <N> ready"). With compression (S2) the
// server's answer must show it: a server that ignores it (before 2.10) is a refusal.
bool EnsureStreams(natsConnection* nc, jsCtx* js, const config::NatsStreamSettings& settings,
                   const std::vector<std::string>& topics, const SetupBudget& budget,
                   std::string& error);

// Leadership (driver.hpp) of the streams named `topics`, from one stream info request each
// within `budget` (each given what is left, at most 5 s): each stream's leader server name
// ("" while it has none), and every server named as a leader or replica. nullopt when a request
// fails or the budget ends first.
std::optional<Leadership> StreamLeaders(jsCtx* js, const std::vector<std::string>& topics,
                                        const SetupBudget& budget);

}  // namespace brokerload::driver::nats
