#include "driver/nats/consumer_admin.hpp"

#include <algorithm>

#include "driver/nats/nats_status.hpp"

namespace brokerload::driver::nats {
namespace {

jsOptions WaitingAtMost(std::int64_t wait_ms) {
  jsOptions options;
  jsOptions_Init(&options);
  options.Wait = std::max<std::int64_t>(1, wait_ms);  // 0 would be cnats' default, 5 s
  return options;
}

}  // namespace

natsStatus AddPushConsumer(jsCtx* js, const PushConsumerSpec& spec, std::int64_t wait_ms,
                           AddedConsumer& added, std::string& error) {
  jsConsumerConfig config;
  jsConsumerConfig_Init(&config);
  config.DeliverSubject = spec.deliver.c_str();
  config.FilterSubject = spec.stream.c_str();
  config.DeliverPolicy = spec.start_ns == 0 ? js_DeliverNew : js_DeliverByStartTime;
  config.OptStartTime = spec.start_ns;
  config.AckPolicy = spec.ack_policy == config::AckPolicy::kNone  ? js_AckNone
                     : spec.ack_policy == config::AckPolicy::kAll ? js_AckAll
                                                                  : js_AckExplicit;
  if (spec.ack_policy != config::AckPolicy::kNone) config.MaxAckPending = spec.max_ack_pending;
  jsOptions options = WaitingAtMost(wait_ms);
  jsConsumerInfo* info = nullptr;
  jsErrCode code{};
  const natsStatus s = js_AddConsumer(&info, js, spec.stream.c_str(), &config, &options, &code);
  if (s != NATS_OK) {
    error = "consumer of stream " + spec.stream + ": " + LastError(s) + " (JetStream error " +
            std::to_string(static_cast<int>(code)) + ")";
    return s;
  }
  added = {info->Name, info->Delivered.Stream};
  jsConsumerInfo_Destroy(info);
  return NATS_OK;
}

ConsumerPresence FindConsumer(jsCtx* js, const std::string& stream, const std::string& name,
                              std::int64_t wait_ms, std::string& error) {
  jsOptions options = WaitingAtMost(wait_ms);
  jsConsumerInfo* info = nullptr;
  jsErrCode code{};
  const natsStatus s = js_GetConsumerInfo(&info, js, stream.c_str(), name.c_str(), &options, &code);
  jsConsumerInfo_Destroy(info);
  if (s == NATS_OK) return ConsumerPresence::kPresent;
  if (s == NATS_NOT_FOUND || code == JSConsumerNotFoundErr || code == JSStreamNotFoundErr) {
    return ConsumerPresence::kGone;
  }
  error = "consumer " + name + " of stream " + stream + ": " + LastError(s);
  return ConsumerPresence::kUnknown;
}

void DeleteConsumer(jsCtx* js, const std::string& stream, const std::string& name,
                    std::int64_t wait_ms) {
  jsOptions options = WaitingAtMost(wait_ms);
  js_DeleteConsumer(js, stream.c_str(), name.c_str(), &options, nullptr);
}

}  // namespace brokerload::driver::nats
