#!/usr/bin/env python3
"""How precisely brokerload sends on its schedule, and how its own latency shows in the figures.

For each rate it runs two brokerload binaries, one after the other on the same local brokers,
with both targets (kafka and nats) in one process: 256-byte messages on 5 topics, a warm-up,
then a measured window between two scrapes of /metrics. It prints, per binary, rate and target:
send lag p50/p99 (scheduled -> actual send time), publish latency p50/p99 (send -> broker ack),
late and dropped sends, the "behind schedule" warnings logged, brokerload's CPU, its context
switches per message (both targets' messages; every switch is a thread hand-off or a sleep, and
at low rates they are most of brokerload's CPU), and the machine's 1-minute load average at the
end of the window (the cores may be shared). Before brokerload, per rate, a "machine floor" row:
bench/wake_floor.cpp, a bare thread that sleeps to each due time as the publisher does (1 ns timer
slack, SCHED_FIFO where permitted) but sends nothing and never spins, for as long as brokerload
is measured: how late the kernel alone wakes a thread on this machine, and what each wake costs;
then cyclictest (rt-tests) at the interval the publisher wakes at (a message's, or a variant's
profile.burst_interval), with --laptop and holding /dev/cpu_dma_latency at 0; the last column is brokerload's send-lag p99 over cyclictest's (with the same PM QoS
setting as the run: run.cpu_dma_latency). --each-target runs each target in a process of its own
and ends with the goals of issue 26 (CPU per target, CPU per message, send lag against
cyclictest's). --threads also prints, per binary and rate, each
thread's CPU and context switches over the window, summed by thread name.

Quantiles are exact to about 2.5%: the run's config asks for a fine geometric bucket ladder
(metrics.latency_buckets, 1 us to 10 s in 5% steps), which both binaries accept, and quantiles
are interpolated linearly within a bucket.

usage: bench/send_lag.py [--before OLD_BINARY] [--after NEW_BINARY] [--rates 1000,10000] [--threads]
                         [--duration 30] [--warmup 5] [--variants 'LABEL=RUN|KAFKA|NATS|PROFILE|WORKLOAD;...']
                         [--each-target] [--targets kafka,nats]
                         (brokers from deploy/local/brokers.sh)
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

from scrape import broker_env, buckets, free_port, quantile, scrape, total, wait_ready

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGETS = ("kafka", "nats")


def ladder():
    bounds, value = [], 1e-6
    while value < 10:
        bounds.append(round(value, 9))
        value *= 1.05
    return sorted(set(bounds))


def config(rate, port, env, duration, tag, settings="", targets=TARGETS, warmup=5):
    """`settings`: RUN[|KAFKA[|NATS[|PROFILE[|WORKLOAD]]]], each a flow mapping's inside, added
    to run:, to targets.kafka, to targets.nats, to profile: and to workload:."""
    run_settings, kafka, nats, profile, workload = (settings.split("|") + ["", "", "", ""])[:5]
    return ("targets:\n" +
            (f'  kafka: {{bootstrap_servers: "{env["KAFKA_BOOTSTRAP"]}"'
             f'{", " + kafka if kafka else ""}}}\n' if "kafka" in targets else "") +
            # Small memory streams: reserved runs of 256 MiB each would exhaust JetStream's memory.
            (f'  nats: {{servers: ["{env["NATS_URL"]}"], stream: {{max_bytes: 16777216}}'
             f'{", " + nats if nats else ""}}}\n' if "nats" in targets else "") +
            f"workload: {{topics: 5, topic_prefix: lag-{tag}-{rate}-{os.getpid()}, "
            f"message_size: 256{', ' + workload if workload else ''}}}\n"
            f"profile: {{stages: [{{name: bench, rate: {rate}, duration: {duration}s}}]"
            f"{', ' + profile if profile else ''}}}\n"
            f'metrics: {{listen: "127.0.0.1:{port}", latency_buckets: {ladder()}}}\n'
            # loss_grace above publish_timeout's 10 s default, as brokerload requires.
            f"run: {{loss_grace: 15s, drain_timeout: 20s, warmup: {warmup}s" +
            (f", {run_settings}" if run_settings else "") + "}\n")


def thread_stats(pid):
    """{thread name: [cpu seconds, context switches]} summed over the threads of that name."""
    stats = {}
    tick = os.sysconf("SC_CLK_TCK")
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                switches = sum(int(line.split()[1]) for line in f
                               if line.startswith(("voluntary_ctxt", "nonvoluntary_ctxt")))
        except OSError:  # the thread ended meanwhile
            continue
        entry = stats.setdefault(re.sub(r"\d+$", "#", name), [0.0, 0])
        entry[0] += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
        entry[1] += switches
    return stats


def run_one(binary, tag, rate, args, env, workdir, run_settings="", targets=TARGETS):
    port = free_port()
    name = f"{tag}-{rate}-{'-'.join(targets)}"
    path = os.path.join(workdir, f"{name}.yaml")
    with open(path, "w") as f:
        f.write(config(rate, port, env, args.warmup + args.duration + 5,
                       re.sub(r"[^a-z0-9-]", "-", tag), run_settings, targets, args.warmup))
    log_path = os.path.join(workdir, f"{name}.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen([binary, "run", "--config", path], stdout=subprocess.DEVNULL,
                                stderr=log)
        wait_ready(port)
        time.sleep(args.warmup + 1)  # the warm-up (run.warmup) starts just after readiness
        if proc.poll() is not None:
            sys.exit(f"send_lag: {binary} exited with {proc.returncode}; see {log_path}")
        s1, t1, th1 = scrape(port), time.time(), thread_stats(proc.pid)
        with open(log_path) as f:
            warnings_before = sum("behind schedule" in line for line in f)
        time.sleep(args.duration)
        s2, t2, th2 = scrape(port), time.time(), thread_stats(proc.pid)
        load = os.getloadavg()[0]
        with open(log_path) as f:
            warnings = sum("behind schedule" in line for line in f) - warnings_before
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    time.sleep(2)  # let the brokers settle before the next run
    cpu = (total(s2, "process_cpu_seconds_total") - total(s1, "process_cpu_seconds_total"))
    threads = {name: [v[0] - th1.get(name, [0, 0])[0], v[1] - th1.get(name, [0, 0])[1]]
               for name, v in th2.items()}
    switches = sum(v[1] for v in threads.values())
    messages = sum(total(s2, "brokerload_messages_acked_total", target=t) -
                   total(s1, "brokerload_messages_acked_total", target=t) for t in targets)
    if args.threads:
        print(f"threads of {tag} ({'+'.join(targets)}) at {rate:,} msg/s over {t2 - t1:.0f} s: " + ", ".join(
            f"{name} {v[0]:.2f} s CPU {v[1]:,} switches"
            for name, v in sorted(threads.items(), key=lambda kv: -kv[1][1]) if v[1] > 0),
              file=sys.stderr)
    rows = []
    for t in targets:
        lag = (buckets(s1, "brokerload_send_lag_seconds", target=t),
               buckets(s2, "brokerload_send_lag_seconds", target=t))
        pub = (buckets(s1, "brokerload_publish_latency_seconds", target=t),
               buckets(s2, "brokerload_publish_latency_seconds", target=t))
        e2e = (buckets(s1, "brokerload_end_to_end_latency_seconds", target=t),
               buckets(s2, "brokerload_end_to_end_latency_seconds", target=t))
        delta = {name: total(s2, name, target=t) - total(s1, name, target=t)
                 for name in ("brokerload_messages_acked_total", "brokerload_sends_late_total",
                              "brokerload_sends_dropped_total")}
        rows.append({
            "binary": tag, "rate": rate, "target": t,
            "acked": delta["brokerload_messages_acked_total"] / (t2 - t1),
            "lag": [quantile(*lag, q) for q in (0.5, 0.99)],
            "pub": [quantile(*pub, q) for q in (0.5, 0.99)],
            "e2e": [quantile(*e2e, q) for q in (0.5, 0.99)],
            "targets": len(targets), "pm_qos": "cpu_dma_latency" in run_settings,
            "cpu_per_msg": cpu / messages if messages else float("nan"),
            "late": delta["brokerload_sends_late_total"],
            "dropped": delta["brokerload_sends_dropped_total"],
            "warnings": warnings, "cpu": cpu / (t2 - t1), "load": load,
            "switches": switches / messages if messages else float("nan"),
        })
    return rows


def build_floor(workdir):
    """bench/wake_floor.cpp, built once per run: the machine's own wake-up lateness."""
    binary = os.path.join(workdir, "wake_floor")
    subprocess.run(["g++", "-O2", "-std=c++20", "-pthread", "-o", binary,
                    os.path.join(ROOT, "bench", "wake_floor.cpp")], check=True)
    return binary


