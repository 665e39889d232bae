#include "driver/nats/nats_streams.hpp"

#include <algorithm>
#include <cstdint>
#include <string_view>

#include "driver/nats/nats_status.hpp"
#include "log/log.hpp"

namespace brokerload::driver::nats {

namespace {

// JetStream's error code for a stream that exists with another config (cnats'
// JSStreamNameExistErr).
constexpr int kStreamNameExist = 10058;

// With compression: cnats 3.4's jsStreamConfig has no compression, so the stream is created by
// the JetStream API's own request ($JS.API.STREAM.CREATE.<name>, the JSON a client sends), and
// the server's answer must show the compression (a server before 2.10 ignores the field).
natsStatus CreateCompressedStream(natsConnection* nc, const config::NatsStreamSettings& settings,
                                  const std::string& topic, std::int64_t wait_ms,
                                  std::string& error) {
  const std::string request =
      "{\"name\":\"" + topic + "\",\"subjects\":[\"" + topic + "\"],\"storage\":\"" +
      (settings.storage == config::Storage::kMemory ? "memory" : "file") +
      "\",\"num_replicas\":" + std::to_string(settings.replicas) +
      ",\"max_bytes\":" + std::to_string(settings.max_bytes) +
      ",\"max_age\":" + std::to_string(settings.max_age.count()) + ",\"discard\":\"" +
      (settings.discard == config::Discard::kOld ? "old" : "new") + "\",\"compression\":\"s2\"}";
  natsMsg* reply = nullptr;
  const natsStatus s =
      natsConnection_Request(&reply, nc, ("$JS.API.STREAM.CREATE." + topic).c_str(), request.data(),
                             static_cast<int>(request.size()), std::max<std::int64_t>(1, wait_ms));
  if (s != NATS_OK) {
    error = "stream " + topic + ": " + LastError(s) + " (is JetStream enabled?)";
    return s;
  }
  const std::string answer(natsMsg_GetData(reply),
                           static_cast<std::size_t>(natsMsg_GetDataLength(reply)));
  natsMsg_Destroy(reply);
  if (answer.find("\"error\"") != std::string::npos) {
    if (answer.find("\"err_code\":" + std::to_string(kStreamNameExist)) != std::string::npos) {
      // Another config: used as it is, as other streams are, but only if it compresses, since
      // the report says s2 (a stream left by an uncompressed run of the same prefix would not).
      natsMsg* info = nullptr;
      const natsStatus i =
          natsConnection_Request(&info, nc, ("$JS.API.STREAM.INFO." + topic).c_str(), nullptr, 0,
                                 std::max<std::int64_t>(1, wait_ms));
      const bool compressed =
          i == NATS_OK && std::string_view(natsMsg_GetData(info),
                                           static_cast<std::size_t>(natsMsg_GetDataLength(info)))
                                  .find("\"compression\":\"s2\"") != std::string_view::npos;
      natsMsg_Destroy(info);
      if (i != NATS_OK) {
        error = "stream " + topic + ": exists with another config, and its info: " + LastError(i);
        return i;
      }
      if (!compressed) {
        error = "stream " + topic +
                " exists uncompressed (left by an earlier run?): targets.nats.stream.compression: "
                "s2 needs it gone (brokerload cleanup) or another workload.topic_prefix";
        return NATS_ERR;
      }
      LOG_INFO("nats: stream %s exists (S2-compressed) with another config; using it as it is",
               topic.c_str());
      return NATS_OK;
    }
    error = "stream " + topic + ": the server refused it: " + answer +
            " (set targets.nats.stream.create: false for managed streams)";
    return NATS_ERR;
  }
  if (answer.find("\"compression\":\"s2\"") == std::string::npos) {
    error = "stream " + topic +
            ": the server created it uncompressed (targets.nats.stream.compression: s2 needs "
            "nats-server 2.10 or later)";
    return NATS_ERR;
  }
  LOG_INFO("nats: stream %s ready (S2-compressed)", topic.c_str());
  return NATS_OK;
}

natsStatus EnsureStream(natsConnection* nc, jsCtx* js, const config::NatsStreamSettings& settings,
                        const std::string& topic, std::int64_t wait_ms, std::string& error) {
  if (settings.compress_s2) return CreateCompressedStream(nc, settings, topic, wait_ms, error);
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = topic.c_str();
  const char* subjects[] = {topic.c_str()};
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  config.Storage = settings.storage == config::Storage::kMemory ? js_MemoryStorage : js_FileStorage;
  config.Replicas = settings.replicas;
  config.MaxBytes = settings.max_bytes;
  config.MaxAge = settings.max_age.count();
  config.Discard = settings.discard == config::Discard::kOld ? js_DiscardOld : js_DiscardNew;
  jsOptions options;
  jsOptions_Init(&options);
  options.Wait = std::max<std::int64_t>(1, wait_ms);  // 0 would be cnats' default, 5 s
  jsStreamInfo* info = nullptr;
  jsErrCode code{};
  const natsStatus s = js_AddStream(&info, js, &config, &options, &code);
  jsStreamInfo_Destroy(info);
  if (s == NATS_OK) {
    LOG_INFO("nats: stream %s ready", topic.c_str());
    return NATS_OK;
  }
  if (code == JSStreamNameExistErr) {
    LOG_INFO("nats: stream %s exists with another config; using it as it is", topic.c_str());
    return NATS_OK;
  }
  error = "stream " + topic + ": " + LastError(s) + " (JetStream error " +
          std::to_string(static_cast<int>(code)) +
          "; is JetStream enabled? set targets.nats.stream.create: false for managed streams)";
  return s;
}

}  // namespace

bool EnsureStreams(natsConnection* nc, jsCtx* js, const config::NatsStreamSettings& settings,
                   const std::vector<std::string>& topics, const SetupBudget& budget,
                   std::string& error) {
  std::string step_error;
  const Steps steps =
      RunWithin(topics.size(), budget, kRequestWait, [&](std::size_t i, std::int64_t wait_ms) {
        return StepOf(EnsureStream(nc, js, settings, topics[i], wait_ms, step_error));
      });
  if (steps.Complete(topics.size())) return true;
  error = StepsError(steps, topics.size(), budget, "streams", "ready", step_error);
  return false;
}

std::optional<Leadership> StreamLeaders(jsCtx* js, const std::vector<std::string>& topics,
                                        const SetupBudget& budget) {
  Leadership leadership;
  auto name = [&](const char* server) {
    if (server == nullptr || *server == 0) return;
    if (std::find(leadership.brokers.begin(), leadership.brokers.end(), server) ==
        leadership.brokers.end()) {
      leadership.brokers.emplace_back(server);
    }
  };
  const Steps steps =
      RunWithin(topics.size(), budget, kRequestWait, [&](std::size_t i, std::int64_t wait_ms) {
        jsOptions options;
        jsOptions_Init(&options);
        options.Wait = wait_ms;
        jsStreamInfo* info = nullptr;
        const natsStatus s = js_GetStreamInfo(&info, js, topics[i].c_str(), &options, nullptr);
        if (s == NATS_OK) {
          const jsClusterInfo* cluster = info->Cluster;
          const char* leader = cluster != nullptr ? cluster->Leader : nullptr;
          leadership.leaders.emplace_back(leader != nullptr ? leader : "");
          name(leader);
          for (int r = 0; cluster != nullptr && r < cluster->ReplicasLen; ++r) {
            name(cluster->Replicas[r]->Name);
          }
        }
        jsStreamInfo_Destroy(info);
        return StepOf(s);
      });
  if (!steps.Complete(topics.size())) return std::nullopt;
  return leadership;
}

}  // namespace brokerload::driver::nats
