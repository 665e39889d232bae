#include "config/targets_reader.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include "config/security_reader.hpp"

namespace brokerload::config {
namespace {

void ReadKafka(YamlReader& r, const YAML::Node& node, const PropertyCheck& check,
               std::optional<KafkaTarget>& out) {
  const std::string path = "targets.kafka";
  if (!r.CheckMap(node, path,
                  {"enabled", "bootstrap_servers", "consumer_group", "producer", "consumer",
                   "topic", "security"})) {
    return;
  }
  bool enabled = true;
  r.Bool(node, path, "enabled", enabled);
  KafkaTarget kafka;
  r.String(node, path, "bootstrap_servers", kafka.bootstrap_servers);
  r.String(node, path, "consumer_group", kafka.consumer_group);
  if (node["security"]) ReadKafkaSecurity(r, node["security"], path + ".security", kafka.security);
  const bool security_set = static_cast<bool>(node["security"]);
  ReadClientProperties(r, node, path, "producer", ClientRole::kProducer, check, security_set,
                       kafka.producer);
  ReadClientProperties(r, node, path, "consumer", ClientRole::kConsumer, check, security_set,
                       kafka.consumer);
  if (const YAML::Node topic = node["topic"];
      topic && r.CheckMap(topic, path + ".topic",
                          {"partitions", "replication_factor", "create", "config"})) {
    r.IntOrWord(topic, path + ".topic", "partitions", kafka.topic.partitions.count, 1, 10'000,
                "per_broker", kafka.topic.partitions.per_broker);
    r.Int(topic, path + ".topic", "replication_factor", kafka.topic.replication_factor, -1, 32);
    if (kafka.topic.replication_factor == 0) {
      r.Error(topic["replication_factor"], path + ".topic.replication_factor",
              "-1 (the cluster's default.replication.factor) or 1 to 32");
    }
    r.Bool(topic, path + ".topic", "create", kafka.topic.create);
    // Merged over the defaults: adding one property keeps retention.ms.
    config::Properties given;
    r.Properties(topic, path + ".topic", "config", given);
    for (auto& property : given) {
      const auto same = std::find_if(kafka.topic.config.begin(), kafka.topic.config.end(),
                                     [&](const auto& kv) { return kv.first == property.first; });
      if (same != kafka.topic.config.end()) {
        same->second = std::move(property.second);
      } else {
        kafka.topic.config.push_back(std::move(property));
      }
    }
  }
  if (enabled) out = std::move(kafka);
}

void ReadNats(YamlReader& r, const YAML::Node& node, std::optional<NatsTarget>& out) {
  const std::string path = "targets.nats";
  if (!r.CheckMap(node, path,
                  {"enabled", "servers", "stream", "ack_policy", "max_ack_pending", "max_pending",
                   "send_asap", "tls", "user", "password", "password_file", "token", "token_file",
                   "nkey_seed_file", "credentials_file"})) {
    return;
  }
  bool enabled = true;
  r.Bool(node, path, "enabled", enabled);
  NatsTarget nats;
  r.StringList(node, path, "servers", nats.servers);
  ReadNatsSecurity(r, node, path, nats);
  r.Enum(
      node, path, "ack_policy", nats.ack_policy,
      {{"none", AckPolicy::kNone}, {"all", AckPolicy::kAll}, {"explicit", AckPolicy::kExplicit}});
  r.Int(node, path, "max_ack_pending", nats.max_ack_pending, 1, 1'000'000);
  if (node["max_ack_pending"] && nats.ack_policy == AckPolicy::kNone) {
    r.Error(node["max_ack_pending"], path + ".max_ack_pending",
            "no value with ack_policy none (without acks the server waits for none); set "
            "ack_policy to all or explicit");
  }
  r.Int(node, path, "max_pending", nats.max_pending, 1, 1'000'000);
  r.Bool(node, path, "send_asap", nats.send_asap);
  const std::string stream_path = path + ".stream";
  if (const YAML::Node stream = node["stream"];
      stream && r.CheckMap(stream, stream_path,
                           {"storage", "replicas", "max_bytes", "max_age", "discard", "create",
                            "compression"})) {
    r.Enum(stream, stream_path, "storage", nats.stream.storage,
           {{"memory", Storage::kMemory}, {"file", Storage::kFile}});
    r.Int(stream, stream_path, "replicas", nats.stream.replicas, 1, 5);
    r.Int64(stream, stream_path, "max_bytes", nats.stream.max_bytes, -1);
    r.Duration(stream, stream_path, "max_age", nats.stream.max_age, true);
    r.Enum(stream, stream_path, "discard", nats.stream.discard,
           {{"old", Discard::kOld}, {"new", Discard::kNew}});
    r.Bool(stream, stream_path, "create", nats.stream.create);
    r.Enum(stream, stream_path, "compression", nats.stream.compress_s2,
           {{"none", false}, {"s2", true}});
    if (nats.stream.compress_s2 && nats.stream.storage != Storage::kFile) {
      r.Error(stream["compression"], stream_path + ".compression",
              "none unless " + stream_path +
                  ".storage is file (nats-server compresses the blocks of file streams only)");
    }
  }
  if (enabled) out = std::move(nats);
}

}  // namespace

void ReadTargets(YamlReader& r, const YAML::Node& targets, const PropertyCheck& check,
                 Config& config) {
  if (!targets) {
    r.ErrorAtLine(1, 1, "targets", "expected at least one of kafka and nats, got nothing");
  } else if (r.CheckMap(targets, "targets", {"kafka", "nats"})) {
    if (targets["kafka"]) ReadKafka(r, targets["kafka"], check, config.kafka);
    if (targets["nats"]) ReadNats(r, targets["nats"], config.nats);
    if (!config.kafka && !config.nats && r.ErrorCount() == 0) {
      r.Error(targets, "targets", "at least one enabled target (kafka or nats)");
    }
  }
}

}  // namespace brokerload::config
