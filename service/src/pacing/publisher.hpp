#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "accounting/target_accounting.hpp"
#include "config/config.hpp"
#include "driver/driver.hpp"
#include "message/samples.hpp"
#include "pacing/clock.hpp"
#include "pacing/doorbell.hpp"
#include "pacing/keys.hpp"
#include "pacing/schedule.hpp"
#include "pacing/sizes.hpp"
#include "pacing/wake_lead.hpp"

namespace brokerload::pacing {

// What a reload may change in a running Publisher (docs/configuration.md, "Reloading"),
// prepared off the message path (the payload alone may be 1 MiB) and handed over whole.
struct PublisherSettings {
  const Schedule* schedule = nullptr;  // not owned; at least one stage; outlives the Publisher
  std::int64_t start_ns = 0;           // when the schedule's message 0 is due (Unix ns)
  SizeChooser sizes;                   // each message's size, header included (without samples)
  std::vector<std::byte> payload;      // the largest message: the pattern every message is cut from
  // workload.payload samples: message n is the header then sample n % count, or a drawn one.
  std::shared_ptr<const message::Samples> samples;
  bool random_samples = false;
  std::int64_t max_lag_ns = 0;   // run.max_send_lag
  std::int64_t min_wake_ns = 0;  // run.min_wake
};

// Settings for `schedule` from `start_ns`: the workload's sizes and payload kind (random bytes
// drawn from `seed`, the run id, or repeated text), run.max_send_lag and run.min_wake. Allocates.
PublisherSettings MakeSettings(const config::Workload& workload, const config::Run& run,
                               const Schedule& schedule, std::int64_t start_ns, std::uint64_t seed);

// Which share of the schedule a Publisher sends: the messages n with n % count == index.
struct Lane {
  std::uint32_t index = 0;
  std::uint32_t count = 1;
};

// Sends one target's messages on the schedule. Step() is the whole policy and is driven either
// by tests with a manual clock or by PublisherThread. With an unpaced schedule (`rate: max`) it
// sends while fewer than the schedule's window are in flight (sent, not yet acked or failed),
// each message's intended time being its send time (closed loop: no send lag, no coordinated-
// omission correction), in the warm-up stage until the warm-up's time has passed; offered
// settings take over at their start_ns. Message n of the run goes to topic n % topics; with
// keys, to key (n / topics) % keys, or a Zipf draw of n (KeyChooser); its size is SizeChooser's
// for n, or with samples its sample's (n % samples, or drawn from the run id and n), copied after
// the header into the publisher's own buffer. A send refused with
// kQueueFull is retried at the next step (so lag grows, and sends count as late); messages more
// than max_send_lag behind are dropped and counted, so nothing queues without bound. Not
// thread-safe: one thread calls Step(), NextWakeNs(), NextDueNs(), SettlesForRoom() and
// RoomWaitUntilNs(); Offer(), Finished() and CurrentStagePlan() may be called from any thread.
//
// Lanes (workload.publishers): N publishers share one schedule, each on its own producer
// connection and thread; lane k of N sends the schedule's messages n with n % N == k, so the N
// together send what one would, each message at its time. Lane k counts the run's messages as
// k, k + N, ..., so with topics % N == 0 (the config requires it) its messages go to topics
// t % N == k only: each topic has one publisher, its sequence numbers stay gap-free, and its
// counters keep one writing thread (the target-wide send-lag histograms take atomic adds from
// every lane). Unpaced, each lane keeps at most ceil(window / N) of its own topics' messages in
// flight (so up to window + N - 1 in all).
//
// A reload hands over new settings with Offer(). The current schedule keeps sending what is due
// before the new settings' start_ns, the new schedule everything due from then on: nothing is
// sent twice or skipped at the switch, the lag carries over (a publisher behind stays behind, as
// it would have been), and each topic's sequence numbers go on without a gap. Settings taken
// after their start_ns (the publisher had already sent old-schedule messages due after it) start
// after the last of those; with lanes, after each lane's own last, so near such a late switch the
// lanes together may also send the new schedule's messages due between one lane's last old
// message and another's (less than N old messages apart): a few more than one publisher would,
// none twice. After a switch, which topic a given time goes to may differ from one publisher's
// (each lane counts its own messages).
class Publisher {
 public:
  // `lane.count` must divide workload.topics and `lane.index` be below it.
  Publisher(const config::Workload& workload, const config::Run& run, const Schedule& schedule,
            driver::Producer& producer, accounting::TargetAccounting& accounting,
            accounting::RunIdentity identity, const Clock& clock, std::int64_t start_ns,
            Lane lane = {});
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Sends what is due at `now_ns`, handling (sending, or counting as failed) at most
  // `max_batch` messages; returns how many were handed to the producer.
  std::size_t Step(std::int64_t now_ns, std::size_t max_batch = 1 << 16);

