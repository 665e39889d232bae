// Proves the cnats wiring against the real local nats-server: 10,000 messages published
// asynchronously into a memory-storage JetStream stream come back exactly once, unchanged, through
// a push subscription.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "broker_env.hpp"
#include "driver/nats/nats_client.hpp"

namespace {

constexpr int kMessages = 10'000;
const std::string kPrefix = "brokerload-roundtrip-";

using brokerload::driver::nats::ConnectionPtr;
using brokerload::driver::nats::JsPtr;
using brokerload::driver::nats::OptionsDeleter;
using brokerload::driver::nats::SubscriptionPtr;

struct Received {
  std::mutex mutex;
  std::condition_variable done;
  std::vector<int> seen = std::vector<int>(kMessages, 0);
  int count = 0;
  int unexpected = 0;
};

void OnMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* received = static_cast<Received*>(closure);
  const std::string value(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
  natsMsg_Destroy(msg);
  const int index = value.rfind(kPrefix, 0) == 0 ? std::stoi(value.substr(kPrefix.size())) : -1;
  std::lock_guard lock(received->mutex);
  if (index < 0 || index >= kMessages || value != kPrefix + std::to_string(index)) {
    ++received->unexpected;
    return;
  }
  ++received->seen[static_cast<size_t>(index)];
  if (++received->count == kMessages) received->done.notify_all();
}

std::atomic<int> publish_errors{0};

void OnPublishError(jsCtx*, jsPubAckErr*, void*) { publish_errors.fetch_add(1); }

TEST(NatsRoundtrip, PublishesAsyncAndConsumesTenThousandMessagesExactlyOnce) {
  std::string url;
  ASSERT_TRUE(brokerload::testing::LoadBrokerAddress("NATS_URL", url));
  const std::string stream = brokerload::testing::UniqueName("ROUNDTRIP");
  const std::string subject = stream + ".events";

  natsOptions* raw_opts = nullptr;
  ASSERT_EQ(natsOptions_Create(&raw_opts), NATS_OK);
  std::unique_ptr<natsOptions, OptionsDeleter> opts(raw_opts);
  ASSERT_EQ(natsOptions_SetURL(opts.get(), url.c_str()), NATS_OK);
  ASSERT_EQ(natsOptions_SetSendAsap(opts.get(), true), NATS_OK);
  natsConnection* raw_nc = nullptr;
  ASSERT_EQ(natsConnection_Connect(&raw_nc, opts.get()), NATS_OK)
      << "cannot connect to " << url << ": " << nats_GetLastError(nullptr);
  ConnectionPtr nc(raw_nc);

  jsOptions js_opts;
  jsOptions_Init(&js_opts);
  js_opts.PublishAsync.MaxPending = 1'000;  // the default 0 means unbounded
  js_opts.PublishAsync.ErrHandler = OnPublishError;
  jsCtx* raw_js = nullptr;
  ASSERT_EQ(natsConnection_JetStream(&raw_js, nc.get(), &js_opts), NATS_OK);
  JsPtr js(raw_js);

  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = stream.c_str();
  const char* subjects[] = {subject.c_str()};
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  config.Storage = js_MemoryStorage;
  jsStreamInfo* info = nullptr;
  jsErrCode js_error{};
  ASSERT_EQ(js_AddStream(&info, js.get(), &config, nullptr, &js_error), NATS_OK)
      << "js_AddStream: JetStream error " << js_error << " " << nats_GetLastError(nullptr);
  jsStreamInfo_Destroy(info);

  Received received;
  jsSubOptions sub_opts;
  jsSubOptions_Init(&sub_opts);
  sub_opts.Stream = stream.c_str();
  sub_opts.Config.AckPolicy = js_AckNone;
  sub_opts.Config.DeliverPolicy = js_DeliverAll;
  natsSubscription* raw_sub = nullptr;
  ASSERT_EQ(js_Subscribe(&raw_sub, js.get(), subject.c_str(), OnMessage, &received, nullptr,
                         &sub_opts, &js_error),
            NATS_OK)
      << "js_Subscribe: JetStream error " << js_error << " " << nats_GetLastError(nullptr);
  SubscriptionPtr sub(raw_sub);
  ASSERT_EQ(natsSubscription_SetPendingLimits(sub.get(), -1, -1), NATS_OK);

  for (int i = 0; i < kMessages; ++i) {
    const std::string value = kPrefix + std::to_string(i);
    ASSERT_EQ(js_PublishAsync(js.get(), subject.c_str(), value.data(),
                              static_cast<int>(value.size()), nullptr),
              NATS_OK)
        << "message " << i << ": " << nats_GetLastError(nullptr);
  }
  jsPubOptions pub_opts;
  jsPubOptions_Init(&pub_opts);
  pub_opts.MaxWait = 30'000;
  ASSERT_EQ(js_PublishAsyncComplete(js.get(), &pub_opts), NATS_OK);
  EXPECT_EQ(publish_errors.load(), 0);

  {
    std::unique_lock lock(received.mutex);
    received.done.wait_for(lock, std::chrono::seconds(60),
                           [&] { return received.count == kMessages; });
  }
  ASSERT_EQ(natsSubscription_Unsubscribe(sub.get()), NATS_OK);
  ASSERT_EQ(js_DeleteStream(js.get(), stream.c_str(), nullptr, &js_error), NATS_OK);

  std::lock_guard lock(received.mutex);
  EXPECT_EQ(received.count, kMessages);
  EXPECT_EQ(received.unexpected, 0);
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_EQ(received.seen[static_cast<size_t>(i)], 1) << "message " << i;
  }
}

}  // namespace
