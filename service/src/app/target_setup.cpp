#include "app/target_setup.hpp"

#include <algorithm>
#include <thread>

#include "log/log.hpp"
#include "message/header.hpp"

namespace brokerload::app {

bool RetrySetup(const std::string& name, const std::function<bool(std::string& error)>& attempt,
                const std::function<void()>& undo, const driver::Health& health,
                const std::atomic<bool>& cancel, std::chrono::steady_clock::time_point deadline,
                std::string& error) {
  for (int count = 1;; ++count) {
    std::string attempt_error;
    if (attempt(attempt_error)) return true;
    undo();
    if (cancel.load()) {
      error = "setup cancelled";
      return false;
    }
    if (health.refused.load()) {  // credentials, certificate or protocol: retrying cannot help
      error = attempt_error.starts_with(name + ":") ? attempt_error : name + ": " + attempt_error;
      return false;
    }
    if (std::chrono::steady_clock::now() + std::chrono::seconds(1) >= deadline) {
      error = attempt_error + " (gave up after " + std::to_string(count) +
              " attempts; run.startup_timeout)";
      return false;
    }
    LOG_WARN("%s: setup attempt %d failed: %s; retrying", name.c_str(), count,
             attempt_error.c_str());
    for (int i = 0; i < 10 && !cancel.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

namespace {

// Sends one probe to every partition of `topic` (up to 64: the probe mask's width).
void SendProbes(driver::Producer& producer, std::size_t topic, accounting::RunIdentity identity,
                const pacing::Clock& clock, std::vector<std::byte>& payload) {
  for (std::size_t p = 0; p < producer.Partitions(topic); ++p) {
    message::Header header;
    header.run_id = identity.run_id;
    header.producer_id = identity.producer_id;
    header.topic = static_cast<std::uint16_t>(topic);
    header.key = static_cast<std::uint32_t>(p % 64);
    header.sequence = message::kProbeSequence;
    header.intended_ns = header.actual_ns = clock.NowNs();
    message::Encode(header, payload);
    producer.SendToPartition(topic, p, payload);
  }
}

}  // namespace

bool ProbeRoundTrip(const std::string& name, const std::vector<std::string>& topics,
                    const std::vector<driver::Clients>& lanes,
                    const accounting::TargetAccounting& accounting,
                    accounting::RunIdentity identity, const pacing::Clock& clock,
                    const std::atomic<bool>& cancel, std::chrono::steady_clock::time_point deadline,
                    std::string& error) {
  auto producer_of = [&](std::size_t topic) -> driver::Producer& {
    return *lanes[topic % lanes.size()].producer;
  };
  auto missing = [&](std::size_t topic) {
    const std::size_t partitions = std::min<std::size_t>(producer_of(topic).Partitions(topic), 64);
    return accounting.ProbesReceived(topic) !=
           (partitions == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << partitions) - 1);
  };
  std::vector<std::byte> payload(message::kHeaderSize);
  auto next_send = std::chrono::steady_clock::now();
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    std::string waiting;
    for (std::size_t t = 0; t < topics.size(); ++t) {
      if (!missing(t)) continue;
      waiting += (waiting.empty() ? "" : ", ") + topics[t];
      if (now >= next_send) SendProbes(producer_of(t), t, identity, clock, payload);
    }
    if (now >= next_send) next_send = now + std::chrono::seconds(2);
    if (waiting.empty()) return true;
    if (cancel.load()) {
      error = "setup cancelled";
      return false;
    }
    if (now >= deadline) {
      error = name + ": no probe round trip on " + waiting +
              " (sent and not received back before run.startup_timeout)";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace brokerload::app