  // Hands over `next` (a reload). Step() takes it at its next call (PublisherThread::Wake() ends
  // the thread's sleep for that, or it wakes at the next due time) and switches when
  // `next->start_ns` comes; settings offered before and not yet in effect are dropped: the latest
  // offer wins. If `next->start_ns` had already passed when the publisher took them and it had sent
  // messages due after it, the new schedule starts after the last of those. Any thread; lock-free,
  // never blocks.
  void Offer(std::unique_ptr<PublisherSettings> next);

  // When to call Step() next, given that the last Step() was at `stepped_at_ns`: at the next
  // message's due time (taken settings' start included), but not sooner than run.min_wake after
  // that step (above that rate, what is due goes in batches), and at the latest kLongestSleepNs
  // after it. Nothing else needs a wake: Stop() and offered settings wake the thread
  // (PublisherThread::Wake), and the stage follows the messages sent. When the last step left
  // due messages unsent (the producer refused them), `tick_ns` later: a retry at once would only
  // spin. A due time already past (it came due while sending) means now. Unpaced: now after a
  // step that sent; otherwise min_wake (at least 50 us) later, when acks may have freed the
  // window.
  std::int64_t NextWakeNs(std::int64_t stepped_at_ns, std::int64_t tick_ns) const;
  static constexpr std::int64_t kLongestSleepNs = 1'000'000'000;
  // When the next message to send is due (Unix ns), the start of settings taken and waiting
  // included; nullopt once the profile is finished.
  std::optional<std::int64_t> NextDueNs() const;
  // Unpaced, with no room in this lane's window: how many of its messages in flight must settle
  // (ack or fail) before an eighth of the window (at least one message) is free again, so that
  // PublisherThread can sleep until then (pacing::Doorbell) rather than look every min_wake;
  // 0 with room, or paced. In flight stays between 7/8 of the window and the window.
  std::uint64_t SettlesForRoom() const;
  // Unpaced, waiting for room after a step at `stepped_at_ns`: when to look again at the latest,
  // `max_wait_ns` later or sooner when taken settings start or the warm-up stage ends.
  std::int64_t RoomWaitUntilNs(std::int64_t stepped_at_ns, std::int64_t max_wait_ns) const;

  // True once a bounded profile sent its last message (until settings with a new one arrive).
  bool Finished() const { return finished_.load(std::memory_order_relaxed); }
  // Whether the settings in effect are unpaced (`rate: max`); any thread.
  bool Unpaced() const { return unpaced_.load(std::memory_order_relaxed); }
  // The stage of the last message handled (the first stage before any), in a schedule that
  // outlives the Publisher.
  const StagePlan& CurrentStagePlan() const { return *stage_.load(std::memory_order_acquire); }

 private:
  void Install(PublisherSettings& settings, std::uint64_t first);
  void TakeOffer();
  void Switch();
  // Drops what is too late at `now_ns`, then sends what is due by `until_ns` (<= now_ns), and
  // never message `limit` or later.
  std::size_t Send(std::int64_t now_ns, std::int64_t until_ns, std::size_t max_batch,
                   std::uint64_t limit);
  // With settings offered, where the current schedule ends: the messages it sends before the new
  // one starts (Schedule::CutAt: a burst that straddles that start is cut there); else unbounded.
  std::uint64_t Limit() const;
  bool ScheduleDone() const { return total_ && next_ >= *total_; }
  // Unpaced: sends while the window has room, at most `max_batch`.
  std::size_t SendUnpaced(std::int64_t now_ns, std::size_t max_batch);
  // Builds, sends and accounts the next message (its topic, key and sequence follow count_);
  // on kQueueFull nothing changes, so the same message goes next time.
  driver::Status SendOne(std::int64_t intended_ns, std::int64_t actual_ns);
  void UpdateStage(std::int64_t now_ns);
  void Drop(std::uint64_t until);
  // The first index at or after `n` that is this lane's.
  std::uint64_t Align(std::uint64_t n) const {
    return n + (lane_.index + lanes_ - n % lanes_) % lanes_;
  }

