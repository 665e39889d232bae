#!/usr/bin/env python3
"""How brokerload's CPU divides between publishing and consuming (docs/scaling.md).

Runs, against the local brokers (deploy/local/brokers.sh), one target at --rate msg/s: first a
`full` instance alone, then a `consume-only` instance and, once it is ready, a `produce-only`
instance with the same workload (workload.topics_per_replica, one producer id) at once. After
--settle seconds it takes brokerload's CPU (process_cpu_seconds_total), the acked and consumed
rates, losses, dropped sends and the exact 1-minute p99s over --seconds, one line per instance.
Fails (exit 1) when an instance is not ready in 90 s or exits early.

usage: bench/roles_cpu.py [--target kafka|nats] [--rate 50000] [--seconds 30] [--settle 20]
                          [--binary build/release/service/brokerload]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

from scrape import broker_env, free_port, scrape, total, wait_ready

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def config(args, env, prefix, role, port):
    target = (f'  kafka: {{bootstrap_servers: "{env["KAFKA_BOOTSTRAP"]}"}}\n'
              if args.target == "kafka" else f'  nats: {{servers: ["{env["NATS_URL"]}"]}}\n')
    return (f"targets:\n{target}"
            f"workload: {{topic_prefix: {prefix}, topics_per_replica: true}}\n"
            f"profile: {{rate: {args.rate}}}\n"
            f'metrics: {{listen: "127.0.0.1:{port}"}}\n'
            f"run: {{role: {role}, warmup: 5s}}\n")


def window_p99(samples, name):
    values = [v for n, l, v in samples
              if n == name and l.get("quantile") == "0.99" and l.get("window") == "1m"]
    return values[0] * 1e3 if values else float("nan")


def measure(args, env, workdir, roles):
    prefix = f"roles{os.getpid()}x{int(time.time())}"
    running = []
    try:
        for role in roles:
            port = free_port()
            path = os.path.join(workdir, f"{role}.yaml")
            with open(path, "w") as f:
                f.write(config(args, env, prefix, role, port))
            log = open(os.path.join(workdir, f"{role}.log"), "w")
            proc = subprocess.Popen([args.binary, "run", "--config", path], stdout=log,
                                    stderr=subprocess.STDOUT)
            running.append((role, proc, port))
            if not wait_ready(port):  # a consumer listens before its producer starts
                sys.exit(f"roles_cpu: {role} not ready in 90 s; log {log.name}")
        time.sleep(args.settle)
        before = {role: scrape(port) for role, _, port in running}
        start = time.time()
        time.sleep(args.seconds)
        after = {role: scrape(port) for role, _, port in running}
        elapsed = time.time() - start
        for role, proc, _ in running:
            if proc.poll() is not None:
                sys.exit(f"roles_cpu: {role} exited with {proc.returncode}")
            a, b = before[role], after[role]
            rate = lambda name: (total(b, name) - total(a, name)) / elapsed  # noqa: E731
            print(f"{args.target} {args.rate:>7,} msg/s {role:>12}: "
                  f"{rate('process_cpu_seconds_total'):.2f} cores, "
                  f"acked {rate('brokerload_messages_acked_total'):>8,.0f}/s, "
                  f"consumed {rate('brokerload_messages_consumed_total'):>8,.0f}/s, "
                  f"lost {total(b, 'brokerload_messages_lost_total'):.0f}, "
                  f"dropped {total(b, 'brokerload_sends_dropped_total'):.0f}, "
                  f"send lag p99 {window_p99(b, 'brokerload_send_lag_window_seconds'):.2f} ms, "
                  f"e2e p99 {window_p99(b, 'brokerload_end_to_end_latency_window_seconds'):.1f} ms",
                  flush=True)
    finally:
        for _, proc, _ in running:
            proc.terminate()
        for _, proc, _ in running:
            proc.wait(60)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", choices=["kafka", "nats"], default="kafka")
    parser.add_argument("--rate", type=int, default=50000, help="msg/s")
    parser.add_argument("--seconds", type=float, default=30, help="measured")
    parser.add_argument("--settle", type=float, default=20, help="seconds before measuring")
    parser.add_argument("--binary", default=os.path.join(ROOT, "build/release/service/brokerload"))
    args = parser.parse_args()
    env = broker_env()
    workdir = tempfile.mkdtemp(prefix="brokerload-roles-")
    measure(args, env, workdir, ["full"])
    measure(args, env, workdir, ["consume-only", "produce-only"])


if __name__ == "__main__":
    main()