def floor_row(binary, rate, args):
    """A bare thread sleeping to each due time at `rate` (1 ns slack, SCHED_FIFO at brokerload's
    default priority where permitted), for as long as brokerload is measured."""
    out = subprocess.run([binary, str(rate), str(args.duration), "10"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def duration_us(text, key, default):
    """The value of `key: DURATION` in a variant's settings, in µs; `default` where absent."""
    found = re.search(key + r":\s*([\d.]+)\s*(us|ms|s)\b", text)
    return float(found.group(1)) * {"us": 1, "ms": 1e3, "s": 1e6}[found.group(2)] if found else default


def wake_interval_us(rate, run_settings):
    """How often the publisher wakes: once per message, at most once per run.min_wake (250 µs by
    default: above 4,000 msg/s it sends in batches), or once per profile.burst_interval (auto:
    pacing::AutoBurstIntervalNs)."""
    run, _, _, profile = (run_settings.split("|") + ["", "", ""])[:4]
    burst = duration_us(profile, "burst_interval", 0)
    if re.search(r"burst_interval:\s*auto\b", profile):  # pacing::AutoBurstIntervalNs
        burst = min(100e6 / rate, 40e3)
        burst = burst if rate * burst / 1e6 >= 2 and burst >= 100 else 0
    return int(max(1e6 / rate, duration_us(run, "min_wake", 250), burst, 50))


def cyclictest_row(interval, args, pm_qos):
    """cyclictest (Debian's rt-tests) waking a SCHED_FIFO thread at brokerload's default priority
    every `interval` µs (the publisher's: a message's interval, or a burst's) for as long as
    brokerload is measured, without spinning; with `pm_qos` it holds /dev/cpu_dma_latency at 0 as
    cyclictest does by default, else --laptop (as brokerload by default). p50 and p99 of how late
    it woke, in µs: the kernel's own lateness for a thread that wakes as often as the publisher
    (a longer sleep lets the cores reach deeper idle states, which take longer to leave)."""
    command = ["cyclictest", "-m", "-q", "-t1", "-p10", f"-i{interval}", f"-D{args.duration}",
               "-h20000"] + ([] if pm_qos else ["--laptop"])
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    histogram = [(int(a), int(b)) for a, b in
                 (line.split()[:2] for line in out.splitlines() if re.match(r"^\d+\s+\d+", line))]
    overflows = int(re.search(r"# Histogram Overflows: (\d+)", out).group(1))
    count = sum(c for _, c in histogram) + overflows
    def q(fraction):
        seen = 0
        for value, c in histogram:
            seen += c
            if seen >= fraction * count:
                return value
        return float("inf")
    return {"p50": q(0.5), "p99": q(0.99), "count": count}


def us(seconds):
    if seconds is None:
        return "-"
    if seconds == float("inf"):
        return "> 10 s"
    return f"{seconds * 1e6:,.0f} µs" if seconds < 1e-2 else f"{seconds * 1e3:,.1f} ms"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", help="an old brokerload binary to compare with (optional)")
    parser.add_argument("--after", default=os.path.join(ROOT, "build/release/service/brokerload"))
    parser.add_argument("--rates", default="1000,10000")
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--variants", default="",
                        help="run the new binary once per "
                        "LABEL=RUN[|KAFKA[|NATS[|PROFILE[|WORKLOAD]]]], "
                        "';'-separated, "
                        "e.g. 'normal=realtime_priority: 0;fifo=realtime_priority: 10' (keys of "
                        "run:), 'linger5=|producer: {linger.ms: \"5\"}' (of targets.kafka), "
                        "'asap=||send_asap: true' (of targets.nats), 'burst5=|||burst_interval: "
                        "5ms' (of profile), 'hdr=||||brokerload_header: message_header' (of "
                        "workload)")
    parser.add_argument("--each-target", action="store_true",
                        help="run each target alone (its own process), so that the CPU figures "
                        "are one target's; default: both targets in one process")
    parser.add_argument("--targets", default=",".join(TARGETS),
                        help="the targets to run, of kafka,nats (default both)")
    parser.add_argument("--threads", action="store_true",
                        help="print each thread's CPU and context switches to stderr")
    args = parser.parse_args()
    env = broker_env()
    workdir = tempfile.mkdtemp(prefix="brokerload-send-lag-")
    chosen = tuple(t for t in TARGETS if t in args.targets.split(","))
    sets = [(t,) for t in chosen] if args.each_target else [chosen]
    print(f"brokerload send lag: {os.cpu_count()} cores, "
          f"{'each target alone' if args.each_target else ' + '.join(chosen) + ' in one process'}, 256 B, "
          f"5 topics, {args.warmup} s warm-up then {args.duration} s measured; logs in {workdir}\n")
    print("| binary | rate msg/s | target | acked msg/s | send lag p50 | send lag p99 | "
          "publish p50 | publish p99 | end-to-end p50 | end-to-end p99 | late | dropped | "
          "'behind schedule' logs | brokerload CPU | CPU per message | context switches / msg | "
          "load avg | send lag p99 / cyclictest's |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    floor_binary = build_floor(workdir)
    results = []
    for rate in (int(float(r)) for r in args.rates.split(",")):
        floor = floor_row(floor_binary, rate, args)
        print(f"| machine floor (bench/wake_floor.cpp, {'FIFO' if floor['fifo'] else 'normal'}) | "
              f"{rate:,} | - | - | {floor['late_p50_us']:,.0f} µs | {floor['late_p99_us']:,.0f} µs | "
              f"- | - | - | - | - | - | - | {floor['cpu_per_wake_us'] * rate / 1e6:.2f} cores "
              f"({floor['cpu_per_wake_us']:.0f} µs per wake) | - | - | {os.getloadavg()[0]:.1f} | - |",
              flush=True)
        runs = [("before", args.before, "")] if args.before else []
        if args.variants:
            runs += [(v.split("=", 1)[0].strip(), args.after, v.split("=", 1)[1].strip())
                     for v in args.variants.split(";") if v.strip()]
        else:
            runs.append(("after", args.after, ""))
        cyclic = {}
        for interval in sorted({wake_interval_us(rate, settings) for _, _, settings in runs}):
            for pm_qos in (False, True):
                c = cyclictest_row(interval, args, pm_qos)
                cyclic[interval, pm_qos] = c
                print(f"| cyclictest {'(holding cpu_dma_latency 0)' if pm_qos else '--laptop'}, "
                      f"every {us(interval * 1e-6)} | {rate:,} | - | - | {c['p50']} µs | "
                      f"{c['p99']} µs | - | - | - | - | - | - | - | - | "
                      f"- | - | {os.getloadavg()[0]:.1f} | - |", flush=True)
        for targets in sets:
            for tag, binary, run_settings in runs:
                for r in run_one(binary, tag, rate, args, env, workdir, run_settings, targets):
                    floor_p99 = cyclic[wake_interval_us(rate, run_settings),
                                       r["pm_qos"]]["p99"] * 1e-6
                    r["ratio"] = r["lag"][1] / floor_p99 if r["lag"][1] and floor_p99 else None
                    results.append(r)
                    print(f"| {r['binary']} | {r['rate']:,} | {r['target']} | {r['acked']:,.0f} | "
                          f"{us(r['lag'][0])} | {us(r['lag'][1])} | {us(r['pub'][0])} | "
                          f"{us(r['pub'][1])} | {us(r['e2e'][0])} | {us(r['e2e'][1])} | "
                          f"{r['late']:.0f} | {r['dropped']:.0f} | {r['warnings']} | "
                          f"{r['cpu']:.3f} cores | {r['cpu_per_msg'] * 1e6:.1f} µs | "
                          f"{r['switches']:.1f} | {r['load']:.1f} | "
                          f"{'-' if r['ratio'] is None else format(r['ratio'], '.2f')} |",
                          flush=True)
    if args.each_target:
        print("\nGoals (issue 26), each target alone: at 1,000 msg/s at most 3 % of a core; at "
              "10,000 msg/s at most 10 µs of CPU per message; send lag p99 at most 1.5x "
              "cyclictest's p99 (the same PM QoS setting) at both.\n")
        print("| binary | rate msg/s | target | CPU | goal | send lag p99 / cyclictest's | goal |")
        print("|---|---|---|---|---|---|---|")
        for r in results:
            if r["rate"] == 1000:
                cpu, ok = f"{r['cpu'] * 100:.1f} % of a core", r["cpu"] <= 0.03
            elif r["rate"] == 10000:
                cpu, ok = f"{r['cpu_per_msg'] * 1e6:.1f} µs per message", r["cpu_per_msg"] <= 10e-6
            else:
                cpu, ok = f"{r['cpu'] * 100:.1f} % of a core", None
            ratio_ok = r["ratio"] is not None and r["ratio"] <= 1.5
            print(f"| {r['binary']} | {r['rate']:,} | {r['target']} | {cpu} | "
                  f"{'-' if ok is None else 'met' if ok else 'not met'} | "
                  f"{'-' if r['ratio'] is None else format(r['ratio'], '.2f')} | "
                  f"{'met' if ratio_ok else 'not met'} |")


if __name__ == "__main__":
    sys.exit(main())
