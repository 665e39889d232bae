#include "pacing/publisher.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <random>
#include <utility>

#include "log/log.hpp"
#include "message/header.hpp"
#include "pacing/draw.hpp"

namespace brokerload::pacing {

PublisherSettings MakeSettings(const config::Workload& workload, const config::Run& run,
                               const Schedule& schedule, std::int64_t start_ns,
                               std::uint64_t seed) {
  PublisherSettings s;
  s.schedule = &schedule;
  s.start_ns = start_ns;
  s.sizes = SizeChooser(workload, seed);
  if (workload.payload == config::PayloadKind::kSamples) {
    s.samples = workload.samples.data;
    s.random_samples = workload.samples.random_order;
    s.payload.resize(message::kHeaderSize + s.samples->Largest());
  } else {
    s.payload.resize(s.sizes.Max());
  }
  if (workload.payload == config::PayloadKind::kRandom) {
    std::mt19937_64 random(seed);
    for (std::byte& b : s.payload) b = static_cast<std::byte>(random() & 0xFF);
  } else if (workload.payload == config::PayloadKind::kCompressible) {
    const char pattern[] = "brokerload compressible payload 0123456789 ";
    for (std::size_t i = 0; i < s.payload.size(); ++i) {
      s.payload[i] = static_cast<std::byte>(pattern[i % (sizeof pattern - 1)]);
    }
  }
  s.max_lag_ns = run.max_send_lag.count();
  s.min_wake_ns = run.min_wake.count();
  return s;
}

Publisher::Publisher(const config::Workload& workload, const config::Run& run,
                     const Schedule& schedule, driver::Producer& producer,
                     accounting::TargetAccounting& accounting, accounting::RunIdentity identity,
                     const Clock& clock, std::int64_t start_ns, Lane lane)
    : producer_(producer),
      accounting_(accounting),
      identity_(identity),
      clock_(clock),
      topics_(static_cast<std::uint32_t>(workload.topics)),
      keys_(static_cast<std::uint32_t>(workload.keys), workload.key_skew,
            identity.run_id ^ (std::uint64_t{lane.index} << 48)),
      lane_(lane),
      lanes_(std::max<std::uint32_t>(lane.count, 1)),
      count_(lane.index),
      sequence_(topics_, 0) {
  seed_ = identity.run_id ^ 0x5A3D'1E5A'3D1E'5A3DULL;  // samples' draws apart from keys' and sizes'
  PublisherSettings settings = MakeSettings(workload, run, schedule, start_ns, identity.run_id);
  Install(settings, 0);
  if (!schedule.Stages().empty()) stage_.store(&schedule.Stages().front());
}

Publisher::~Publisher() { delete offered_.load(std::memory_order_acquire); }

void Publisher::Install(PublisherSettings& settings, std::uint64_t first) {
  schedule_ = settings.schedule;
  start_ns_ = settings.start_ns;
  max_lag_ns_ = settings.max_lag_ns;
  min_wake_ns_ = settings.min_wake_ns;
  window_ = schedule_->UnpacedWindow();
  unpaced_.store(window_.has_value(), std::memory_order_relaxed);
  total_ = window_ ? std::nullopt : schedule_->TotalMessages();
  std::swap(sizes_, settings.sizes);
  samples_.swap(settings.samples);
  random_samples_ = settings.random_samples;
  payload_.swap(settings.payload);
  next_ = Align(first);
}

void Publisher::Offer(std::unique_ptr<PublisherSettings> next) {
  // The one this replaces, if the publisher has not taken it yet, is freed here.
  std::unique_ptr<PublisherSettings> replaced(
      offered_.exchange(next.release(), std::memory_order_acq_rel));
}

void Publisher::TakeOffer() {
  if (offered_.load(std::memory_order_relaxed) == nullptr) return;
  pending_.reset(offered_.exchange(nullptr, std::memory_order_acquire));
}

void Publisher::Switch() {
  PublisherSettings& next = *pending_;
  std::uint64_t first = 0;
  // Settings taken after their start: what the current schedule sent from then on stays sent,
  // and the new schedule starts after the last of it: after its place in the steady schedule,
  // since a burst sent before the switch covers that far past its own start.
  if (next_ >= lanes_) {
    const std::int64_t last_ns = start_ns_ + schedule_->EvenOffsetNs(next_ - lanes_);
    if (last_ns >= next.start_ns) first = next.schedule->CutAt(last_ns - next.start_ns + 1);
  }
  Install(next, first);
  pending_.reset();  // frees the previous payload: once per reload, never per message
}

// Counts this lane's messages in [next_, until) as dropped, split by accounting phase and spread
// over its topics as they would have been sent.
void Publisher::Drop(std::uint64_t until) {
  while (next_ < until) {
    const std::size_t phase = accounting_.PhaseOf(start_ns_ + schedule_->IntendedOffsetNs(next_));
    std::uint64_t end = until;
    if (phase + 1 < accounting_.Phases()) {
      // The first message due at or after the next phase's start.
      const std::int64_t next_start = accounting_.Window(phase + 1).start_ns;
      end = std::min(until, std::max(next_ + 1, schedule_->DueAt(next_start - 1 - start_ns_)));
    }
    const std::uint64_t count = (end - next_ + lanes_ - 1) / lanes_;  // next_ is this lane's
    const std::uint64_t lane_topics = topics_ / lanes_;
    for (std::uint64_t i = 0; i < lane_topics && i < count; ++i) {
      const auto topic = static_cast<std::uint16_t>((count_ + i * lanes_) % topics_);
      accounting_.OnDropped(topic, count / lane_topics + (i < count % lane_topics ? 1 : 0), phase);
    }
    next_ += count * lanes_;
    count_ += count * lanes_;
  }
}

std::size_t Publisher::Step(std::int64_t now_ns, std::size_t max_batch) {
  TakeOffer();
  std::size_t sent = 0;
  if (window_) {
    // Unpaced: nothing is due at a time, so offered settings simply take over at their start.
    if (pending_ && now_ns >= pending_->start_ns) {
      Install(*pending_, 0);
      pending_.reset();
    }
    if (window_) {
      sent = SendUnpaced(now_ns, max_batch);
      last_step_sent_ = sent > 0;
      UpdateStage(now_ns);
      return sent;
    }
  }
  if (pending_ && now_ns >= pending_->start_ns) {
    // The current schedule ends where the new one starts: first what was due before that.
    const std::uint64_t cut = Limit();
    sent = Send(now_ns, pending_->start_ns - 1, max_batch, cut);
    if (ScheduleDone() || next_ >= cut) Switch();
    if (window_) {  // switched to unpaced: it sends from the next step, within its window
      last_step_sent_ = sent > 0;
      UpdateStage(now_ns);
      return sent;
    }
  }
  if (!pending_ || now_ns < pending_->start_ns) {
    sent += Send(now_ns, now_ns, max_batch - sent, Limit());
  }
  UpdateStage(now_ns);
  return sent;
}

std::size_t Publisher::SendUnpaced(std::int64_t now_ns, std::size_t max_batch) {
  if (now_ns < start_ns_) return 0;  // the run's (or the reload's) start
  const std::uint64_t window = (*window_ + lanes_ - 1) / lanes_;
  const std::uint64_t in_flight = accounting_.InFlight(lane_.index, lanes_);
  const std::uint64_t room = window - std::min(in_flight, window);
  std::size_t sent = 0;
  for (std::uint64_t n = 0; n < std::min<std::uint64_t>(room, max_batch); ++n) {
    const std::int64_t sent_ns = clock_.NowNs();  // closed loop: intended when it can be sent
    const driver::Status status = SendOne(sent_ns, sent_ns);
    if (status == driver::Status::kQueueFull) break;  // the client's own bound: later
    if (status == driver::Status::kOk) ++sent;
  }
  return sent;
}

std::uint64_t Publisher::Limit() const {
  return pending_ ? schedule_->CutAt(pending_->start_ns - start_ns_) : kUnbounded;
}

std::size_t Publisher::Send(std::int64_t now_ns, std::int64_t until_ns, std::size_t max_batch,
                            std::uint64_t limit) {
  // Messages due more than max_send_lag ago are dropped in bulk, each counted on its topic.
  const std::uint64_t due = std::min(schedule_->DueAt(until_ns - start_ns_), limit);
  const std::uint64_t too_late =
      std::min(due, schedule_->DueAt(now_ns - max_lag_ns_ - 1 - start_ns_));
  if (next_ < too_late) Drop(too_late);
  std::size_t sent = 0;
  // At most max_batch handled (sent or failed): a step that only fails is bounded too.
  for (std::size_t handled = 0; next_ < due && handled < max_batch; ++handled) {
    const std::int64_t intended_ns = start_ns_ + schedule_->IntendedOffsetNs(next_);
    const driver::Status status = SendOne(intended_ns, clock_.NowNs());
    if (status == driver::Status::kQueueFull) break;  // backpressure: retry at the next step
    if (status == driver::Status::kOk) ++sent;
    next_ += lanes_;
  }
  return sent;
}

driver::Status Publisher::SendOne(std::int64_t intended_ns, std::int64_t actual_ns) {
  const auto topic = static_cast<std::uint16_t>(count_ % topics_);
  message::Header header;
  header.run_id = identity_.run_id;
  header.producer_id = identity_.producer_id;
  header.topic = topic;
  header.key = keys_.KeyOf(count_, topics_);
  header.sequence = sequence_[topic];
  header.intended_ns = intended_ns;
  header.actual_ns = actual_ns;
  std::size_t size = 0;
  if (samples_) {
    const std::size_t count = samples_->Count();
    const std::span<const std::byte> sample = samples_->Sample(
        random_samples_ ? std::min(static_cast<std::size_t>(UniformDraw(seed_, count_) *
                                                            static_cast<double>(count)),
                                   count - 1)
                        : static_cast<std::size_t>(count_ % count));
    if (!sample.empty()) {
      std::memcpy(payload_.data() + message::kHeaderSize, sample.data(), sample.size());
    }
    size = message::kHeaderSize + sample.size();
  } else {
    size = sizes_.SizeOf(count_);
  }
  const std::span payload(payload_.data(), size);
  message::Encode(header, payload);
  std::array<std::byte, 4> key_bytes{};
  std::span<const std::byte> key;
  if (header.key != message::kNoKey) {
    std::memcpy(key_bytes.data(), &header.key, key_bytes.size());
    key = key_bytes;
  }
  const driver::Status status = producer_.Send(topic, key, payload);
  if (status == driver::Status::kQueueFull) return status;  // not handled: the same one later
  if (status == driver::Status::kOk) {
    ++sequence_[topic];
    accounting_.OnSent(topic, header.sequence, actual_ns - intended_ns, intended_ns,
                       payload.size());
  } else {
    accounting_.OnSendFailed(topic, status, intended_ns);
  }
  count_ += lanes_;
  return status;
}

void Publisher::UpdateStage(std::int64_t now_ns) {
  if (schedule_->Stages().empty()) return;
  const std::size_t index =
      window_ ? (schedule_->HasWarmup() && now_ns < start_ns_ + schedule_->WarmupNs()
                     ? 0
                     : schedule_->Stages().size() - 1)
              : schedule_->StageOf(next_ < lanes_ ? 0 : next_ - lanes_);
  const StagePlan* stage = &schedule_->Stages()[index];
  if (stage != stage_.load(std::memory_order_relaxed)) {
    stage_.store(stage, std::memory_order_release);
    if (lane_.index == 0 && stage->burst_ns > 0) {
      LOG_INFO("stage %s: %.0f msg/s, in bursts every %.3g ms", stage->name.c_str(), stage->rate,
               static_cast<double>(stage->burst_ns) / 1e6);
    } else if (lane_.index == 0) {
      LOG_INFO("stage %s: %.0f msg/s", stage->name.c_str(), stage->rate);
    }
  }
  const bool finished = ScheduleDone() && !pending_;
  if (finished != finished_.load(std::memory_order_relaxed)) finished_.store(finished);
}

std::optional<std::int64_t> Publisher::NextDueNs() const {
  std::optional<std::int64_t> due;
  if (!window_ && !schedule_->Stages().empty() && !ScheduleDone() && next_ < Limit()) {
    due = start_ns_ + schedule_->IntendedOffsetNs(next_);
  }
  if (pending_ && (!due || *due >= pending_->start_ns)) due = pending_->start_ns;
  return due;
}

std::uint64_t Publisher::SettlesForRoom() const {
  if (!window_) return 0;
  const std::uint64_t window = (*window_ + lanes_ - 1) / lanes_;
  const std::uint64_t in_flight = accounting_.InFlight(lane_.index, lanes_);
  const std::uint64_t room = std::max<std::uint64_t>(window / 8, 1);
  return in_flight < window ? 0 : in_flight - (window - room);
}

std::int64_t Publisher::RoomWaitUntilNs(std::int64_t stepped_at_ns,
                                        std::int64_t max_wait_ns) const {
  std::int64_t until = stepped_at_ns + max_wait_ns;
  if (pending_) until = std::min(until, std::max(pending_->start_ns, stepped_at_ns));
  if (window_ && schedule_->HasWarmup()) {
    const std::int64_t warmup_end = start_ns_ + schedule_->WarmupNs();
    if (warmup_end > stepped_at_ns) until = std::min(until, warmup_end);
  }
  return until;
}

std::int64_t Publisher::NextWakeNs(std::int64_t stepped_at_ns, std::int64_t tick_ns) const {
  if (window_) {  // unpaced: at once while the window had room, else when acks may have freed it
    const std::int64_t wake = last_step_sent_
                                  ? stepped_at_ns
                                  : stepped_at_ns + std::max(min_wake_ns_, std::int64_t{50'000});
    return pending_ ? std::min(wake, std::max(pending_->start_ns, stepped_at_ns)) : wake;
  }
  const std::int64_t longest = stepped_at_ns + kLongestSleepNs;
  const std::optional<std::int64_t> due_ns = NextDueNs();
  if (!due_ns) return longest;  // finished: until settings are offered (and the thread woken)
  if (*due_ns <= stepped_at_ns) return stepped_at_ns + tick_ns;  // refused: retry a tick later
  return std::min(std::max(*due_ns, stepped_at_ns + min_wake_ns_), longest);
}

bool BehindSchedule(std::uint64_t sent, std::uint64_t late, std::uint64_t dropped) {
  return dropped > 0 || static_cast<double>(late) > kLateShareBehind * static_cast<double>(sent);
}

PublisherThread::PublisherThread(Publisher& publisher, const Clock& clock,
                                 std::chrono::nanoseconds tick, PublisherThreadOptions options)
    : publisher_(publisher),
      clock_(clock),
      tick_(tick),
      options_(std::move(options)),
      doorbell_(options_.doorbell != nullptr ? *options_.doorbell : own_doorbell_) {
  thread_ = std::thread([this] {
    log::NameThread(options_.name.c_str());
    Run();
  });
}

PublisherThread::~PublisherThread() { Stop(); }

void PublisherThread::Stop() {
  stop_.store(true);
  Wake();
  if (thread_.joinable()) thread_.join();
}

void PublisherThread::Wake() { doorbell_.Wake(); }

bool PublisherThread::SetRealtime(bool on) {
  sched_param param{};
  param.sched_priority = on ? options_.realtime_priority : 0;
  return pthread_setschedparam(pthread_self(), on ? SCHED_FIFO : SCHED_OTHER, &param) == 0;
}

bool PublisherThread::SleepUntil(std::chrono::steady_clock::time_point until) {
  // No settle reaches this target: only the deadline or a Wake() ends the wait.
  return !doorbell_.WaitFor(std::numeric_limits<std::uint64_t>::max(), until);
}

void PublisherThread::Run() {
  // Timer slack applies to this thread only; 1 ns is the smallest (0 would mean the default).
  if (prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) != 0) {
    LOG_WARN("publisher: cannot set timer slack (%s); sends may leave up to 50 us late",
             std::strerror(errno));
  }
  bool fifo = false;  // running under SCHED_FIFO now
  if (options_.realtime_priority > 0) {
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
          options_.realtime_priority, std::strerror(errno));
    }
  }
  const std::size_t max_batch = realtime_.load() ? kRealtimeBatch : std::size_t{1} << 16;
  int busy_steps = 0;  // in a row
  while (!stop_.load(std::memory_order_relaxed)) {
    const std::int64_t now_ns = clock_.NowNs();
    const std::size_t sent = publisher_.Step(now_ns, max_batch);
    const std::int64_t wake_ns = publisher_.NextWakeNs(now_ns, tick_.count());
    const bool sends = wake_ns == publisher_.NextDueNs();
    // The run clock advances with the monotonic clock (steady_clock on Linux), so the wait
    // converts to an absolute CLOCK_MONOTONIC deadline, which a signal cannot stretch.
    const std::int64_t stepped_ns = clock_.NowNs();
    const std::int64_t wait_ns = wake_ns - stepped_ns;
    // A busy step: due again before it could sleep, a full batch, or messages due at the step's
    // own time left unsent (refused, or over the batch). kBusySteps of them in a row, or running
    // unpaced, and the thread goes to normal priority until a step leaves it asleep on schedule,
    // so that it never takes a core for long; one late step (a wake-up delayed) does not.
    const std::optional<std::int64_t> due_ns = publisher_.NextDueNs();
    const bool busy = wait_ns <= 0 || sent == max_batch || (due_ns && *due_ns <= now_ns);
    busy_steps = busy ? busy_steps + 1 : 0;
    if (fifo && (publisher_.Unpaced() || busy_steps >= kBusySteps)) fifo = !SetRealtime(false);
    if (wait_ns <= 0 || sent == max_batch) continue;
    if (!fifo && busy_steps == 0 && !publisher_.Unpaced() &&
        realtime_.load(std::memory_order_relaxed)) {
      fifo = SetRealtime(true);
    }
    if (options_.doorbell != nullptr && sent == 0 && publisher_.Unpaced()) {
      const std::uint64_t settled = doorbell_.Count();  // before the window is read: none missed
      const std::uint64_t awaited = publisher_.SettlesForRoom();
      if (awaited > 0) {
        const std::int64_t until_ns =
            publisher_.RoomWaitUntilNs(stepped_ns, options_.room_wait.count());
        doorbell_.WaitFor(settled + awaited, std::chrono::steady_clock::now() +
                                                 std::chrono::nanoseconds(std::max<std::int64_t>(
                                                     until_ns - stepped_ns, 0)));
        continue;
      }
    }
    const auto wake = std::chrono::steady_clock::now() + std::chrono::nanoseconds(wait_ns);
    const bool spin = options_.spin && sends;
    const auto sleep_until = wake - std::chrono::nanoseconds(spin ? lead_.LeadNs(wait_ns) : 0);
    if (!SleepUntil(sleep_until)) continue;  // woken: stop, or settings offered
    if (!spin) continue;
    lead_.Observe((std::chrono::steady_clock::now() - sleep_until).count());
    while (std::chrono::steady_clock::now() < wake) {
    }
  }
}

}  // namespace brokerload::pacing
