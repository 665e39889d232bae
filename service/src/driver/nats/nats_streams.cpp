#include "driver/nats/nats_streams.hpp"

#include "driver/nats/nats_status.hpp"
#include "log/log.hpp"

namespace brokerload::driver::nats {

bool EnsureStreams(jsCtx* js, const config::NatsStreamSettings& settings,
                   const std::vector<std::string>& topics, std::string& error) {
  for (const std::string& topic : topics) {
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    config.Name = topic.c_str();
    const char* subjects[] = {topic.c_str()};
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    config.Storage =
        settings.storage == config::Storage::kMemory ? js_MemoryStorage : js_FileStorage;
    config.Replicas = settings.replicas;
    config.MaxBytes = settings.max_bytes;
    config.MaxAge = settings.max_age.count();
    config.Discard = settings.discard == config::Discard::kOld ? js_DiscardOld : js_DiscardNew;
    jsStreamInfo* info = nullptr;
    jsErrCode code{};
    const natsStatus s = js_AddStream(&info, js, &config, nullptr, &code);
    jsStreamInfo_Destroy(info);
    if (s == NATS_OK) {
      LOG_INFO("nats: stream %s ready", topic.c_str());
      continue;
    }
    if (code == JSStreamNameExistErr) {
      LOG_INFO("nats: stream %s exists with another config; using it as it is", topic.c_str());
      continue;
    }
    error = "stream " + topic + ": " + LastError(s) + " (JetStream error " +
            std::to_string(static_cast<int>(code)) +
            "; is JetStream enabled? set targets.nats.stream.create: false for managed streams)";
    return false;
  }
  return true;
}

}  // namespace brokerload::driver::nats
