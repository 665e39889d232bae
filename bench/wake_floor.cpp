// The machine's own floor for send lag: a bare thread that sleeps to absolute due times at a
// given rate, as brokerload's publisher does (CLOCK_MONOTONIC, 1 ns timer slack, optionally
// SCHED_FIFO), but sends nothing and never spins. Prints how late each wake ended (p50, p99,
// p99.9) and the thread's CPU per wake, as one line of JSON for bench/send_lag.py.
//
// usage: wake_floor RATE SECONDS FIFO_PRIORITY(0: normal)
// build: g++ -O2 -std=c++20 -pthread -o wake_floor bench/wake_floor.cpp
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

std::int64_t Ns(clockid_t clock) {
  timespec t{};
  clock_gettime(clock, &t);
  return std::int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s RATE SECONDS FIFO_PRIORITY\n", argv[0]);
    return 2;
  }
  const double rate = std::atof(argv[1]);
  const double seconds = std::atof(argv[2]);
  const int priority = std::atoi(argv[3]);
  if (rate <= 0 || seconds <= 0) {
    std::fprintf(stderr, "wake_floor: RATE and SECONDS must be positive\n");
    return 2;
  }
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  bool fifo = false;
  if (priority > 0) {
    sched_param param{};
    param.sched_priority = priority;
    fifo = pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) == 0;
  }
  const auto wakes = static_cast<std::size_t>(rate * seconds);
  const auto period_ns = static_cast<std::int64_t>(1e9 / rate);
  std::vector<std::int64_t> late(wakes);
  const std::int64_t start = Ns(CLOCK_MONOTONIC) + period_ns;
  const std::int64_t cpu_start = Ns(CLOCK_THREAD_CPUTIME_ID);
  for (std::size_t i = 0; i < wakes; ++i) {
    const std::int64_t due = start + static_cast<std::int64_t>(i) * period_ns;
    const timespec until{static_cast<time_t>(due / 1'000'000'000),
                         static_cast<long>(due % 1'000'000'000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr) != 0) {
    }
    late[i] = Ns(CLOCK_MONOTONIC) - due;
  }
  const double cpu_per_wake_us =
      static_cast<double>(Ns(CLOCK_THREAD_CPUTIME_ID) - cpu_start) / 1e3 / wakes;
  std::sort(late.begin(), late.end());
  auto at = [&](double q) {
    return static_cast<double>(late[std::min(wakes - 1, static_cast<std::size_t>(q * wakes))]) /
           1e3;
  };
  std::printf(
      "{\"rate\": %g, \"fifo\": %s, \"wakes\": %zu, \"late_p50_us\": %.1f, \"late_p99_us\": %.1f, "
      "\"late_p999_us\": %.1f, \"cpu_per_wake_us\": %.1f}\n",
      rate, fifo ? "true" : "false", wakes, at(0.5), at(0.99), at(0.999), cpu_per_wake_us);
  return 0;
}
