#!/usr/bin/env python3
"""Checks the Grafana dashboards: the committed JSON is dashboards/generate.py's output, its SDK
build is for the Grafana that deploy/compose runs, lint, then every panel's and annotation's PromQL
and every variable's query against a real Prometheus that scrapes a real brokerload under load on
the fixture's brokers (and loads the alert rules), and that one scrape holds at most SERIES_BUDGET
series. Every query must answer with data, except those that cannot have any in a run of a minute
(see needs_history): those must evaluate without error.

usage: dashboards_test.py BROKERLOAD_BINARY   (env: BROKERLOAD_BROKERS_ENV, from the ctest fixture)
"""
import filecmp
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error

import promlib
from promlib import free_port, wait_http

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DASHBOARDS = sorted(glob.glob(os.path.join(ROOT, "dashboards", "*.json")))
failures = []


def fail(message):
    failures.append(message)
    print("FAIL: " + message, file=sys.stderr)


def sdk_matches_compose():
    """The SDK is built per Grafana version: the pinned build must be for the compose file's."""
    pin = re.search(r"^grafana-foundation-sdk==\d+!(\d+\.\d+)\.",
                    open(os.path.join(ROOT, "dashboards", "requirements.txt")).read(), re.MULTILINE)
    image = re.search(r"image: grafana/grafana:(\d+\.\d+)\.",
                      open(os.path.join(ROOT, "deploy", "compose", "docker-compose.yml")).read())
    if pin is None or image is None:
        fail("no grafana-foundation-sdk pin in dashboards/requirements.txt or no grafana image "
             "in deploy/compose/docker-compose.yml")
    elif pin.group(1) != image.group(1):
        fail(f"grafana-foundation-sdk is built for Grafana {pin.group(1)}, deploy/compose runs "
             f"{image.group(1)}: pin the SDK's newest build for the compose version")


# Ranges other than $__rate_interval, where each is allowed: a stat shows one figure, whose window
# is part of what it means (the overview's regression row compares the last 5 minutes with the
# same 5 minutes a day and a week ago, as the exact window="5m" quantiles and the alert rules do);
# an annotation detects an event at a fixed step, its look-back part of what it detects (a
# version not seen in the hour before).
FIXED_RANGES = {"stat": {"5m"}, "annotation": {"1h"}}


def check_expr(where, expr, kind):
    for window in re.findall(r"\[([^\]]+)\]", expr):
        if window != "$__rate_interval" and window not in FIXED_RANGES.get(kind, ()):
            fail(f"{where}: range [{window}] instead of $__rate_interval")


def panels(board):
    """Every panel with queries: rows left out, the panels of a collapsed row included."""
    for panel in board["panels"]:
        if panel["type"] == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def needs_history(expr):
    """Queries that cannot have data in this test's run of a minute, checked only to evaluate
    without error (Prometheus answers a query that does not parse, or fails, with an error
    status): a comparison with `offset` 1d or 7d (or the version annotation's look-back, 2
    minutes back) has no data that old, and ALERTS has none while no alert is pending or firing,
    as none should be here."""
    return " offset " in expr or "ALERTS" in expr


def lint(tmp):
    sdk_matches_compose()
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
        for annotation in board["annotations"].get("list", []):
            where = f"{name} annotation '{annotation['name']}'"
            if annotation.get("datasource", {}).get("uid") != "${datasource}":
                fail(f"{where}: does not use the datasource variable")
            check_expr(where, annotation["expr"], "annotation")
        ids = [p["id"] for p in board["panels"]] + [p["id"] for r in board["panels"]
                                                    for p in r.get("panels", [])]
        if len(ids) != len(set(ids)):
            fail(f"{name}: duplicate panel ids {ids}")
        for panel in panels(board):
            where = f"{name} panel {panel['id']} '{panel['title']}'"
            if panel.get("datasource", {}).get("uid") != "${datasource}":
                fail(f"{where}: does not use the datasource variable")
            for target in panel["targets"]:
                if target.get("datasource", {}).get("uid") != "${datasource}":
                    fail(f"{where}: a query does not use the datasource variable")
                expr = target["expr"]
                check_expr(where, expr, panel["type"])
                if panel["type"] == "heatmap" and ("_bucket" not in expr or target.get("format") != "heatmap"):
                    fail(f"{where}: heatmap not built from _bucket series in heatmap format")
    print(f"lint: {len(DASHBOARDS)} dashboards checked")


def queries():
    """(where, expr, is_annotation) of every panel query and every annotation query."""
    for path in DASHBOARDS:
        board = json.load(open(path))
        for panel in panels(board):
            for target in panel["targets"]:
                yield f"{os.path.basename(path)} panel {panel['id']} '{panel['title']}'", target["expr"], False
        for annotation in board["annotations"].get("list", []):
            yield f"{os.path.basename(path)} annotation '{annotation['name']}'", annotation["expr"], True


def variable_queries():
    """(where, PromQL, LABEL) of every query variable: label_values(SELECTOR, LABEL) as a query
    for the label's values among SELECTOR's series (Grafana asks the series API the same)."""
    for path in DASHBOARDS:
        board = json.load(open(path))
        for variable in board["templating"]["list"]:
            if variable["type"] != "query":
                continue
            where = f"{os.path.basename(path)} variable ${variable['name']}"
            query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
            match = re.fullmatch(r"label_values\((.+), *(\w+)\)", query)
            if match is None:
                fail(f"{where}: not label_values(SELECTOR, LABEL): {query}")
                continue
            yield where, f"group by ({match.group(2)}) ({match.group(1)})", match.group(2)


