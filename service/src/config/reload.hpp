#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

// What a running `brokerload run` can take from a changed config file (docs/configuration.md,
// "Reloading"). Reloadable, applied in place without reconnecting: the profile,
// workload.message_size, workload.payload, workload.work, run.loss_grace, run.drain_timeout,
// run.max_send_lag, run.min_wake and log.level; run.startup_timeout and run.warmup are accepted
// and take effect at the next start. Everything else is fixed for the life of the process: the
// targets (addresses, credentials, TLS, client properties, topic and stream settings), the topics
// (workload.topics, topic_prefix), workload.keys, key_skew, workers and worker_queue (the
// accounting, the pool and the key table are sized by them), metrics (the endpoint and the
// histograms' buckets), run.tick and run.publish_timeout (the clients are configured with them).
namespace brokerload::config {

// The keys whose values differ between two configs, as dotted paths in the file's order (e.g.
// targets.kafka.bootstrap_servers, targets.kafka.producer.linger.ms, workload.message_size).
// A secret that changed is named by its key; no value ever appears.
struct ConfigDiff {
  std::vector<std::string> reloadable;  // a running process applies these in place
  std::vector<std::string> fixed;       // these need a restart

  // True when nothing that matters changed (comments, layout, the order of a property map).
  bool Empty() const { return reloadable.empty() && fixed.empty(); }
};

// The difference between the running config and the one just loaded. A field that this function
// does not classify yet (one added to config.hpp later) counts as fixed, named by its section
// ("workload"), so that nothing is ever "applied" without effect. Pure; never throws.
ConfigDiff Diff(const Config& running, const Config& next);

// The outcome of one reload attempt: brokerload_config_reloads_total{result}.
enum class ReloadResult {
  kApplied,    // reloadable keys changed; the new values are in effect
  kUnchanged,  // the file was read again and nothing that matters changed
  kRefused,    // a fixed key changed: nothing applied, the running config stays
  kInvalid,    // the file does not load (file:line:col problems): the running config stays
};
inline constexpr std::size_t kReloadResultCount = 4;

// "applied", "unchanged", "refused", "invalid": the metric's label values.
std::string_view ReloadResultName(ReloadResult result);

}  // namespace brokerload::config
