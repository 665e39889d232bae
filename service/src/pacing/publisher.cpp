#include "pacing/publisher.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "log/log.hpp"
#include "message/header.hpp"

namespace brokerload::pacing {

Publisher::Publisher(const config::Workload& workload, const config::Run& run,
                     const Schedule& schedule, driver::Producer& producer,
                     accounting::TargetAccounting& accounting, accounting::RunIdentity identity,
                     const Clock& clock, std::int64_t start_ns)
    : schedule_(schedule),
      producer_(producer),
      accounting_(accounting),
      identity_(identity),
      clock_(clock),
      start_ns_(start_ns),
      max_lag_ns_(run.max_send_lag.count()),
      min_wake_ns_(run.min_wake.count()),
      window_(schedule.UnpacedWindow()),
      total_(window_ ? std::nullopt : schedule.TotalMessages()),
      topics_(static_cast<std::uint32_t>(workload.topics)),
      keys_(static_cast<std::uint32_t>(workload.keys)),
      min_size_(static_cast<std::uint32_t>(workload.min_size)),
      max_size_(static_cast<std::uint32_t>(workload.max_size)),
      sequence_(topics_, 0),
      payload_(max_size_) {
  if (workload.payload == config::PayloadKind::kRandom) {
    std::mt19937_64 random(identity.run_id);
    for (std::byte& b : payload_) b = static_cast<std::byte>(random() & 0xFF);
  } else {
    const char pattern[] = "brokerload compressible payload 0123456789 ";
    for (std::size_t i = 0; i < payload_.size(); ++i) {
      payload_[i] = static_cast<std::byte>(pattern[i % (sizeof pattern - 1)]);
    }
  }
}

std::uint32_t Publisher::NextSize() {
  if (min_size_ == max_size_) return min_size_;
  return min_size_ + static_cast<std::uint32_t>(size_random_() % (max_size_ - min_size_ + 1));
}

// Counts messages [next_, until) as dropped, split by accounting phase and spread over topics as
// they would have been sent.
void Publisher::Drop(std::uint64_t until) {
  while (next_ < until) {
    const std::size_t phase = accounting_.PhaseOf(start_ns_ + schedule_.IntendedOffsetNs(next_));
    std::uint64_t end = until;
    if (phase + 1 < accounting_.Phases()) {
      // The first message due at or after the next phase's start.
      const std::int64_t next_start = accounting_.Window(phase + 1).start_ns;
      end = std::min(until, std::max(next_ + 1, schedule_.DueAt(next_start - 1 - start_ns_)));
    }
    const std::uint64_t count = end - next_;
    for (std::uint32_t i = 0; i < topics_ && i < count; ++i) {
      const auto topic = static_cast<std::uint16_t>((next_ + i) % topics_);
      accounting_.OnDropped(topic, count / topics_ + (i < count % topics_ ? 1 : 0), phase);
    }
    next_ = end;
  }
}

std::size_t Publisher::Step(std::int64_t now_ns, std::size_t max_batch) {
  std::uint64_t due = 0;
  if (window_) {
    const std::uint64_t in_flight = accounting_.InFlight();
    due = next_ + std::min<std::uint64_t>(*window_ - std::min(in_flight, *window_), max_batch);
  } else {
    // Messages due more than max_send_lag ago are dropped in bulk, each counted on its topic.
    const std::uint64_t too_late = schedule_.DueAt(now_ns - max_lag_ns_ - 1 - start_ns_);
    if (next_ < too_late) Drop(too_late);
    due = schedule_.DueAt(now_ns - start_ns_);
  }
  std::size_t sent = 0;
  while (next_ < due && sent < max_batch) {
    const std::int64_t intended_ns =
        window_ ? clock_.NowNs() : start_ns_ + schedule_.IntendedOffsetNs(next_);
    const auto topic = static_cast<std::uint16_t>(next_ % topics_);
    message::Header header;
    header.run_id = identity_.run_id;
    header.producer_id = identity_.producer_id;
    header.topic = topic;
    header.key =
        keys_ == 0 ? message::kNoKey : static_cast<std::uint32_t>((next_ / topics_) % keys_);
    header.sequence = sequence_[topic];
    header.intended_ns = intended_ns;
    header.actual_ns = window_ ? intended_ns : clock_.NowNs();
    const std::span payload(payload_.data(), NextSize());
    message::Encode(header, payload);
    std::array<std::byte, 4> key_bytes{};
    std::span<const std::byte> key;
    if (header.key != message::kNoKey) {
      std::memcpy(key_bytes.data(), &header.key, key_bytes.size());
      key = key_bytes;
    }
    const driver::Status status = producer_.Send(topic, key, payload);
    if (status == driver::Status::kQueueFull) break;  // backpressure: retry at the next step
    if (status == driver::Status::kOk) {
      ++sequence_[topic];
      accounting_.OnSent(topic, header.sequence, header.actual_ns - intended_ns, intended_ns);
      ++sent;
    } else {
      accounting_.OnSendFailed(topic, status, intended_ns);
    }
    ++next_;
  }
  last_step_sent_ = sent > 0;
  const std::size_t stage =
      window_ ? (schedule_.HasWarmup() && now_ns < start_ns_ + schedule_.WarmupNs()
                     ? 0
                     : schedule_.Stages().size() - 1)
              : schedule_.StageOf(next_ == 0 ? 0 : next_ - 1);
  if (stage != stage_.load(std::memory_order_relaxed)) {
    stage_.store(stage, std::memory_order_relaxed);
    LOG_INFO("stage %s: %.0f msg/s", schedule_.Stages()[stage].name.c_str(),
             schedule_.Stages()[stage].rate);
  }
  if (total_ && next_ >= *total_ && !finished_.load(std::memory_order_relaxed)) {
    finished_.store(true);
  }
  return sent;
}

std::optional<std::int64_t> Publisher::NextDueNs() const {
  if (window_) return std::nullopt;  // unpaced: nothing is due at a time
  if (schedule_.Stages().empty() || (total_ && next_ >= *total_)) return std::nullopt;
  return start_ns_ + schedule_.IntendedOffsetNs(next_);
}

std::int64_t Publisher::NextWakeNs(std::int64_t stepped_at_ns, std::int64_t tick_ns) const {
  const std::int64_t poll_by = stepped_at_ns + tick_ns;
  // Unpaced: at once while the window had room, else after min_wake (acks free it).
  if (window_)
    return last_step_sent_ ? stepped_at_ns
                           : stepped_at_ns + std::max(min_wake_ns_, std::int64_t{50'000});
  const std::optional<std::int64_t> due_ns = NextDueNs();
  if (!due_ns || *due_ns <= stepped_at_ns) return poll_by;  // refused at that step: retry later
  return std::min(std::max(*due_ns, stepped_at_ns + min_wake_ns_), poll_by);
}

bool BehindSchedule(std::uint64_t sent, std::uint64_t late, std::uint64_t dropped) {
  return dropped > 0 || static_cast<double>(late) > kLateShareBehind * static_cast<double>(sent);
}

PublisherThread::PublisherThread(Publisher& publisher, const Clock& clock,
                                 std::chrono::nanoseconds tick, std::string name,
                                 int realtime_priority)
    : publisher_(publisher), clock_(clock), tick_(tick), realtime_priority_(realtime_priority) {
  thread_ = std::thread([this, name = std::move(name)] {
    log::NameThread(name.c_str());
    Run();
  });
}

PublisherThread::~PublisherThread() { Stop(); }

void PublisherThread::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

bool PublisherThread::SetRealtime(bool on) {
  sched_param param{};
  param.sched_priority = on ? realtime_priority_ : 0;
  return pthread_setschedparam(pthread_self(), on ? SCHED_FIFO : SCHED_OTHER, &param) == 0;
}

void PublisherThread::Run() {
  // Timer slack applies to this thread only; 1 ns is the smallest (0 would mean the default).
  if (prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) != 0) {
    LOG_WARN("publisher: cannot set timer slack (%s); sends may leave up to 50 us late",
             std::strerror(errno));
  }
  bool fifo = false;  // running under SCHED_FIFO now
  if (realtime_priority_ > 0) {
    fifo = SetRealtime(true);
    if (fifo) {
      realtime_.store(true);
    } else {
      // Info, not a warning: the chart's default non-root pod never has CAP_SYS_NICE, and
      // brokerload_publisher_realtime says the same to dashboards.
      LOG_INFO(
          "publisher: real-time scheduling (run.realtime_priority %d) refused: %s; it needs "
          "CAP_SYS_NICE (Kubernetes: securityContext.capabilities.add [SYS_NICE]); sends run at "
          "normal priority and may leave late on a busy machine",
          realtime_priority_, std::strerror(errno));
    }
  }
  const std::size_t max_batch = realtime_.load() ? kRealtimeBatch : std::size_t{1} << 16;
  while (!stop_.load(std::memory_order_relaxed)) {
    const std::int64_t now_ns = clock_.NowNs();
    const std::size_t sent = publisher_.Step(now_ns, max_batch);
    const std::int64_t wake_ns = publisher_.NextWakeNs(now_ns, tick_.count());
    const bool sends = wake_ns == publisher_.NextDueNs();
    // The run clock advances with the monotonic clock (steady_clock on Linux), so the wait
    // converts to an absolute CLOCK_MONOTONIC deadline, which a signal cannot stretch.
    const std::int64_t wait_ns = wake_ns - clock_.NowNs();
    if (wait_ns <= 0 || sent == max_batch) {
      // Behind: at normal priority until it catches up, so that it never takes a core for long.
      if (fifo) fifo = !SetRealtime(false);
      continue;
    }
    if (!fifo && realtime_.load(std::memory_order_relaxed)) fifo = SetRealtime(true);
    const auto wake = std::chrono::steady_clock::now() + std::chrono::nanoseconds(wait_ns);
    const auto sleep_until = wake - std::chrono::nanoseconds(sends ? lead_.LeadNs(wait_ns) : 0);
    const auto since_epoch = sleep_until.time_since_epoch();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    const timespec until{static_cast<time_t>(seconds.count()),
                         static_cast<long>((since_epoch - seconds).count())};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr) == EINTR) {
    }
    lead_.Observe((std::chrono::steady_clock::now() - sleep_until).count());
    while (sends && std::chrono::steady_clock::now() < wake) {
    }
  }
}

}  // namespace brokerload::pacing