def answer_of(ask, *args):
    """Prometheus' answer, also when it is an error: the API answers a query that does not parse
    or fails with an HTTP error status and {"status": "error", "error": ...}."""
    try:
        return ask(*args)
    except urllib.error.HTTPError as error:
        try:
            return json.load(error)
        except ValueError:
            return {"status": "error", "error": f"HTTP {error.code}"}


# The most series one scrape of brokerload may return with the example config (both targets,
# 5 topics, default buckets): latency histograms are per target, and per broker (or server) with
# half the bounds, to stay within it. 1,870 measured, the Kafka group's 17 (coordinator, commit
# latency) included (docs/metrics.md, "Series count").
SERIES_BUDGET = 1880


def live(tmp, binary):
    env = dict(line.strip().split("=", 1) for line in open(os.environ["BROKERLOAD_BROKERS_ENV"]) if "=" in line)
    metrics_port = free_port()
    config = os.path.join(tmp, "brokerload.yaml")
    with open(config, "w") as f:
        f.write(f'targets:\n  kafka: {{bootstrap_servers: "{env["KAFKA_BOOTSTRAP"]}"}}\n'
                f'  nats: {{servers: ["{env["NATS_URL"]}"]}}\n'
                f"workload: {{topic_prefix: dash{os.getpid()}, workers: 8}}\n"
                f"profile: {{rate: 500}}\n"
                # A short warm-up: latency panels need measured samples within the 25 s below;
                # 6 s so that a Prometheus slow to begin scraping (a loaded machine: once it
                # missed a 3 s one) still sees it for the warm-up annotations.
                f"run: {{warmup: 6s}}\n"
                f'metrics: {{listen: "127.0.0.1:{metrics_port}"}}\n')
    log = open(os.path.join(tmp, "brokerload.log"), "w")
    brokerload = None
    prometheus = None
    try:
        # Prometheus first, so that it scrapes the warm-up (6 s) that the warm-up annotation shows.
        prometheus = promlib.Prometheus(tmp, {"brokerload": f"127.0.0.1:{metrics_port}"},
                                        [os.path.join(ROOT, "deploy/prometheus/brokerload-rules.yml")])
        start = time.time()
        brokerload = subprocess.Popen([binary, "run", "--config", config], stdout=log, stderr=log)
        if not wait_http(f"http://127.0.0.1:{metrics_port}/readyz", 90):
            fail("brokerload never became ready: " + open(os.path.join(tmp, "brokerload.log")).read()[-2000:])
            return
        ready = time.time()
        # A config reload, for the `Config reload` annotation: a change that a reload applies (the
        # log level), more than the 10 s after the start that the annotation leaves to the start
        # itself. Written whole and renamed over the file, which brokerload polls every second.
        time.sleep(max(0.0, start + 12 - time.time()))
        with open(config + ".new", "w") as f:
            f.write(open(config).read() + "log: {level: warn}\n")
        os.replace(config + ".new", config)
        time.sleep(max(0.0, ready + 25 - time.time()))  # enough samples for rates over $__rate_interval
        applied = answer_of(prometheus.query, 'brokerload_config_reloads_total{result="applied"} > 0')
        if not applied.get("data", {}).get("result"):
            fail("brokerload applied no config reload (its log: config reload): "
                 + open(os.path.join(tmp, "brokerload.log")).read()[-2000:])
        rules = prometheus.api("rules")
        loaded = sum(len(g["rules"]) for g in rules["data"]["groups"])
        if loaded == 0:
            fail("prometheus loaded no rules")
        substitutions = {"$job": "brokerload", "$instance": ".*", "$target": ".*",
                         "$__rate_interval": "10s"}
        count = annotations = evaluated = 0
        end = time.time()
        for where, expr, is_annotation in queries():
            query = expr
            for key, value in substitutions.items():
                query = query.replace(key, value)
            if is_annotation:
                # As Grafana asks: over the dashboard's time range; it draws where a value is > 0
                # (older versions: at least 1).
                answer = answer_of(prometheus.query_range, query, start, end, 1)
                annotations += 1
            else:
                answer = answer_of(prometheus.query, query)
                count += 1
            if answer.get("status") != "success":
                fail(f"{where}: {answer.get('error')} in {query}")
            elif needs_history(expr):
                evaluated += 1
            elif not answer["data"]["result"]:
                fail(f"{where}: empty result for {query}")
            elif is_annotation and not any(float(v) >= 1 for series in answer["data"]["result"]
                                           for _, v in series["values"]):
                fail(f"{where}: no value of at least 1 over the run for {query}")
        variables = 0
        for where, query, label in variable_queries():
            for key, value in substitutions.items():
                query = query.replace(key, value)
            answer = answer_of(prometheus.query, query)
            variables += 1
            if answer.get("status") != "success":
                fail(f"{where}: {answer.get('error')} in {query}")
            elif not [found for found in answer["data"]["result"] if found["metric"].get(label)]:
                fail(f"{where}: no value for {query}")
        print(f"live: {count} panel queries and {annotations} annotation queries answered by "
              f"Prometheus ({evaluated} of them only evaluated: see needs_history), {variables} "
              f"variable queries; {loaded} rules loaded")
        # The series of one real scrape, as Prometheus counted them.
        scraped = prometheus.query('scrape_samples_scraped{job="brokerload"}')["data"]["result"]
        if not scraped:
            fail("no scrape_samples_scraped for brokerload")
        else:
            series = int(float(scraped[0]["value"][1]))
            print(f"live: one scrape holds {series} series (budget {SERIES_BUDGET})")
            if series > SERIES_BUDGET:
                fail(f"one scrape holds {series} series, over the budget of {SERIES_BUDGET}")
    except RuntimeError as error:
        fail(str(error))
    finally:
        if brokerload is not None:
            brokerload.terminate()
            brokerload.wait(timeout=60)
        if prometheus is not None:
            prometheus.stop()


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
