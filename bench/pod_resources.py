#!/usr/bin/env python3
"""What the Helm chart's pod needs: brokerload's CPU and memory with the chart's default config
(both targets, 5 topics, 256-byte messages, topics_per_replica), and what a CPU quota (a Kubernetes
CPU limit: a CFS quota per 100 ms period) and the lack of SCHED_FIFO (no CAP_SYS_NICE, the chart's
default pod) do to the send lag and latencies it reports.

Each variant runs the binary on the local brokers for --settle seconds, then measures --seconds
between two scrapes: CPU (utime + stime from /proc/PID/stat) in cores, RSS (at the end and the
highest sampled each second) in MiB, send lag, publish and end-to-end p50/p99 (interpolated in
a fine bucket ladder), late and dropped sends, and with a quota the periods throttled and the
time throttled (the cgroup's cpu.stat). A quota puts the process in a cgroup of its own
(cgroup v1 cpu controller or v2) with cfs_quota = cores x 100 ms per 100 ms period.

usage: bench/pod_resources.py [--binary B] [--rates 1000,20000] [--seconds 60] [--settle 20]
                              [--variants 'LABEL=QUOTA_CORES/REALTIME_PRIORITY[/BURSTS];...']
         default variants: 'fifo=-/10;normal=-/0' ('-': no quota); e.g. 'quota0.5=0.5/0';
         BURSTS: the profile's burst_interval, the chart's `auto` unless given ('-': none,
         e.g. 'steady=-/10/-')
       (root for SCHED_FIFO and the cgroups; brokers from deploy/local/brokers.sh)
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scrape import broker_env, buckets, free_port, scrape, total, wait_ready  # noqa: E402
from send_lag import ladder, quantile, us  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGETS = ("kafka", "nats")
PERIOD_US = 100_000


def config(rate, port, env, tag, realtime, bursts):
    # The chart's default sections (helm/brokerload/values.yaml, configDefaults) with the local
    # brokers as targets; fine latency buckets for exact-enough quantiles. `bursts`: the
    # profile's burst_interval (the chart's: auto), or "" for none.
    return (f'targets:\n  kafka: {{bootstrap_servers: "{env["KAFKA_BOOTSTRAP"]}"}}\n'
            f'  nats: {{servers: ["{env["NATS_URL"]}"], stream: {{max_bytes: 67108864}}}}\n'
            f"workload: {{topics: 5, topics_per_replica: true, message_size: 256, workers: 0, "
            f"topic_prefix: res-{tag}-{rate}-{os.getpid()}}}\n"
            f"profile: {{rate: {rate}{', burst_interval: ' + bursts if bursts else ''}}}\n"
            f'metrics: {{listen: "127.0.0.1:{port}", latency_buckets: {ladder()}}}\n'
            f"run: {{realtime_priority: {realtime}, warmup: 5s}}\n")


class Quota:
    """A cgroup with a CFS quota of `cores` per 100 ms period (v1 cpu controller, or v2)."""

    def __init__(self, cores, name):
        self.cores = cores
        v1 = "/sys/fs/cgroup/cpu"
        if os.path.isdir(v1):
            self.dir = os.path.join(v1, name)
            os.makedirs(self.dir, exist_ok=True)
            self.write("cpu.cfs_period_us", PERIOD_US)
            self.write("cpu.cfs_quota_us", int(cores * PERIOD_US))
            # With RT group scheduling a new group may run no SCHED_FIFO thread at all (its
            # rt_runtime_us is 0): give it the real-time budget a container runtime's parent
            # group has, so that FIFO and the quota are measured together.
            try:
                self.write("cpu.rt_runtime_us", 900_000)
            except OSError:
                pass
        else:
            self.dir = os.path.join("/sys/fs/cgroup", name)
            os.makedirs(self.dir, exist_ok=True)
            self.write("cpu.max", f"{int(cores * PERIOD_US)} {PERIOD_US}")

    def write(self, name, value):
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(str(value))

    def stat(self):
        with open(os.path.join(self.dir, "cpu.stat")) as f:
            fields = dict(line.split() for line in f)
        usec = (int(fields["throttled_usec"]) if "throttled_usec" in fields
                else int(fields.get("throttled_time", 0)) // 1000)
        return int(fields.get("nr_periods", 0)), int(fields.get("nr_throttled", 0)), usec

    def remove(self):
        os.rmdir(self.dir)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def run_one(args, env, workdir, label, rate, quota_cores, realtime, bursts):
    port = free_port()
    tag = re.sub(r"[^a-z0-9-]+", "-", label.lower())
    path = os.path.join(workdir, f"{tag}-{rate}.yaml")
    with open(path, "w") as f:
        f.write(config(rate, port, env, tag, realtime, bursts))
    quota = Quota(quota_cores, f"brokerload-bench-{os.getpid()}-{tag}") if quota_cores else None
    log_path = os.path.join(workdir, f"{tag}-{rate}.log")
    with open(log_path, "w") as log:
        # Into the quota's cgroup before exec, so that every thread is in it from the start.
        preexec = ((lambda: quota.write("cgroup.procs", os.getpid())) if quota else None)
        proc = subprocess.Popen([args.binary, "run", "--config", path], stdout=subprocess.DEVNULL,
                                stderr=log, preexec_fn=preexec)
        try:
            if not wait_ready(port):
                sys.exit(f"pod_resources: {label} not ready; see {log_path}")
            time.sleep(args.settle)
            s1, c1, t1 = scrape(port), cpu_seconds(proc.pid), time.time()
            q1 = quota.stat() if quota else None
            peak = 0.0
            while time.time() - t1 < args.seconds:
                time.sleep(1)
                peak = max(peak, rss_mib(proc.pid))
            s2, c2, t2 = scrape(port), cpu_seconds(proc.pid), time.time()
            q2 = quota.stat() if quota else None
            rss = rss_mib(proc.pid)
            load = os.getloadavg()[0]
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
            if quota:
                time.sleep(0.5)
                quota.remove()
    rows = []
    for t in TARGETS:
        q = {}
        for name in ("send_lag", "publish_latency", "end_to_end_latency"):
            pair = (buckets(s1, f"brokerload_{name}_seconds", target=t),
                    buckets(s2, f"brokerload_{name}_seconds", target=t))
            q[name] = [quantile(*pair, x) for x in (0.5, 0.99)]
        delta = {n: total(s2, n, target=t) - total(s1, n, target=t)
                 for n in ("brokerload_messages_acked_total", "brokerload_sends_late_total",
                           "brokerload_sends_dropped_total")}
        realtime_now = total(s2, "brokerload_publisher_realtime", target=t)
        rows.append(dict(label=label, rate=rate, target=t, cpu=(c2 - c1) / (t2 - t1), rss=rss,
                         peak=peak, acked=delta["brokerload_messages_acked_total"] / (t2 - t1),
                         q=q, late=delta["brokerload_sends_late_total"],
                         dropped=delta["brokerload_sends_dropped_total"], realtime=realtime_now,
                         throttled=(q2[1] - q1[1], q2[0] - q1[0], (q2[2] - q1[2]) / 1e6)
                         if quota else None, load=load))
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(ROOT, "build/release/service/brokerload"))
    parser.add_argument("--rates", default="1000,20000")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--settle", type=float, default=20)
    parser.add_argument("--variants", default="fifo=-/10;normal=-/0")
    args = parser.parse_args()
    env = broker_env()
    workdir = tempfile.mkdtemp(prefix="brokerload-pod-resources-")
    print(f"brokerload pod resources: {os.cpu_count()} cores, the chart's default config on both "
          f"targets, {args.settle:.0f} s settling then {args.seconds:.0f} s measured; logs in "
          f"{workdir}\n")
    print("| variant | rate msg/s | target | acked msg/s | CPU (process) | RSS end / peak | "
          "publisher FIFO | send lag p50 / p99 | publish p50 / p99 | end-to-end p50 / p99 | "
          "late | dropped | throttled periods (time) | load avg |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for rate in (int(float(r)) for r in args.rates.split(",")):
        for variant in (v for v in args.variants.split(";") if v.strip()):
            label, _, spec = variant.partition("=")
            quota_text, _, rest = spec.partition("/")
            realtime, _, bursts = rest.partition("/")
            quota_cores = None if quota_text.strip() in ("", "-") else float(quota_text)
            bursts = "auto" if not bursts.strip() else "" if bursts.strip() == "-" else bursts
            for r in run_one(args, env, workdir, label.strip(), rate, quota_cores,
                             int(realtime or 10), bursts.strip()):
                th = r["throttled"]
                print(f"| {r['label']} | {r['rate']:,} | {r['target']} | {r['acked']:,.0f} | "
                      f"{r['cpu']:.3f} cores | {r['rss']:.0f} / {r['peak']:.0f} MiB | "
                      f"{r['realtime']:.0f} | {us(r['q']['send_lag'][0])} / {us(r['q']['send_lag'][1])} | "
                      f"{us(r['q']['publish_latency'][0])} / {us(r['q']['publish_latency'][1])} | "
                      f"{us(r['q']['end_to_end_latency'][0])} / {us(r['q']['end_to_end_latency'][1])} | "
                      f"{r['late']:.0f} | {r['dropped']:.0f} | "
                      f"{'-' if th is None else f'{th[0]} of {th[1]} ({th[2]:.2f} s)'} | "
                      f"{r['load']:.1f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
