// The publisher tests' manual clock, fake producer and fixture: publisher_test.cpp and
// publisher_reload_test.cpp share them.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <vector>

#include "message/header.hpp"
#include "pacing/publisher.hpp"

namespace brokerload::pacing::testing {

inline constexpr std::int64_t kStart = 1'700'000'000'000'000'000;
inline constexpr std::int64_t kMs = 1'000'000;

class ManualClock final : public Clock {
 public:
  std::int64_t NowNs() const override { return now; }
  std::int64_t now = kStart;
};

class FakeProducer final : public driver::Producer {
 public:
  struct Sent {
    std::size_t topic;
    std::vector<std::byte> key;
    message::Header header;
    std::size_t size;
    std::byte last;               // the payload's last byte
    std::vector<std::byte> body;  // the payload after the header
  };

  driver::Status Send(std::size_t topic, std::span<const std::byte> key,
                      std::span<const std::byte> payload) override {
    if (!refusals.empty()) {
      const driver::Status status = refusals.front();
      refusals.pop_front();
      if (status != driver::Status::kOk) return status;
    }
    sent.push_back({topic,
                    {key.begin(), key.end()},
                    *message::Decode(payload),
                    payload.size(),
                    payload.back(),
                    {payload.begin() + message::kHeaderSize, payload.end()}});
    return driver::Status::kOk;
  }
  bool Flush(std::chrono::milliseconds) override { return true; }
  driver::Description Describe() const override { return {}; }

  std::vector<Sent> sent;
  std::deque<driver::Status> refusals;
};

class PublisherTest : public ::testing::Test {
 protected:
  PublisherTest() {
    workload_.topics = 5;
    workload_.min_size = workload_.max_size = 100;
    run_.max_send_lag = std::chrono::milliseconds(100);
  }

  Publisher Make(const Schedule& schedule) {
    return Publisher(workload_, run_, schedule, producer_, accounting_, kRun, clock_, kStart);
  }

  static constexpr accounting::RunIdentity kRun{42, 1};
  config::Workload workload_;
  config::Run run_;
  ManualClock clock_;
  FakeProducer producer_;
  accounting::TargetAccounting accounting_{{0, 5, 0, kRun, 2 * kMs, 1, false}};
  Schedule schedule_{config::Profile{{config::Stage{"c", 1'000, std::nullopt, std::nullopt}}}};
};

inline Schedule ConstantRate(double rate) {
  return Schedule(config::Profile{{config::Stage{"c", rate, std::nullopt, std::nullopt}}});
}

}  // namespace brokerload::pacing::testing
