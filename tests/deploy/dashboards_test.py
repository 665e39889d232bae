#!/usr/bin/env python3
"""Checks the Grafana dashboards: lint, then every panel's PromQL against a real Prometheus that
scrapes a real brokerload under load on the fixture's brokers (and loads the alert rules).

usage: dashboards_test.py BROKERLOAD_BINARY   (env: BROKERLOAD_BROKERS_ENV, from the ctest fixture)
"""
import filecmp
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DASHBOARDS = sorted(glob.glob(os.path.join(ROOT, "dashboards", "*.json")))
failures = []


def fail(message):
    failures.append(message)
    print("FAIL: " + message, file=sys.stderr)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lint(tmp):
    generated = os.path.join(tmp, "generated")
    os.makedirs(generated)
    subprocess.run([sys.executable, os.path.join(ROOT, "dashboards", "generate.py"), generated],
                   check=True)
    for path in DASHBOARDS:
        name = os.path.basename(path)
        if not filecmp.cmp(path, os.path.join(generated, name), shallow=False):
            fail(f"{name}: differs from dashboards/generate.py's output; run it again")
        board = json.load(open(path))
        variables = {v["name"] for v in board["templating"]["list"]}
        for required in ("datasource", "job", "instance"):
            if required not in variables:
                fail(f"{name}: no ${required} template variable")
        ids = [p["id"] for p in board["panels"]]
        if len(ids) != len(set(ids)):
            fail(f"{name}: duplicate panel ids {ids}")
        for panel in board["panels"]:
            where = f"{name} panel {panel['id']} '{panel['title']}'"
            if panel.get("datasource", {}).get("uid") != "${datasource}":
                fail(f"{where}: does not use the datasource variable")
            for target in panel["targets"]:
                if target.get("datasource", {}).get("uid") != "${datasource}":
                    fail(f"{where}: a query does not use the datasource variable")
                expr = target["expr"]
                for window in re.findall(r"\[([^\]]+)\]", expr):
                    if window != "$__rate_interval":
                        fail(f"{where}: range [{window}] instead of $__rate_interval")
                if panel["type"] == "heatmap" and ("_bucket" not in expr or target.get("format") != "heatmap"):
                    fail(f"{where}: heatmap not built from _bucket series in heatmap format")
    print(f"lint: {len(DASHBOARDS)} dashboards checked")


def queries():
    for path in DASHBOARDS:
        board = json.load(open(path))
        for panel in board["panels"]:
            for target in panel["targets"]:
                yield f"{os.path.basename(path)} panel {panel['id']} '{panel['title']}'", target["expr"]


def wait_http(url, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def live(tmp, binary):
    env = dict(line.strip().split("=", 1) for line in open(os.environ["BROKERLOAD_BROKERS_ENV"]) if "=" in line)
    metrics_port, prometheus_port = free_port(), free_port()
    config = os.path.join(tmp, "brokerload.yaml")
    with open(config, "w") as f:
        f.write(f'targets:\n  kafka: {{bootstrap_servers: "{env["KAFKA_BOOTSTRAP"]}"}}\n'
                f'  nats: {{servers: ["{env["NATS_URL"]}"]}}\n'
                f"workload: {{topic_prefix: dash{os.getpid()}, workers: 8}}\n"
                f"profile: {{rate: 500}}\n"
                f'metrics: {{listen: "127.0.0.1:{metrics_port}"}}\n')
    with open(os.path.join(tmp, "prometheus.yml"), "w") as f:
        f.write("global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                f"rule_files: [{os.path.join(ROOT, 'deploy/prometheus/brokerload-rules.yml')}]\n"
                "scrape_configs:\n  - job_name: brokerload\n"
                f"    static_configs: [{{targets: ['127.0.0.1:{metrics_port}']}}]\n")
    log = open(os.path.join(tmp, "brokerload.log"), "w")
    brokerload = subprocess.Popen([binary, "run", "--config", config], stdout=log, stderr=log)
    prometheus_bin = shutil.which("prometheus")
    if prometheus_bin is None:
        fail("prometheus missing: run scripts/install-deps.sh")
        brokerload.terminate()
        return
    prometheus = subprocess.Popen(
        [prometheus_bin, f"--config.file={tmp}/prometheus.yml", f"--storage.tsdb.path={tmp}/tsdb",
         f"--web.listen-address=127.0.0.1:{prometheus_port}"],
        stdout=open(os.path.join(tmp, "prometheus.log"), "w"), stderr=subprocess.STDOUT)
    try:
        if not wait_http(f"http://127.0.0.1:{metrics_port}/readyz", 90):
            fail("brokerload never became ready: " + open(os.path.join(tmp, "brokerload.log")).read()[-2000:])
            return
        if not wait_http(f"http://127.0.0.1:{prometheus_port}/-/ready", 60):
            fail("prometheus never became ready: " + open(os.path.join(tmp, "prometheus.log")).read()[-2000:])
            return
        time.sleep(25)  # enough samples for rates over $__rate_interval
        base = f"http://127.0.0.1:{prometheus_port}/api/v1/"
        rules = json.load(urllib.request.urlopen(base + "rules"))
        loaded = sum(len(g["rules"]) for g in rules["data"]["groups"])
        if loaded == 0:
            fail("prometheus loaded no rules")
        substitutions = {"$job": "brokerload", "$instance": ".*", "$target": ".*",
                         "$__rate_interval": "10s"}
        count = 0
        for where, expr in queries():
            query = expr
            for key, value in substitutions.items():
                query = query.replace(key, value)
            with urllib.request.urlopen(base + "query?" + urllib.parse.urlencode({"query": query})) as r:
                answer = json.load(r)
            count += 1
            if answer.get("status") != "success":
                fail(f"{where}: {answer.get('error')} in {query}")
            elif not answer["data"]["result"]:
                fail(f"{where}: empty result for {query}")
        print(f"live: {count} panel queries answered by Prometheus; {loaded} rules loaded")
    finally:
        brokerload.terminate()
        prometheus.terminate()
        brokerload.wait(timeout=60)
        prometheus.wait(timeout=30)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix="brokerload-dashboards-")
    lint(tmp)
    live(tmp, sys.argv[1])
    if failures:
        print(f"{len(failures)} problem(s); files in {tmp}", file=sys.stderr)
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
