#include "config/loader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include "config/security_reader.hpp"
#include "config/targets_reader.hpp"
#include "config/yaml_reader.hpp"
#include "message/header.hpp"

namespace brokerload::config {
namespace {

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 200) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool ValidListen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  int port = 0;
  try {
    size_t used = 0;
    port = std::stoi(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1) return false;
  } catch (const std::exception&) {
    return false;
  }
  return port >= 0 && port <= 65535;
}

constexpr int kMinSize = static_cast<int>(message::kHeaderSize);
constexpr int kMaxSize = 1 << 20;
constexpr std::size_t kMaxTableSizes = 1'000;

// workload.message_size as a map: {min, max} (uniform), {distribution: lognormal, p50, p99[, min,
// max]} or {distribution: table, sizes: {SIZE: WEIGHT, ...}}.
void ReadSizeDistribution(YamlReader& r, const YAML::Node& size, const std::string& path,
                          Workload& w) {
  if (!r.CheckMap(size, path, {"distribution", "min", "max", "p50", "p99", "sizes"})) return;
  r.Enum(size, path, "distribution", w.size_distribution,
         {{"uniform", SizeDistribution::kUniform},
          {"lognormal", SizeDistribution::kLogNormal},
          {"table", SizeDistribution::kTable}});
  const auto refuse = [&](const char* key, const std::string& why) {
    if (size[key]) r.Error(size[key], path + "." + key, why);
  };
  const std::size_t errors_before = r.ErrorCount();
  switch (w.size_distribution) {
    case SizeDistribution::kUniform:
      for (const char* key : {"p50", "p99", "sizes"})
        refuse(key, "absent unless distribution is lognormal or table");
      r.Int(size, path, "min", w.min_size, kMinSize, kMaxSize);
      r.Int(size, path, "max", w.max_size, kMinSize, kMaxSize);
      break;
    case SizeDistribution::kLogNormal:
      refuse("sizes", "absent unless distribution is table");
      w.min_size = kMinSize;
      w.max_size = kMaxSize;
      r.Int(size, path, "min", w.min_size, kMinSize, kMaxSize);
      r.Int(size, path, "max", w.max_size, kMinSize, kMaxSize);
      if (!size["p50"] || !size["p99"]) {
        r.Error(size, path + (size["p50"] ? ".p99" : ".p50"),
                "the log-normal's median (p50) and 99th percentile (p99) in bytes");
        return;
      }
      r.Int(size, path, "p50", w.size_p50, kMinSize, kMaxSize);
      r.Int(size, path, "p99", w.size_p99, kMinSize, kMaxSize);
      if (r.ErrorCount() != errors_before) return;
      if (w.size_p99 <= w.size_p50) {
        r.Error(size["p99"], path + ".p99",
                "a size above p50 (" + std::to_string(w.size_p50) + ")");
      } else if (w.size_p50 < w.min_size || w.size_p99 > w.max_size) {
        r.Error(size, path,
                "min <= p50 and p99 <= max (" + std::to_string(w.min_size) +
                    " <= " + std::to_string(w.size_p50) + ", " + std::to_string(w.size_p99) +
                    " <= " + std::to_string(w.max_size) + ")");
      }
      return;
    case SizeDistribution::kTable: {
      for (const char* key : {"min", "max", "p50", "p99"}) {
        refuse(key, "absent with distribution table (its sizes bound it)");
      }
      const YAML::Node sizes = size["sizes"];
      if (!sizes || !sizes.IsMap() || sizes.size() == 0 || sizes.size() > kMaxTableSizes) {
        r.Error(sizes ? sizes : size, path + ".sizes",
                "a map of 1 to 1000 sizes in bytes to their weights, e.g. {256: 90, 4096: 10}");
        return;
      }
      w.size_table.clear();
      for (const auto& entry : sizes) {
        const std::string key = path + ".sizes." + entry.first.Scalar();
        SizeWeight sw;
        std::size_t used = 0;
        try {
          sw.size = std::stoi(entry.first.Scalar(), &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == 0 || used != entry.first.Scalar().size() || sw.size < kMinSize ||
            sw.size > kMaxSize) {
          r.Error(entry.first, key,
                  "a size in bytes from " + std::to_string(kMinSize) + " (the header) to " +
                      std::to_string(kMaxSize));
          continue;
        }
        used = 0;
        if (entry.second.IsScalar()) {
          try {
            sw.weight = std::stod(entry.second.Scalar(), &used);
          } catch (const std::exception&) {
            used = 0;
          }
        }
        if (used == 0 || used != entry.second.Scalar().size() || !(sw.weight > 0) ||
            !std::isfinite(sw.weight)) {
          r.Error(entry.second, key, "a weight: a number above 0");
          continue;
        }
        w.size_table.push_back(sw);
      }
      if (r.ErrorCount() != errors_before || w.size_table.empty()) return;
      double total = 0;
      for (const SizeWeight& entry : w.size_table) total += entry.weight;
      if (!std::isfinite(total)) {
        r.Error(sizes, path + ".sizes", "weights whose sum is a finite number");
        return;
      }
      std::sort(w.size_table.begin(), w.size_table.end(),
                [](const SizeWeight& a, const SizeWeight& b) { return a.size < b.size; });
      w.min_size = w.size_table.front().size;
      w.max_size = w.size_table.back().size;
      return;
    }
  }
  if (r.ErrorCount() == errors_before && w.max_size < w.min_size) {
    r.Error(size["max"] ? size["max"] : size, path + ".max",
            "a size of at least min (" + std::to_string(w.min_size) + ")");
  }
}

// workload.payload: {samples: PATH, order: sequential|random}: loads the samples now, so that
// validate-config names a sample that cannot be sent (message::Samples::Load).
void ReadSamples(YamlReader& r, const YAML::Node& payload, const std::string& path, Workload& w) {
  if (!r.CheckMap(payload, path, {"samples", "order"})) return;
  if (!payload["samples"]) {
    r.Error(payload, path + ".samples",
            "a file of newline-delimited samples or a directory of one sample a file");
    return;
  }
  std::string file;
  r.String(payload, path, "samples", file);
  bool random = false;
  r.Enum(payload, path, "order", random, {{"sequential", false}, {"random", true}});
  if (file.empty()) return;
  std::string error;
  std::shared_ptr<const message::Samples> samples = message::Samples::Load(file, error);
  if (!samples) {
    const YAML::Mark mark = payload["samples"].Mark();
    r.ErrorAtLine(mark.line + 1, mark.column + 1, path + ".samples", error);
    return;
  }
  w.payload = PayloadKind::kSamples;
  w.samples = {file, random, std::move(samples)};
  w.min_size = static_cast<int>(message::kHeaderSize + w.samples.data->Smallest());
  w.max_size = static_cast<int>(message::kHeaderSize + w.samples.data->Largest());
}

void ReadWorkload(YamlReader& r, const YAML::Node& node, Workload& w) {
  const std::string path = "workload";
  if (!r.CheckMap(node, path,
                  {"topics", "topic_prefix", "topics_per_replica", "message_size", "payload",
                   "keys", "key_skew", "workers", "worker_queue", "work", "publishers",
                   "brokerload_header", "headers"})) {
    return;
  }
  const std::size_t errors_before = r.ErrorCount();
  r.Int(node, path, "topics", w.topics, 1, 1'000);
  const bool topics_read = r.ErrorCount() == errors_before;
  r.String(node, path, "topic_prefix", w.topic_prefix);
  r.Bool(node, path, "topics_per_replica", w.topics_per_replica);
  r.Int(node, path, "publishers", w.publishers, 1, 64);
  // Against the topics as written: a refused topics value would quote its default here.
  if (topics_read && w.topics % w.publishers != 0) {
    r.Error(node["publishers"], path + ".publishers",
            "a divisor of workload.topics (" + std::to_string(w.topics) +
                "): each publisher connection sends to topics of its own");
  }
  if (!ValidName(w.topic_prefix)) {
    r.Error(node["topic_prefix"], path + ".topic_prefix",
            "letters, digits, '-' and '_' only (it names Kafka topics and NATS streams)");
  }
  if (const YAML::Node size = node["message_size"]; size && size.IsMap()) {
    ReadSizeDistribution(r, size, path + ".message_size", w);
  } else {
    r.Int(node, path, "message_size", w.min_size, kMinSize, kMaxSize);
    w.max_size = w.min_size;
  }
  if (const YAML::Node payload = node["payload"]; payload && payload.IsMap()) {
    ReadSamples(r, payload, path + ".payload", w);
    if (w.payload == PayloadKind::kSamples && node["message_size"]) {
      r.Error(node["message_size"], path + ".message_size",
              "absent with payload samples (each message is its sample after brokerload's "
              "56-byte header)");
    }
  } else {
    r.Enum(node, path, "payload", w.payload,
           {{"random", PayloadKind::kRandom}, {"compressible", PayloadKind::kCompressible}});
  }
  r.Enum(node, path, "brokerload_header", w.brokerload_header,
         {{"payload", HeaderPlace::kPayload}, {"message_header", HeaderPlace::kMessageHeader}});
  if (const YAML::Node headers = node["headers"];
      headers && r.CheckMap(headers, path + ".headers", {"count", "size"})) {
    r.Int(headers, path + ".headers", "count", w.extra_headers, 0, kMaxExtraHeaders);
    r.Int(headers, path + ".headers", "size", w.extra_header_size, 1, 4'096);
  }
  r.Int(node, path, "keys", w.keys, 0, 1'000'000);
  r.Number(node, path, "key_skew", w.key_skew, 0, 10);
  if (w.key_skew > 0 && (w.keys < 2 || w.keys > 100'000)) {
    r.Error(node["key_skew"], path + ".key_skew",
            "0 unless " + path + ".keys is from 2 to 100000 (a skew draws among the keys)");
  }
  r.Int(node, path, "workers", w.workers, 0, 4'096);
  r.Int(node, path, "worker_queue", w.worker_queue, 16, 1'000'000);
  if (const YAML::Node work = node["work"];
      work && r.CheckMap(work, path + ".work", {"mode", "time"})) {
    r.Enum(work, path + ".work", "mode", w.work,
           {{"none", WorkMode::kNone}, {"spin", WorkMode::kSpin}, {"sleep", WorkMode::kSleep}});
    r.Duration(work, path + ".work", "time", w.work_time, true);
    if (w.work != WorkMode::kNone && w.workers == 0) {
      r.Error(work["mode"], path + ".work.mode",
              "none while " + path +
                  ".workers is 0 (work is simulated on worker threads: set "
                  "workers to 1 or more)");
    }
  }
}

void ReadStage(YamlReader& r, const YAML::Node& node, const std::string& path, Stage& stage) {
  if (!r.CheckMap(node, path, {"name", "rate", "duration", "messages"})) return;
  r.String(node, path, "name", stage.name);
  if (!node["rate"]) r.Error(node, path + ".rate", "a rate in messages per second");
  r.Rate(node, path, "rate", stage.rate);
  r.OptionalDuration(node, path, "duration", stage.duration);
  r.UInt64(node, path, "messages", stage.messages);
  if (static_cast<bool>(node["duration"]) == static_cast<bool>(node["messages"])) {
    r.Error(node, path, "exactly one of duration and messages");
  }
  if (!ValidName(stage.name))
    r.Error(node["name"] ? node["name"] : node, path + ".name",
            "a name of letters, digits, '-' and '_'");
}

void ReadProfile(YamlReader& r, const YAML::Node& node, Profile& profile) {
  const std::string path = "profile";
  if (!r.CheckMap(node, path,
                  {"rate", "stages", "builtin", "repeat", "max_in_flight", "burst_interval"})) {
    return;
  }
  const bool unpaced = node["rate"] && node["rate"].IsScalar() && node["rate"].Scalar() == "max";
  if (node["max_in_flight"] && !unpaced) {
    r.Error(node["max_in_flight"], path + ".max_in_flight", "no value without rate: max");
  }
  if (node["burst_interval"]) {
    const bool automatic =
        node["burst_interval"].IsScalar() && node["burst_interval"].Scalar() == "auto";
    if (automatic) {
      profile.burst_auto = true;  // with rate: max, none (nothing is due at a time)
    } else if (unpaced) {
      r.Error(node["burst_interval"], path + ".burst_interval",
              "no value but auto with rate: max (nothing is due at a time)");
    } else {
      r.Duration(node, path, "burst_interval", profile.burst_interval, true);
      if (profile.burst_interval != Duration{0} &&
          (profile.burst_interval < std::chrono::microseconds(100) ||
           profile.burst_interval > std::chrono::seconds(1))) {
        r.Error(node["burst_interval"], path + ".burst_interval", "0s, auto, or from 100us to 1s");
      }
    }
  }
  if (unpaced) {
    if (node["stages"] || node["builtin"] || node["repeat"]) {
      r.Error(node["rate"], path + ".rate",
              "a rate in messages per second with stages, builtin or repeat (max is a constant, "
              "unpaced profile of its own)");
      return;
    }
    int window = 10'000;
    r.Int(node, path, "max_in_flight", window, 1, 1'000'000);
    profile.max_in_flight = static_cast<std::uint64_t>(window);
    profile.stages = {Stage{"max", 1e7, std::nullopt, std::nullopt}};
    return;
  }
  r.Bool(node, path, "repeat", profile.repeat);
  const bool has_stages = static_cast<bool>(node["stages"]);
  const bool has_builtin = static_cast<bool>(node["builtin"]);
  if (has_stages && (has_builtin || node["rate"])) {
    r.Error(node, path, "either stages, or rate (with an optional builtin), not both");
    return;
  }
  if (has_builtin) {
    std::string builtin;
    r.String(node, path, "builtin", builtin);
    double rate = 10'000;
    r.Rate(node, path, "rate", rate);
    if (builtin == "seed") {
      profile.stages = SeedProfile(rate).stages;  // repeat and burst_interval as read
    } else {
      r.Error(node["builtin"], path + ".builtin", "one of seed");
    }
    return;
  }
  if (has_stages) {
    const YAML::Node stages = node["stages"];
    if (!stages.IsSequence() || stages.size() == 0) {
      r.Error(stages, path + ".stages", "a non-empty list of stages");
      return;
    }
    profile.stages.clear();
    for (std::size_t i = 0; i < stages.size(); ++i) {
      Stage stage;
      stage.name = "stage-" + std::to_string(i);
      ReadStage(r, stages[i], path + ".stages[" + std::to_string(i) + "]", stage);
      profile.stages.push_back(std::move(stage));
    }
    return;
  }
  Stage constant{"constant", 1'000, std::nullopt, std::nullopt};
  r.Rate(node, path, "rate", constant.rate, /*or_max=*/true);
  profile.stages = {constant};
}

void ReadMetrics(YamlReader& r, const YAML::Node& node, Metrics& metrics) {
  const std::string path = "metrics";
  if (!r.CheckMap(node, path, {"listen", "path", "latency_buckets", "tls", "basic_auth"})) return;
  ReadMetricsSecurity(r, node, path, metrics);
  r.String(node, path, "listen", metrics.listen);
  if (!ValidListen(metrics.listen)) {
    r.Error(node["listen"], path + ".listen", "HOST:PORT with a port from 0 to 65535");
  }
  r.String(node, path, "path", metrics.path);
  if (metrics.path.front() != '/') r.Error(node["path"], path + ".path", "a path starting with /");
  r.Buckets(node, path, "latency_buckets", metrics.latency_buckets);
}

void ReadRun(YamlReader& r, const YAML::Node& node, Run& run) {
  const std::string path = "run";
  if (!r.CheckMap(node, path,
                  {"role", "loss_grace", "drain_timeout", "max_send_lag", "publish_timeout", "tick",
                   "startup_timeout", "warmup", "min_wake", "realtime_priority", "spin",
                   "cpu_dma_latency"})) {
    return;
  }
  r.Enum(node, path, "role", run.role,
         {{"full", Role::kFull},
          {"produce-only", Role::kProduceOnly},
          {"consume-only", Role::kConsumeOnly}});
  r.Duration(node, path, "loss_grace", run.loss_grace, false);
  r.Duration(node, path, "drain_timeout", run.drain_timeout, true);
  r.Duration(node, path, "max_send_lag", run.max_send_lag, false);
  r.Duration(node, path, "publish_timeout", run.publish_timeout, false);
  r.Duration(node, path, "tick", run.tick, false);
  r.Duration(node, path, "startup_timeout", run.startup_timeout, false);
  r.Duration(node, path, "warmup", run.warmup, true);
  r.Duration(node, path, "min_wake", run.min_wake, true);
  r.Int(node, path, "realtime_priority", run.realtime_priority, 0, 99);
  r.Bool(node, path, "spin", run.spin);
  if (node["cpu_dma_latency"]) {
    Duration latency{0};
    r.Duration(node, path, "cpu_dma_latency", latency, true);
    if (latency > std::chrono::seconds(1)) {
      r.Error(node["cpu_dma_latency"], path + ".cpu_dma_latency", "a duration from 0 to 1s");
    }
    run.cpu_dma_latency = latency;
  }
  // A message whose publish has not failed yet must never be declared lost.
  if (run.loss_grace <= run.publish_timeout && node["loss_grace"]) {
    r.Error(node["loss_grace"], path + ".loss_grace",
            "a duration longer than run.publish_timeout (" +
                std::to_string(run.publish_timeout.count() / 1'000'000) + " ms)");
  } else if (run.loss_grace <= run.publish_timeout) {
    r.Error(node["publish_timeout"], path + ".publish_timeout",
            "a duration shorter than run.loss_grace (" +
                std::to_string(run.loss_grace.count() / 1'000'000) + " ms)");
  }
  if (run.tick < std::chrono::microseconds(100) || run.tick > std::chrono::milliseconds(100)) {
    r.Error(node["tick"], path + ".tick", "a duration from 100us to 100ms");
  } else if (run.min_wake > run.tick) {
    if (node["min_wake"]) {
      r.Error(node["min_wake"], path + ".min_wake", "a duration from 0 to run.tick");
    } else {  // the default min_wake: the tick was set below it
      r.Error(node["tick"], path + ".tick",
              "a duration of at least run.min_wake (" +
                  std::to_string(run.min_wake.count() / 1'000) + " us)");
    }
  }
}

void ReadLog(YamlReader& r, const YAML::Node& node, Log& out) {
  if (!r.CheckMap(node, "log", {"level"})) return;
  r.Enum(node, "log", "level", out.level,
         {{"debug", log::Level::kDebug},
          {"info", log::Level::kInfo},
          {"warn", log::Level::kWarn},
          {"error", log::Level::kError}});
}

}  // namespace

std::string ConfigError::ToString() const {
  std::ostringstream out;
  out << file;
  if (line > 0) out << ":" << line << ":" << column;
  out << " " << (key.empty() ? "" : key + ": ") << message;
  return out.str();
}

LoadResult Parse(std::string_view text, const std::string& file_name, const PropertyCheck& check,
                 const WorkloadCheck& workload_check) {
  LoadResult result;
  YamlReader r(file_name, result.errors, result.warnings);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& error) {
    r.ErrorAtLine(error.mark.line + 1, error.mark.column + 1, "", "invalid YAML: " + error.msg);
    return result;
  }
  Config config;
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  r.CheckDuplicateKeys(root, "");
  if (!r.CheckMap(root, "", {"targets", "workload", "profile", "metrics", "run", "log"})) {
    return result;
  }

  ReadTargets(r, root["targets"], check, config);
  if (root["workload"]) ReadWorkload(r, root["workload"], config.workload);
  if (root["profile"]) {
    ReadProfile(r, root["profile"], config.profile);
  } else {
    config.profile.stages = {Stage{"constant", 1'000, std::nullopt, std::nullopt}};
  }
  if (root["metrics"]) ReadMetrics(r, root["metrics"], config.metrics);
  if (config.metrics.latency_buckets.empty()) {
    config.metrics.latency_buckets = DefaultLatencyBuckets();
  }
  if (root["run"]) ReadRun(r, root["run"], config.run);
  if (root["log"]) ReadLog(r, root["log"], config.log);
  if (workload_check) {  // after run.role, which it may read
    if (const std::optional<std::string> problem = workload_check(config)) {
      const YAML::Node workload = root["workload"];
      const YAML::Mark mark =
          (workload ? (workload["keys"] ? workload["keys"] : workload) : root).Mark();
      r.ErrorAtLine(mark.line + 1, mark.column + 1, "workload", *problem);
    }
  }

  std::stable_sort(result.errors.begin(), result.errors.end(),
                   [](const ConfigError& a, const ConfigError& b) {
                     return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                   });
  if (result.errors.empty()) result.config = std::move(config);
  return result;
}

LoadResult LoadFile(const std::string& path, const PropertyCheck& check,
                    const WorkloadCheck& workload_check) {
  LoadResult result;
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    result.errors.push_back(
        ConfigError{path, 0, 0, "", "is a directory; expected a YAML config file"});
    return result;
  }
  std::ifstream file(path);
  if (!file) {
    result.errors.push_back(ConfigError{
        path, 0, 0, "", std::string("cannot read the config file: ") + std::strerror(errno)});
    return result;
  }
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) {
    result.errors.push_back(ConfigError{path, 0, 0, "", "cannot read the config file"});
    return result;
  }
  return Parse(text.str(), path, check, workload_check);
}

}  // namespace brokerload::config