  driver::Producer& producer_;
  accounting::TargetAccounting& accounting_;
  accounting::RunIdentity identity_;
  const Clock& clock_;
  std::uint32_t topics_;
  KeyChooser keys_;
  Lane lane_;
  std::uint64_t lanes_;  // lane_.count
  // The settings in effect (Install).
  const Schedule* schedule_ = nullptr;
  std::int64_t start_ns_ = 0;
  std::int64_t max_lag_ns_ = 0;
  std::int64_t min_wake_ns_ = 0;
  std::optional<std::uint64_t> total_;
  std::optional<std::uint64_t> window_;  // unpaced: at most this many in flight
  bool last_step_sent_ = false;
  SizeChooser sizes_;
  std::shared_ptr<const message::Samples> samples_;
  bool random_samples_ = false;
  std::uint64_t seed_ = 0;          // the run id: draws of samples
  std::vector<std::byte> payload_;  // reused for every message: no allocation per send
  std::uint64_t next_ = 0;          // the next message's index in schedule_ (this lane's)
  std::uint64_t count_ = 0;  // the run's messages handled (sent, failed or dropped) before the
                             // next, every lane's: this lane's next is message count_ of the run
  std::vector<std::uint64_t> sequence_;               // per topic: the next sequence number to send
  std::atomic<PublisherSettings*> offered_{nullptr};  // owned; Offer() -> TakeOffer()
  std::unique_ptr<PublisherSettings> pending_;        // taken, waiting for its start_ns
  std::atomic<const StagePlan*> stage_{nullptr};
  std::atomic<bool> finished_{false};
  std::atomic<bool> unpaced_{false};  // window_.has_value(), for other threads
};

// Whether one interval's sends show the publisher behind its schedule, rather than the odd late
// send (a descheduled thread, a page fault) that a shared machine causes now and then: any send
// dropped, or more than kLateShareBehind of the interval's sends late. Late sends are counted in
// the metrics either way.
inline constexpr double kLateShareBehind = 0.01;
bool BehindSchedule(std::uint64_t sent, std::uint64_t late, std::uint64_t dropped);

// How a PublisherThread runs (run.realtime_priority, run.spin; tests shorten or lengthen waits).
struct PublisherThreadOptions {
  std::string name = "publisher";  // the thread's name after "bl-" (log::NameThread)
  int realtime_priority = 0;       // 0: normal scheduling; 1-99: SCHED_FIFO at that priority
  bool spin = false;               // end each sleep before a send early and spin the rest
  // Not owned, outlives the thread; rung by the producer's ack path for every settled message
  // of this lane. nullptr: the thread has its own (for Wake and Stop), and a full unpaced window
  // is polled every min_wake.
  Doorbell* doorbell = nullptr;
  std::chrono::nanoseconds room_wait{100'000'000};  // the longest wait for room in the window
};

// Runs a Publisher on its own thread: steps, then sleeps until Publisher::NextWakeNs (the next
// due time; unpaced with a full window, see below), on a futex that Stop() and Wake() end at
// once, so that a paced thread wakes only to send. Nothing else runs on it: reconnect work is the
// producer's Maintain(), elsewhere. The thread asks the kernel for the smallest timer slack, since
// the default 50 us would alone be most of the send lag at low rates. Send lag is then the
// kernel's wake-up latency (docs/benchmarks.md, "Send precision"). With `spin`, a sleep before a
// send ends WakeLead early and the thread spins the rest (at most 100 us, at most a quarter of
// the sleep): send lag falls to microseconds, for that spin's CPU per wake.
//
// With `realtime_priority` > 0 the thread runs under SCHED_FIFO at that priority while it keeps
// its schedule, so that a due send does not wait for a core that a broker or a client thread
// holds (docs/benchmarks.md, "Send precision").
// It never holds a core for long: each step handles at most kRealtimeBatch messages, and after
// kBusySteps busy steps in a row (due again before it could sleep, a full batch, or messages left
// unsent at the step's time: it cannot keep up), or when running unpaced, it drops back to normal
// scheduling until a step leaves it asleep on schedule. One late step does not demote it.
// Setting the policy needs CAP_SYS_NICE (or an RLIMIT_RTPRIO); without it the thread logs it once
// (info) and runs at normal priority.
//
// Unpaced with a doorbell, a full window does not make the thread look again every min_wake: it
// waits until an eighth of the window has settled (Publisher::SettlesForRoom), until taken
// settings start or the warm-up ends, or `room_wait` at most (Publisher::RoomWaitUntilNs); Stop()
// and Wake() end that wait at once. When the client's own bound refuses a send first (kQueueFull
// with room in the window), it still looks every min_wake.
class PublisherThread {
 public:
  // `tick`: how long after a step whose due sends the producer refused it tries again.
  PublisherThread(Publisher& publisher, const Clock& clock, std::chrono::nanoseconds tick,
                  PublisherThreadOptions options = {});
  ~PublisherThread();
  PublisherThread(const PublisherThread&) = delete;
  PublisherThread& operator=(const PublisherThread&) = delete;

  // Stops sending; bounded: it returns once the step in progress, if any, has ended.
  void Stop();
  // Ends the thread's sleep now, so that settings just offered to the publisher are taken at
  // once. Any thread; never blocks.
  void Wake();

  // Whether the thread may run under SCHED_FIFO (asked for and permitted); any thread.
  bool Realtime() const { return realtime_.load(std::memory_order_relaxed); }

  static constexpr std::size_t kRealtimeBatch = 1024;
  static constexpr int kBusySteps = 4;

 private:
  void Run();
  // Switches this thread between SCHED_FIFO and normal scheduling; false when refused.
  bool SetRealtime(bool on);
  // Sleeps until `until` (steady_clock) or a Wake(); true when the time came.
  bool SleepUntil(std::chrono::steady_clock::time_point until);

  Publisher& publisher_;
  const Clock& clock_;
  std::chrono::nanoseconds tick_;
  PublisherThreadOptions options_;
  std::atomic<bool> realtime_{false};
  WakeLead lead_;
  Doorbell own_doorbell_;  // when options_.doorbell is nullptr
  Doorbell& doorbell_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace brokerload::pacing
