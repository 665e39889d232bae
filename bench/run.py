#!/usr/bin/env python3
"""Finds the highest constant rate at which brokerload keeps up end to end.

For each scenario (kafka, nats, both) it runs brokerload at rising rates, with 256-byte messages
on 5 topics, and measures over a window after a warm-up, from two scrapes of /metrics:
achieved ack and consume rates, send-lag p99, end-to-end p50/p99, losses, brokerload's CPU, RSS
and threads, and the brokers' CPU. A rate "keeps up" when send-lag p99 < 10 ms, nothing is lost
or dropped and the achieved rate is within 2% of the target. Then it runs the peer tools on the
same brokers: kafka-producer-perf-test and natscli v0.5's `nats bench js pub async` with
`nats bench js consume` at the same time (natscli built once with go install), and prints
brokerload's highest kept-up rate over the peer's. A rate `max` runs brokerload unpaced (profile
rate: max, closed loop like the peers), which has no rate to keep up with: its row counts in the
"moved at most" ratio. CPU per message is brokerload's CPU over the messages consumed (publish,
consume and accounting of each). Prints Markdown.

With --samples FILE (newline-delimited: bench/samples/make.py writes sets) every tool sends real
payloads: brokerload `payload: {samples: FILE}` (each message its 56-byte header, then a line),
kafka-producer-perf-test `--payload-file FILE` (the lines alone), and natscli, which takes one
size, the lines' mean size plus 56 bytes, so that each tool moves the same bytes a message.

usage: bench/run.py [--scenarios kafka,nats,both] [--rates 25000,50000,...,max] [--duration 15]
                    [--warmup 5] [--workers 0] [--binary PATH] [--samples FILE]
                    (brokers from deploy/local/brokers.sh; the binary: build/release's, or PATH,
                    e.g. build/dev/trixie's, built with Debian 13's libraries by tests/trixie)
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from scrape import STATE, broker_env, buckets, free_port, scrape, total, wait_ready

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "build/release/service/brokerload")
TICKS = os.sysconf("SC_CLK_TCK")




def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except (OSError, IndexError):
        return 0.0


def broker_pid(name):
    try:
        with open(os.path.join(STATE, f"{name}.pid")) as f:
            return int(f.read())
    except OSError:
        return None










def quantile(before, after, q):
    """Upper bound of the bucket holding quantile q of the observations between two scrapes."""
    delta = [(le, a - dict(before).get(le, 0)) for le, a in after]
    count = delta[-1][1] if delta else 0
    if count <= 0:
        return None
    for le, cumulative in delta:
        if cumulative >= q * count:
            return le
    return float("inf")


def fraction_at_most(before, after, bound):
    delta = [(le, a - dict(before).get(le, 0)) for le, a in after]
    count = delta[-1][1] if delta else 0
    at_most = max((c for le, c in delta if le <= bound), default=0)
    return at_most / count if count else 0.0


def samples_mean(path):
    """The mean size of the non-empty lines of `path`, as brokerload loads them."""
    sizes = [len(line.rstrip(b"\r")) for line in open(path, "rb").read().split(b"\n")]
    sizes = [n for n in sizes if n]
    return sum(sizes) / len(sizes)


def config(scenario, rate, port, env, workers, duration, topics, publishers=1, samples=None):
    targets = ""
    if scenario in ("kafka", "both"):
        targets += f'  kafka: {{bootstrap_servers: "{env["KAFKA_BOOTSTRAP"]}"}}\n'
    if scenario in ("nats", "both"):
        targets += f'  nats: {{servers: ["{env["NATS_URL"]}"]}}\n'
    prefix = f"bench-{scenario}-{rate}-{os.getpid()}"
    # max: unpaced, closed loop (the peers' way), with brokerload's default in-flight window.
    profile = ("profile: {rate: max}\n" if rate == "max" else
               f"profile:\n  stages: [{{name: bench, rate: {rate}, duration: {duration}s}}]\n")
    return (f"targets:\n{targets}"
            f"workload: {{topics: {topics}, topic_prefix: {prefix}, "
            + (f"payload: {{samples: {samples}}}, " if samples else "message_size: 256, ") +
            f"workers: {workers}, publishers: {publishers}}}\n"
            + profile +
            f'metrics: {{listen: "127.0.0.1:{port}"}}\n'
            # loss_grace above publish_timeout (10 s); this script does its own warm-up.
            "run: {loss_grace: 15s, drain_timeout: 20s, warmup: 0s}\n")


def run_one(scenario, rate, args, env, workdir, publishers=1):
    port = free_port()
    path = os.path.join(workdir, f"{scenario}-{rate}-{publishers}.yaml")
    with open(path, "w") as f:
        f.write(config(scenario, rate, port, env, args.workers, args.warmup + args.duration + 2,
                       args.topics, publishers, args.samples))
    log = open(os.path.join(workdir, f"{scenario}-{rate}-{publishers}.log"), "w")
    proc = subprocess.Popen([args.binary, "run", "--config", path], stdout=subprocess.PIPE,
                            stderr=log, text=True)
    wait_ready(port)
    time.sleep(args.warmup)
    brokers = {name: broker_pid(name) for name in ("kafka", "nats")}
    cpu0 = {n: cpu_seconds(p) for n, p in brokers.items() if p}
    s1, t1 = scrape(port), time.time()
    time.sleep(args.duration)
    s2, t2 = scrape(port), time.time()
    cpu1 = {n: cpu_seconds(p) for n, p in brokers.items() if p}
    window = t2 - t1
    proc.send_signal(signal.SIGTERM)
    summary, _ = proc.communicate(timeout=60)
    nats = natscli() if scenario in ("nats", "both") else None
    if nats:  # the run's memory streams (up to 256 MiB each) would weigh on the next runs
        prefix = f"bench-{scenario}-{rate}-{os.getpid()}"
        for i in range(args.topics):
            subprocess.run([nats, "-s", env["NATS_URL"], "stream", "rm", f"{prefix}-{i}", "-f"],
                           capture_output=True, timeout=60)
    time.sleep(2)  # let the broker settle before the next run
    s3 = scrape_final = None  # the process is gone; its summary covers losses at the end
    lost_at_end = sum(int(x) for x in re.findall(r"^\w+\s+\d+\s+\d+\s+\d+\s+\d+\s+(\d+)", summary, re.M))
    rows = []
    targets = ["kafka", "nats"] if scenario == "both" else [scenario]
    for t in targets:
        lag = quantile(buckets(s1, "brokerload_send_lag_seconds", target=t),
                       buckets(s2, "brokerload_send_lag_seconds", target=t), 0.99)
        lag_ok = fraction_at_most(buckets(s1, "brokerload_send_lag_seconds", target=t),
                                  buckets(s2, "brokerload_send_lag_seconds", target=t), 0.01) >= 0.99
        e2e = [quantile(buckets(s1, "brokerload_end_to_end_latency_seconds", target=t),
                        buckets(s2, "brokerload_end_to_end_latency_seconds", target=t), q)
               for q in (0.5, 0.99)]
        acked = (total(s2, "brokerload_messages_acked_total", target=t) -
                 total(s1, "brokerload_messages_acked_total", target=t)) / window
        consumed = (total(s2, "brokerload_messages_consumed_total", target=t) -
                    total(s1, "brokerload_messages_consumed_total", target=t)) / window
        dropped = total(s2, "brokerload_sends_dropped_total", target=t)
        lost = total(s2, "brokerload_messages_lost_total", target=t)
        rows.append({
            "scenario": scenario, "target": t, "rate": rate, "acked": acked, "consumed": consumed,
            "lag_p99": lag, "e2e_p50": e2e[0], "e2e_p99": e2e[1], "lost": lost, "dropped": dropped,
            "keeps_up": lost == 0 and dropped == 0 and (rate == "max" or (
                lag_ok and acked >= 0.98 * rate and consumed >= 0.98 * rate)),
        })
    process = {
        "cpu": (total(s2, "process_cpu_seconds_total") - total(s1, "process_cpu_seconds_total")) / window,
        "rss_mb": total(s2, "process_resident_memory_bytes") / 1e6,
        "threads": (int(total(s1, "process_threads")), int(total(s2, "process_threads"))),
        "brokers_cpu": {n: (cpu1[n] - cpu0[n]) / window for n in cpu0},
        "lost_at_end": lost_at_end,
    }
    return rows, process


def ms(seconds):
    if seconds is None:
        return "-"
    return "> 10 s" if seconds == float("inf") else f"≤ {seconds * 1e3:g} ms"


NATSCLI = "0.5.0"


def natscli():
    """natscli v0.5 (its `nats bench js` syntax), built once with go install into the cache."""
    path = os.path.expanduser(f"~/.cache/brokerload/natscli-{NATSCLI}/nats")
    if not os.path.exists(path):
        go = shutil.which("go") or "/usr/local/go/bin/go"
        done = subprocess.run([go, "install", f"github.com/nats-io/natscli/nats@v{NATSCLI}"],
                              env={**os.environ, "GOBIN": os.path.dirname(path)},
                              capture_output=True, text=True)
        if done.returncode != 0:
            print(f"bench: go install natscli failed: {done.stderr[-500:]}", file=sys.stderr)
            return None
    return path


def nats_peer(nats, url, messages, size=256):
    """`nats bench js pub async` and `nats bench js consume` at the same time on one memory
    stream, `size` bytes, no consumer acks (as brokerload's default ack_policy none): the lower of
    the two rates is what the pair sustains."""
    stream = f"peer{os.getpid()}"
    base = [nats, "-s", url, "bench", "js"]
    common = ["--stream", stream, "--size", str(size), "--no-progress"]
    subprocess.run(base + ["pub", "async", f"{stream}.s", "--create", "--storage", "memory",
                           "--msgs", "1", *common], capture_output=True, timeout=60)
    consume = subprocess.Popen(base + ["consume", "--acks", "none", "--msgs", str(messages + 1),
                                       *common], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    time.sleep(1)
    pub = subprocess.run(base + ["pub", "async", f"{stream}.s", "--msgs", str(messages), *common],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=300).stdout
    sub = consume.communicate(timeout=300)[0]
    # A memory stream of a million messages would weigh on the server in the next runs.
    subprocess.run([nats, "-s", url, "stream", "rm", stream, "-f"], capture_output=True, timeout=60)
    found = [re.search(r"stats: ([\d,]+) msgs/sec", out) for out in (pub, sub)]
    pub_rate, sub_rate = (float(m.group(1).replace(",", "")) if m else 0.0 for m in found)
    return min(pub_rate, sub_rate), (
        f"- natscli v{NATSCLI}, `nats bench js pub async` and `nats bench js consume --acks none` "
        f"together (memory stream, {size} B, {messages:,} msgs): publish {pub_rate:,.0f} msg/s, "
        f"consume {sub_rate:,.0f} msg/s")


def peers(env, args, rates):
    lines = []
    tools = env.get("KAFKA_LIBS", "")
    if os.path.isdir(tools) and "KAFKA_BOOTSTRAP" in env:
        topic = f"bench-peer-{os.getpid()}"
        payload = (["--payload-file", args.samples] if args.samples else ["--record-size", "256"])
        out = subprocess.run(
            ["java", "-cp", tools + "/*", "org.apache.kafka.tools.ProducerPerformance",
             "--topic", topic, "--num-records", str(args.peer_messages), *payload,
             "--throughput", "-1", "--producer-props", f"bootstrap.servers={env['KAFKA_BOOTSTRAP']}",
             "acks=all", "linger.ms=1"],
            capture_output=True, text=True, timeout=300).stdout.strip().splitlines()
        m = re.search(r"records sent, ([\d.]+) records/sec", out[-1] if out else "")
        rates["kafka"] = float(m.group(1)) if m else 0.0
        version = os.path.basename(os.path.dirname(tools)).removeprefix("kafka-")
        lines.append(f"- kafka-producer-perf-test (the broker's Kafka {version} tools, acks=all, "
                     f"linger.ms=1, "
                     f"{'--payload-file ' + args.samples if args.samples else '256 B'}, "
                     f"{args.peer_messages:,} records): `{out[-1] if out else 'no output'}`")
    nats = natscli()
    if nats and "NATS_URL" in env:
        size = round(samples_mean(args.samples)) + 56 if args.samples else 256
        rates["nats"], line = nats_peer(nats, env["NATS_URL"], args.peer_messages, size)
        lines.append(line)
    return lines


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenarios", default="kafka,nats,both")
    parser.add_argument("--rates", default="25000,50000,75000,100000,150000")
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--topics", type=int, default=5)
    parser.add_argument("--peer-messages", type=int, default=1_000_000)
    parser.add_argument("--binary", default=BINARY)
    parser.add_argument("--samples", default=None,
                        help="a file of newline-delimited payloads that every tool sends")
    parser.add_argument("--publishers", default="1",
                        help="workload.publishers values to run each rate with, e.g. 1,2 "
                             "(each must divide --topics)")
    args = parser.parse_args()
    env = broker_env()
    version = subprocess.run([args.binary, "--version"], capture_output=True, text=True).stdout
    print("brokerload bench: " + "; ".join(" ".join(line.split()) for line in version.splitlines()[1:]))
    workdir = tempfile.mkdtemp(prefix="brokerload-bench-")
    sizes = f"samples {args.samples}" if args.samples else "256 B"
    print(f"brokerload bench: {os.cpu_count()} cores, {sizes}, {args.topics} topics, {args.workers} workers, "
          f"{args.warmup} s warm-up then {args.duration} s measured; logs in {workdir}\n")
    print("| scenario | publishers | target | rate msg/s | acked msg/s | consumed msg/s | send lag p99 | "
          "e2e p50 | e2e p99 | lost | dropped | keeps up | brokerload CPU | CPU per message | RSS MB | "
          "threads | broker CPU |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    best = {}
    achieved = {}  # per target: the highest min(acked, consumed) msg/s of any run
    for scenario in args.scenarios.split(","):
        # Per lane count, rising paced rates stop at the first not kept up; max always runs.
        paced_failed = set()
        runs = [(r if r == "max" else int(float(r)), int(n)) for r in args.rates.split(",")
                for n in args.publishers.split(",")]
        for rate, publishers in runs:
            if publishers in paced_failed and rate != "max":
                continue
            rows, p = run_one(scenario, rate, args, env, workdir, publishers)
            # publish + consume + accounting of every message, both targets together
            per_message = p["cpu"] / max(sum(r["consumed"] for r in rows), 1) * 1e6
            for r in rows:
                brokers_cpu = ", ".join(f"{n} {c:.2f}" for n, c in p["brokers_cpu"].items())
                shown = "max (closed loop)" if rate == "max" else f"{rate:,}"
                print(f"| {scenario} | {publishers} | {r['target']} | {shown} | {r['acked']:,.0f} | "
                      f"{r['consumed']:,.0f} | {ms(r['lag_p99'])} | {ms(r['e2e_p50'])} | "
                      f"{ms(r['e2e_p99'])} | {r['lost']:.0f} | {r['dropped']:.0f} | "
                      f"{'yes' if r['keeps_up'] else 'no'} | {p['cpu']:.2f} cores | "
                      f"{per_message:.1f} µs | {p['rss_mb']:.0f} | "
                      f"{p['threads'][0]}→{p['threads'][1]} | {brokers_cpu} |",
                      flush=True)
            for r in rows:  # the most it moved end to end, kept up or not
                achieved.setdefault(r["target"], 0)
                achieved[r["target"]] = max(achieved[r["target"]], min(r["acked"], r["consumed"]))
            if rate == "max":
                continue  # no offered rate to keep up with: what it moved is in `achieved`
            if all(r["keeps_up"] for r in rows):
                if rate > best.get(scenario, (0, 0))[0]:
                    best[scenario] = (rate, publishers)
            else:
                paced_failed.add(publishers)
    print("\nHighest rate kept up (per target): " +
          ", ".join(f"{s}: {best[s][0]:,} (publishers: {best[s][1]})" if s in best else f"{s}: none"
                    for s in args.scenarios.split(",")))
    print("\nPeer tools on the same brokers, same machine:")
    rates = {}
    for line in peers(env, args, rates):
        print(line, flush=True)
    print("\nbrokerload's highest rate kept up / the peer's (produce-only for Kafka; JetStream: "
          "the lower of the peer pair's publish and consume rates; brokerload does both at once):")
    for target, peer in rates.items():
        mine = best.get(target)
        if mine and peer:
            print(f"- {target}: kept up at {mine[0]:,} (publishers: {mine[1]}) / {peer:,.0f} = "
                  f"{mine[0] / peer:.2f}")
        if achieved.get(target) and peer:
            print(f"- {target}: moved at most {achieved[target]:,.0f} msg/s end to end (kept up or "
                  f"not) / {peer:,.0f} = {achieved[target] / peer:.2f}")


if __name__ == "__main__":
    sys.exit(main())
