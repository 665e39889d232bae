#!/usr/bin/env python3
"""A clean run under every alert rule at its default settings: nothing may go pending.

Starts Debian's Prometheus with deploy/prometheus/brokerload-rules.yml (the default rendering of
the chart's rules template) scraping one brokerload every 15 s as job "brokerload" with a
`replica` label (as the chart's ServiceMonitor and the compose scrape config set them), runs
brokerload with config/brokerload.yaml against the brokers of deploy/local/brokers.sh, and polls
ALERTS every 15 s for the whole run. Prints each alert seen (name, target, state, first and last
time), the run's throughput and exact p99s, and exits 1 when any alert went pending.

usage: bench/alerts_clean.py [--minutes 30] [--config config/brokerload.yaml]
       (brokers first: deploy/local/brokers.sh start; a build: cmake --build --preset release,
        or --binary)
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "deploy"))
import promlib  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--config", default=os.path.join(ROOT, "config", "brokerload.yaml"))
    parser.add_argument("--binary", default=None)
    args = parser.parse_args()
    binary = args.binary or next(
        (p for p in (os.path.join(ROOT, "build", b, "service", "brokerload") for b in ("release", "dev"))
         if os.path.exists(p)), None)
    if binary is None:
        sys.exit("no brokerload binary: cmake --build --preset release (or --binary)")
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        sys.exit("prometheus missing: scripts/install-deps.sh")

    tmp = tempfile.mkdtemp(prefix="brokerload-alerts-clean-")
    metrics_port = promlib.free_port()
    config = os.path.join(tmp, "brokerload.yaml")
    with open(args.config) as f:
        text = f.read().replace("listen: 0.0.0.0:9464", f"listen: 127.0.0.1:{metrics_port}")
    with open(config, "w") as f:
        f.write(text)
    rules = os.path.join(ROOT, "deploy", "prometheus", "brokerload-rules.yml")
    prom_port = promlib.free_port()
    with open(os.path.join(tmp, "prometheus.yml"), "w") as f:
        f.write("global: {scrape_interval: 15s, evaluation_interval: 15s}\n"
                f"rule_files: ['{rules}']\n"
                "scrape_configs:\n"
                "  - job_name: brokerload\n"
                f"    static_configs: [{{targets: ['127.0.0.1:{metrics_port}'], "
                "labels: {replica: clean-0}}]\n")
    prom = subprocess.Popen(
        [prometheus, f"--config.file={tmp}/prometheus.yml", f"--storage.tsdb.path={tmp}/tsdb",
         f"--web.listen-address=127.0.0.1:{prom_port}"],
        stdout=open(f"{tmp}/prometheus.log", "w"), stderr=subprocess.STDOUT)
    brokerload = subprocess.Popen([binary, "run", "--config", config],
                                  stdout=open(f"{tmp}/brokerload.log", "w"),
                                  stderr=subprocess.STDOUT)
    api = promlib.Prometheus.__new__(promlib.Prometheus)
    api.base = f"http://127.0.0.1:{prom_port}/api/v1/"
    seen = {}
    start = time.time()
    try:
        if not promlib.wait_http(f"http://127.0.0.1:{prom_port}/-/ready", 60):
            sys.exit("prometheus never became ready")
        while time.time() - start < args.minutes * 60:
            time.sleep(15)
            if brokerload.poll() is not None:
                sys.exit(f"brokerload exited ({brokerload.returncode}): {tmp}/brokerload.log")
            for r in api.query('ALERTS{alertname=~"Brokerload.*"}')["data"]["result"]:
                m = r["metric"]
                key = (m["alertname"], m.get("target", ""), m["alertstate"])
                now = round(time.time() - start)
                seen.setdefault(key, [now, now])[1] = now
        figures = {
            "acked msg/s": 'sum by (target) (rate(brokerload_messages_acked_total[5m]))',
            "publish p99 (s)": 'brokerload_publish_latency_window_seconds{quantile="0.99",window="5m"}',
            "end-to-end p99 (s)": 'brokerload_end_to_end_latency_window_seconds{quantile="0.99",window="5m"}',
            "net lost": 'sum by (target) (brokerload_messages_lost_total - brokerload_messages_arrived_after_loss_total)',
            "publish errors": 'sum by (target) (brokerload_publish_errors_total)',
            "cpu (cores)": 'rate(process_cpu_seconds_total[5m])',
        }
        print(f"clean run: {args.minutes:g} min, rules {os.path.relpath(rules, ROOT)} at their defaults,"
              " scrape and evaluation every 15 s")
        for name, expr in figures.items():
            for r in api.query(expr)["data"]["result"]:
                print(f"  {name:20} {r['metric'].get('target', '-'):6} {float(r['value'][1]):.4g}")
        if not seen:
            print("alerts pending or firing at any poll: none")
            return 0
        for (name, target, state), (first, last) in sorted(seen.items()):
            print(f"  ALERT {name} target={target or '-'} {state} from {first} s to {last} s")
        return 1
    finally:
        brokerload.send_signal(signal.SIGTERM)
        brokerload.wait(timeout=60)
        prom.terminate()
        prom.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
