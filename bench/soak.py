#!/usr/bin/env python3
"""Soak: brokerload on both targets for a long time, watching its own resources.

Runs `brokerload run` against the local brokers (deploy/local/brokers.sh) at --rate msg/s on
both targets, and samples its RSS, threads and open file descriptors from /proc every
--interval seconds. The first --warmup minutes are the baseline's: the figures at their end are
the reference. The warm-up is longer than the longest quantile window (5 min): until it is full,
brokerload's windowed-quantile deltas legitimately grow (up to a few MB), and so does the
allocator's working set. The default rate is one this 2-core machine sustains next to both
brokers (5,000 msg/s per target fell behind its schedule here): the soak is about brokerload's
own resources, not its speed. Fails (exit 1) when, at any later sample, RSS exceeds the
reference by more than --rss-growth percent, or threads or descriptors exceed it at all; or when
brokerload exits early, or counted messages lost, sends dropped or client drops. Its "behind
schedule" log lines are counted and printed, not failed on. Prints one line per minute and a
summary table.

usage: bench/soak.py [--minutes 30] [--rate 2000] [--warmup 6] [--interval 10] [--rss-growth 5]
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

from scrape import broker_env, free_port, scrape, total, wait_ready

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def resources(pid):
    with open(f"/proc/{pid}/status") as f:
        status = dict(line.split(":", 1) for line in f if ":" in line)
    return {
        "rss_mb": int(status["VmRSS"].split()[0]) / 1024,
        "threads": int(status["Threads"]),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--rate", type=int, default=2000, help="msg/s on each target")
    parser.add_argument("--warmup", type=float, default=6, help="minutes before the reference")
    parser.add_argument("--interval", type=float, default=10)
    parser.add_argument("--rss-growth", type=float, default=5, help="percent")
    parser.add_argument("--binary", default=os.path.join(ROOT, "build/release/service/brokerload"))
    args = parser.parse_args()
    env = broker_env()
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="brokerload-soak-")
    config = os.path.join(workdir, "soak.yaml")
    with open(config, "w") as f:
        f.write(f'targets:\n  kafka: {{bootstrap_servers: "{env["KAFKA_BOOTSTRAP"]}"}}\n'
                f'  nats: {{servers: ["{env["NATS_URL"]}"], stream: {{max_bytes: 67108864}}}}\n'
                f"workload: {{topics: 5, topic_prefix: soak-{os.getpid()}, message_size: 256}}\n"
                f"profile: {{rate: {args.rate}}}\n"
                f'metrics: {{listen: "127.0.0.1:{port}"}}\n')
    log_path = os.path.join(workdir, "brokerload.log")
    print(f"soak: {args.minutes:g} min at {args.rate:,} msg/s on kafka and nats, reference after "
          f"{args.warmup:g} min; log {log_path}", flush=True)
    failures = []
    with open(log_path, "w") as log:
        proc = subprocess.Popen([args.binary, "run", "--config", config],
                                stdout=subprocess.DEVNULL, stderr=log)
        try:
            wait_ready(port)
            start = time.time()
            reference, peak, last_print = None, None, 0.0
            first = resources(proc.pid)
            while time.time() - start < args.minutes * 60:
                time.sleep(args.interval)
                if proc.poll() is not None:
                    failures.append(f"brokerload exited with {proc.returncode}")
                    break
                now, minute = resources(proc.pid), (time.time() - start) / 60
                if minute >= args.warmup:
                    if reference is None:
                        reference, peak = now, dict(now)
                    peak = {k: max(peak[k], now[k]) for k in now}
                    if now["rss_mb"] > reference["rss_mb"] * (1 + args.rss_growth / 100):
                        failures.append(f"RSS {now['rss_mb']:.1f} MB at {minute:.1f} min: over "
                                        f"{args.rss_growth:g} % above {reference['rss_mb']:.1f} MB")
                    for k in ("threads", "fds"):
                        if now[k] > reference[k]:
                            failures.append(f"{k} {now[k]} at {minute:.1f} min, "
                                            f"{reference[k]} at the reference")
                if minute - last_print >= 1 or last_print == 0:
                    last_print = minute
                    print(f"  {minute:5.1f} min: RSS {now['rss_mb']:.1f} MB, {now['threads']} "
                          f"threads, {now['fds']} fds", flush=True)
            samples = scrape(port)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=120)
    for name in ("brokerload_messages_lost_total", "brokerload_sends_dropped_total",
                 "brokerload_messages_dropped_by_client_total"):
        if total(samples, name) > 0:
            failures.append(f"{name} = {total(samples, name):.0f}")
    with open(log_path) as f:
        behind = sum("behind schedule" in line for line in f)
    if reference:
        print("\n| | RSS MB | threads | fds |\n|---|---|---|---|")
        for label, r in (("start", first), (f"reference ({args.warmup:g} min)", reference),
                         ("peak after it", peak), ("end", now)):
            print(f"| {label} | {r['rss_mb']:.1f} | {r['threads']} | {r['fds']} |")
    print(f"\nacked: kafka {total(samples, 'brokerload_messages_acked_total', target='kafka'):,.0f}, "
          f"nats {total(samples, 'brokerload_messages_acked_total', target='nats'):,.0f}; "
          f"'behind schedule' lines: {behind}")
    # Unique failures, in order: a leak shows at every sample after it starts.
    failures = list(dict.fromkeys(failures))
    for failure in failures[:10]:
        print(f"soak: FAIL: {failure}", file=sys.stderr)
    print("soak: " + ("FAILED" if failures else "passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
