#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "accounting/target_accounting.hpp"
#include "driver/driver.hpp"
#include "pacing/clock.hpp"
#include "pacing/doorbell.hpp"
#include "workers/pool.hpp"

// A target's lane ends: what stands between one lane's clients and the target's accounting
// (TargetRuntime owns them; each outlives the clients that call it). With workload.publishers N,
// lane k's producer sends the target's topics t % N == k and its consumer reads them as its own
// topics 0, 1, ..., topic i being the target's k + i * N; with one lane, the identity.
namespace brokerload::app {

// Lane k's producer's verdicts: counted, and rung on the lane's doorbell so that an unpaced
// publisher with a full window sleeps until it has room (pacing::Doorbell). Called on the
// producer's threads (driver::AckListener's contract); never blocks.
class LaneAcks final : public driver::AckListener {
 public:
  LaneAcks(accounting::TargetAccounting& accounting, const pacing::Clock& clock)
      : accounting_(accounting), clock_(clock) {}
  void OnAck(std::span<const std::byte> payload, std::int32_t broker) override {
    accounting_.OnAck(payload, clock_.NowNs(), broker);
    doorbell.Settled();
  }
  void OnAckFailed(std::span<const std::byte> payload, driver::Status status,
                   std::int32_t broker) override {
    accounting_.OnAckFailed(payload, status, broker);
    doorbell.Settled();
  }
  pacing::Doorbell doorbell;

 private:
  accounting::TargetAccounting& accounting_;
  const pacing::Clock& clock_;
};

// Lane k's consumer's messages: accounted on the consumer's thread, then handed to the worker
// pool (inline without workers). Called on the consumer's threads (driver::MessageListener's
// contract).
class LaneListener final : public driver::MessageListener {
 public:
  // `keyed`: workload.keys > 0 (one key's messages go to one worker, in order); `may_wait`: the
  // pool or simulated work may hold the caller (MessageListener::MayWait).
  LaneListener(accounting::TargetAccounting& accounting, const pacing::Clock& clock,
               workers::Pool& pool, bool keyed, bool may_wait, std::size_t lane, std::size_t lanes)
      : accounting_(accounting),
        clock_(clock),
        pool_(pool),
        keyed_(keyed),
        may_wait_(may_wait),
        lane_(lane),
        lanes_(lanes) {}

  void OnMessage(std::size_t topic, std::uint32_t partition, std::int32_t broker,
                 std::span<const std::byte> header, std::size_t bytes, bool replayed) override;
  bool MayWait() const override { return may_wait_; }
  void OnClientDropped(std::size_t topic, std::uint64_t count) override {
    accounting_.OnClientDropped(lane_ + topic * lanes_, count);
  }

 private:
  std::size_t WorkerFor(const accounting::WorkItem& item) const;

  accounting::TargetAccounting& accounting_;
  const pacing::Clock& clock_;
  workers::Pool& pool_;
  bool keyed_;
  bool may_wait_;
  std::size_t lane_;
  std::size_t lanes_;
};

}  // namespace brokerload::app
