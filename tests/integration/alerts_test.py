#!/usr/bin/env python3
"""The alert rules against reality: Debian's Prometheus, loaded with the rules rendered from the
Helm chart (helm/brokerload/templates/_rules.tpl, through deploy/prometheus/render.sh), scrapes
real brokerload processes on the fixture's real brokers while this test injects real faults, and
each case must raise the alert it is about (ALERTS{alertstate="firing"} through the HTTP API)
within a stated time, with no other alert pending or firing for its replica.

usage: alerts_test.py BROKERLOAD_BINARY   (env: BROKERLOAD_BROKERS_ENV, from the ctest fixture)

Cases, run at once where they do not interfere (each instance its own `replica` label, metrics
port and topic prefix; one Prometheus scraping and evaluating every second):
  a  a clean paced run (Kafka and JetStream) and a clean `rate: max` run: nothing pending
  b  JetStream latency raised by a delay proxy: publish and end-to-end p99 regression alerts
  c  Kafka frozen with SIGSTOP for 45 s: BrokerloadTargetUnhealthy and the publish error-budget
     burn for kafka, nothing for nats, and no BrokerloadMessagesLost after SIGCONT
  d  a private nats-server restarted (memory streams gone) under a consumer backlog:
     BrokerloadMessagesLost, brokerload_messages_lost_total exactly what was acknowledged and
     not received when the server went. A server of the case's own: restarting the fixture's
     would disturb every other case. Not a stream deleted through the JetStream API: brokerload
     then never re-creates it, no later message arrives, and the backlog is never counted lost
     while it runs (measured: 8,542 acknowledged messages, lost_total 0 for 30 s, publishes
     failing as unknown_topic)
  e  consumers cut off by a proxy that holds their deliveries, publishing going on:
     BrokerloadConsumptionStopped, for a full instance and for a produce-only + consume-only pair
  f  brokerload killed (SIGKILL) under the job "perf-brokerload": BrokerloadDown
  g  brokerload restarted (new process, instance and run id; same replica): the baseline crosses
     the restart and the regression of case b fires after it
  h  a slow consumer behind a 2,000 msg/s burst on a healthy nats-server: BrokerloadConsumerBehind,
     both backlog gauges up, nothing lost

The rules' values (rules: in helm/brokerload/values.yaml) are shortened so that all of this fits
in about 6 minutes; see TEST_VALUES below for each one and why. Everything a case cannot show
fails the test: nothing is skipped.
"""
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "deploy"))
from promlib import free_port, wait_http  # noqa: E402

# The chart's values for this test, and why each differs from values.yaml. Everything else keeps
# the chart's default (Helm merges these maps into values.yaml's).
TEST_VALUES = """\
rules:
  # Case f scrapes a brokerload under the job a release named "perf" had before the chart set
  # the job through the ServiceMonitor's jobLabel: the selector is a value, configured here.
  jobSelector: 'job=~"brokerload|perf-brokerload"'
  baseline:
    # A baseline 3 minutes back (the average of the minute before that) instead of the same hour
    # of the last 7 days: the replica's own clean minutes earlier in this test.
    offsets: ["3m"]
    range: 1m
    # The hold-off after a config load (a start) is an hour by default; 20 s here, so that the
    # restarted instance of case g is compared within the test.
    configLoadHoldOffSeconds: 20
  availability:
    # Burn-rate windows of minutes instead of hours (the objective and factors unchanged): the
    # 60 s Kafka freeze of case c spends the budget within them.
    fastBurn: {longWindow: 1m, shortWindow: 15s, for: 10s}
    slowBurn: {longWindow: 2m, shortWindow: 30s, for: 30s}
  alerts:
    # Every `for` shortened to seconds: the test observes each fault for about a minute. The
    # thresholds stay the chart's, except where said.
    achievedRateLow: {for: 30s}
    # 3 s instead of 100 ms: on this 2-core machine, shared by the brokers, 11 debug-build
    # instances and the test's bursts, clean runs' exact p99 measured 0.2-0.65 s on JetStream
    # and up to 2.2 s on a Kafka started a minute before (the fixture's, under `ctest -R`). The
    # threshold is a production host's; no case here is about it.
    endToEndP99High: {thresholdSeconds: 3, for: 30s}
    # floorSeconds 300 ms instead of 10 ms: this machine's own noise. A clean JetStream
    # replica's exact p99 went from 25 ms to 300 ms while the 2,000 msg/s burst of case h ran
    # (measured), and under other load it reached 650 ms: no other replica may page on that.
    # Cases b and g add at least 250 ms each way (1.5 times the highest p99 the replica has had):
    # p99 rises far above both the floor and twice the baseline.
    # Ratio 3 instead of 2: in one CI-like run under other tests' load every JetStream replica's
    # p99 doubled at once, past 0.3 s, with no fault of its own; the cases' delay still lifts
    # p99 over 4 times its baseline.
    publishP99Regression: {ratio: 3, floorSeconds: 0.3, for: 10s}
    endToEndP99Regression: {ratio: 3, floorSeconds: 0.3, for: 10s}
    throughputRegression: {for: 30s}
    publishErrors: {for: 30s}
    consumerBehind: {for: 10s}
    consumptionStopped: {for: 10s}
    saturated: {for: 30s}
    targetUnhealthy: {for: 20s}
    configReloadFailed: {for: 30s}
    down: {for: 15s}
    absent: {for: 30s}
"""

DELAY_S = (0.25, 1.0)    # case b and g: the least and most delay the proxy adds each way
FREEZE_S = 45            # case c: Kafka stopped this long
failures = []


def fail(message):
    if message in failures:
        return
    failures.append(message)
    print("FAIL: " + message, file=sys.stderr, flush=True)


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- A TCP proxy for NATS connections: delays every chunk, or holds what the server sends to
# connections of a given client name (brokerload names them brokerload-producer and
# brokerload-consumer in CONNECT) ---

class Proxy:
    def __init__(self, loop, upstream_port):
        self.loop = loop
        self.upstream_port = upstream_port
        self.delay = 0.0
        self.hold_names = set()  # server -> client data of these connections waits while held
        self.server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._client, "127.0.0.1", 0), loop).result()
        self.port = self.server.sockets[0].getsockname()[1]

    async def _client(self, creader, cwriter):
        try:
            sreader, swriter = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            cwriter.close()
            return
        conn = {"name": None}
        try:
            await asyncio.gather(self._pipe(creader, swriter, conn, True),
                                 self._pipe(sreader, cwriter, conn, False), return_exceptions=True)
        except asyncio.CancelledError:  # the test is over
            pass

    async def _pipe(self, reader, writer, conn, from_client):
        queue = asyncio.Queue()

        async def pump():
            try:
                while True:
                    data = await reader.read(65536)
                    if not data:
                        break
                    if from_client and conn["name"] is None:
                        m = re.search(rb'"name":"([^"]*)"', data)
                        if m:
                            conn["name"] = m.group(1).decode()
                    queue.put_nowait((time.monotonic() + self.delay, data))
            finally:
                queue.put_nowait(None)

        task = asyncio.create_task(pump())
        try:
            while True:
                item = await queue.get()
                if item is None:
                    break
                due, data = item
                while not from_client and conn["name"] in self.hold_names:
                    await asyncio.sleep(0.05)
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            task.cancel()
            writer.close()


class ProxyLoop:
    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def proxy(self, upstream_port):
        return Proxy(self.loop, upstream_port)

    def stop(self):
        async def cancel_all():
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()
        try:
            asyncio.run_coroutine_threadsafe(cancel_all(), self.loop).result(5)
            time.sleep(0.2)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)


# --- Prometheus with file service discovery (targets move: case g) and static labels ---

class Prometheus:
    """Scrapes the jobs' targets from files (file_sd: targets move, case g) with a static
    `replica` label each. The rules are loaded by load_rules(), once every target is scraped, so
    that no rule is evaluated before the first scrape (BrokerloadAbsent would go pending)."""

    def __init__(self, tmp, jobs, targets):
        binary = shutil.which("prometheus")
        if binary is None:
            raise RuntimeError("prometheus missing: run scripts/install-deps.sh")
        self.tmp = tmp
        self.jobs = jobs
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/api/v1/"
        self.targets = targets  # job -> {replica: address}
        for job in jobs:
            self.write_sd(job)
        self.write_config(None)
        self.log_path = os.path.join(tmp, "prometheus.log")
        self.process = subprocess.Popen(
            [binary, f"--config.file={tmp}/prometheus.yml", f"--storage.tsdb.path={tmp}/tsdb",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT)
        if not wait_http(f"http://127.0.0.1:{self.port}/-/ready", 60):
            self.stop()
            raise RuntimeError("prometheus never became ready: " + open(self.log_path).read()[-2000:])

    def write_config(self, rules_file):
        with open(os.path.join(self.tmp, "prometheus.yml"), "w") as f:
            f.write("global: {scrape_interval: 1s, evaluation_interval: 1s}\n")
            if rules_file:
                f.write(f"rule_files: [{rules_file}]\n")
            f.write("scrape_configs:\n")
            for job in self.jobs:
                f.write(f"  - job_name: {job}\n    file_sd_configs:\n"
                        f"      - {{files: [{os.path.join(self.tmp, 'sd-' + job + '.json')}], "
                        "refresh_interval: 1s}\n")

    def load_rules(self, rules_file, timeout=30):
        self.write_config(rules_file)
        self.process.send_signal(signal.SIGHUP)
        deadline = time.time() + timeout
        while time.time() < deadline:
            loaded = sum(len(g["rules"]) for g in self.api("rules")["data"]["groups"])
            if loaded:
                return loaded
            time.sleep(0.5)
        raise RuntimeError("prometheus loaded no rules: " + open(self.log_path).read()[-2000:])

    def wait_scraped(self, count, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if (self.value("count(up == 1)") or 0) >= count:
                return
            time.sleep(0.5)
        raise RuntimeError(f"prometheus does not scrape {count} targets: {self.query('up')}")

    def wait_dropped(self, address, timeout=30):
        """Until Prometheus no longer scrapes `address` (discovery updates come every 5 s)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            active = self.api("targets", state="active")["data"]["activeTargets"]
            if not any(t["labels"].get("instance") == address for t in active):
                return
            time.sleep(0.5)
        raise RuntimeError(f"prometheus still scrapes {address} {timeout} s after its removal")

    def write_sd(self, job):
        groups = [{"targets": [address], "labels": {"replica": replica}}
                  for replica, address in sorted(self.targets[job].items())]
        path = os.path.join(self.tmp, "sd-" + job + ".json")
        with open(path + ".new", "w") as f:
            json.dump(groups, f)
        os.rename(path + ".new", path)

    def set_target(self, job, replica, address):
        old = self.targets[job].get(replica)
        if address is None:
            self.targets[job].pop(replica, None)
        else:
            self.targets[job][replica] = address
        self.write_sd(job)
        if old and old != address:
            self.wait_dropped(old)

    def api(self, path, **params):
        url = self.base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"prometheus {path} {params}: {e.code} {e.read().decode()[:500]}") from e

    def query(self, expr):
        answer = self.api("query", query=expr)
        if answer.get("status") != "success":
            raise RuntimeError(f"query {expr}: {answer}")
        return answer["data"]["result"]

    def value(self, expr):
        """The single value of expr, or None."""
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


# --- brokerload instances ---

def scrape(port):
    """brokerload's own /metrics: {(name, frozenset(labels)): value}."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$", line)
        if m:
            labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
            out[(m.group(1), labels)] = float(m.group(3))
    return out


def total(metrics, name, **match):
    return sum(v for (n, labels), v in metrics.items()
               if n == name and all((k, w) in labels for k, w in match.items()))


def matches(labels, match):
    return all(labels.get(k) == v for k, v in match.items())


def describe(name, labels):
    shown = ", ".join(f"{k}={v}" for k, v in sorted(labels.items())
                      if k not in ("__name__", "alertname", "severity"))
    return f"{name}{{{shown}}}"


def jetstream_request(port, subject, payload=b""):
    """One JetStream API request over the NATS protocol; its JSON answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.recv(65536)  # INFO
        s.sendall(b'CONNECT {"verbose":false,"pedantic":false}\r\nSUB _INBOX.alerts 1\r\n'
                  + f"PUB {subject} _INBOX.alerts {len(payload)}\r\n".encode() + payload + b"\r\n")
        buf = b""
        while True:
            m = re.search(rb"MSG _INBOX\.alerts 1 (\d+)\r\n", buf)
            if m and len(buf) >= m.end() + int(m.group(1)):
                return json.loads(buf[m.end():m.end() + int(m.group(1))])
            chunk = s.recv(65536)
            if not chunk:
                raise RuntimeError(f"no answer to {subject}")
            buf += chunk


class Instance:
    """One brokerload process with its own config file, metrics port and replica label."""

    def __init__(self, test, replica, targets, body, job="brokerload", nice=0):
        self.test, self.replica, self.job, self.nice = test, replica, job, nice
        self.targets_yaml, self.body = targets, body
        self.prefix = re.search(r"topic_prefix: ([^,}]+)", body).group(1)
        self.process = None
        self.port = None

    def start(self):
        self.port = free_port()
        path = os.path.join(self.test.tmp, f"{self.replica}.yaml")
        with open(path, "w") as f:
            f.write(f"targets:\n{self.targets_yaml}{self.body}"
                    f'metrics: {{listen: "127.0.0.1:{self.port}"}}\n')
        check = subprocess.run([self.test.binary, "validate-config", path],
                               capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"{self.replica}: invalid config: {check.stdout}{check.stderr}")
        log_file = open(os.path.join(self.test.tmp, f"{self.replica}.log"), "a")
        nice = self.nice
        self.process = subprocess.Popen(
            [self.test.binary, "run", "--config", path], stdout=log_file, stderr=log_file,
            preexec_fn=(lambda: os.nice(nice)) if nice else None)

    def address(self):
        return f"127.0.0.1:{self.port}"

    def wait(self, path, timeout):
        if not wait_http(f"http://127.0.0.1:{self.port}{path}", timeout):
            raise RuntimeError(f"{self.replica}: no 200 from {path} within {timeout} s: {self.log_tail()}")

    def log_tail(self):
        try:
            return open(os.path.join(self.test.tmp, f"{self.replica}.log")).read()[-1500:]
        except OSError:
            return ""

    def metrics(self):
        return scrape(self.port)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Case:
    """A fault and what it must raise. expected: [(alertname, {label: value})], each to fire
    within deadline_s of the fault and not before it. tolerated: [(alertname, {label: value})]
    that the same fault (or the setup it needs) also raises on these replicas, each said why in
    cases(). Any other alert pending or firing for these replicas fails the test."""

    def __init__(self, key, title, replicas, expected, tolerated=(), deadline_s=None):
        self.key, self.title, self.replicas = key, title, replicas
        self.expected = expected
        self.tolerated = list(tolerated)
        self.deadline_s = deadline_s
        self.fault_at = None
        self.notes = []


class AlertsTest:
    def __init__(self, binary):
        self.binary = binary
        self.tmp = tempfile.mkdtemp(prefix="brokerload-alerts-")
        env_path = os.environ["BROKERLOAD_BROKERS_ENV"]
        self.state_dir = os.path.dirname(env_path)
        self.env = dict(line.strip().split("=", 1) for line in open(env_path) if "=" in line)
        self.nats_port = int(self.env["NATS_URL"].rsplit(":", 1)[1])
        self.prefix = f"al{os.getpid()}"
        self.instances = {}
        self.prometheus = None
        self.proxies = None
        self.private_nats = None
        self.kafka_frozen = None
        self.t0 = None

    # - helpers -
    def kafka(self):
        return f'  kafka: {{bootstrap_servers: "{self.env["KAFKA_BOOTSTRAP"]}"}}\n'

    def nats(self, port=None, extra=""):
        # Memory streams of 64 MB: JetStream reserves each one's max_bytes (256 MB by default)
        # from the server's memory, which the fixture's other tests share.
        return (f'  nats: {{servers: ["nats://127.0.0.1:{port or self.nats_port}"], '
                f'stream: {{max_bytes: 67108864}}{extra}}}\n')

    def delete_streams(self):
        """The fixture's nats-server is shared: the test's streams go at the end."""
        names = jetstream_request(self.nats_port, "$JS.API.STREAM.NAMES").get("streams") or []
        for name in names:
            if name.startswith(self.prefix + "-"):
                jetstream_request(self.nats_port, f"$JS.API.STREAM.DELETE.{name}")

    def add(self, replica, targets, body, **kwargs):
        self.instances[replica] = Instance(self, replica, targets, body, **kwargs)

    def workload(self, name, topics=2, extra=""):
        return f"workload: {{topic_prefix: {self.prefix}-{name}, topics: {topics}{extra}}}\n"

    def firing_now(self, alertname, **match):
        return any(matches(s["metric"], match) for s in
                   self.prometheus.query(f'ALERTS{{alertname="{alertname}", alertstate="firing"}}'))

    def at(self, t):
        """Sleeps until t seconds after the instances started."""
        left = self.t0 + t - time.time()
        if left > 0:
            time.sleep(left)

    def start_private_nats(self, port, store):
        """A nats-server of case d's own: the fixture's binary, on a port of its own."""
        pid = int(open(os.path.join(self.state_dir, "nats.pid")).read())
        binary = os.readlink(f"/proc/{pid}/exe")
        log_file = open(os.path.join(self.tmp, "private-nats.log"), "a")
        process = subprocess.Popen([binary, "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", store],
                                   stdout=log_file, stderr=log_file)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    if s.recv(4).startswith(b"INFO"):  # NATS speaks first
                        return process
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("private nats-server did not start: " +
                           open(os.path.join(self.tmp, "private-nats.log")).read()[-1000:])

    def render_rules(self):
        rules = os.path.join(self.tmp, "rules.yml")
        values = os.path.join(self.tmp, "test-values.yaml")
        with open(values, "w") as f:
            f.write(TEST_VALUES)
        # BROKERLOAD_ALERTS_RENDER: another checkout's render.sh, to try a changed template.
        render_sh = os.environ.get("BROKERLOAD_ALERTS_RENDER",
                                   os.path.join(ROOT, "deploy/prometheus/render.sh"))
        render = subprocess.run([render_sh, "-o", rules, "-f", values], capture_output=True, text=True)
        if render.returncode != 0:
            raise RuntimeError("rendering the rules failed: " + render.stdout + render.stderr)
        check = subprocess.run(["promtool", "check", "rules", rules], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError("promtool check rules: " + check.stdout + check.stderr)
        return rules

    # - the run -
    def setup(self):
        rules = self.render_rules()
        self.proxies = ProxyLoop()
        self.proxy_b = self.proxies.proxy(self.nats_port)
        self.proxy_g = self.proxies.proxy(self.nats_port)
        self.proxy_e = self.proxies.proxy(self.nats_port)
        self.proxy_e2 = self.proxies.proxy(self.nats_port)
        self.private_port = free_port()
        self.private_store = os.path.join(self.tmp, "private-nats")
        self.private_nats = self.start_private_nats(self.private_port, self.private_store)

        # Short settings for every instance: loss counted 15 s after its evidence, a stop drains
        # for at most 3 s. publish_timeout stays 10 s: with less, a stall of a Kafka started a
        # minute before (librdkafka's produce requests time out with the messages) failed 86
        # publishes and stored 92 twice (the idempotent producer's epoch bump). Rates are low
        # (100 msg/s) where the case does not need more: 2 cores for all of this and the brokers.
        run = "loss_grace: 15s, publish_timeout: 10s, drain_timeout: 3s"
        # A 25 s warm-up (kept out of every latency figure, and latency and rate alerts hold off),
        # 60 s on Kafka: a fresh local Kafka's first minute is slow (docs/configuration.md,
        # run.warmup). The heavy phases of cases d and h (1,000 and 2,000 msg/s) run in it, so
        # that they are in no other replica's latency, hence in no baseline.
        warm_run = f"run: {{warmup: 25s, {run}}}\n"
        kafka_run = f"run: {{warmup: 60s, {run}}}\n"
        both = self.kafka() + self.nats()
        rate = "profile: {rate: 100}\n"
        self.add("a-paced", both, self.workload("a1") + rate + kafka_run)
        # Unpaced with a small window and niced, so that it does not take the machine from the
        # other cases; the publishers at normal priority for the same reason.
        self.add("a-max", both, self.workload("a2") + "profile: {rate: max, max_in_flight: 4}\n" +
                 f"run: {{warmup: 60s, realtime_priority: 0, {run}}}\n", nice=10)
        self.add("b-latency", self.nats(self.proxy_b.port), self.workload("b") + rate + warm_run)
        self.add("c-kafka-freeze", both, self.workload("c") + rate + kafka_run)
        # d and h start at once at 1,000 and 2,000 msg/s while ten more instances start beside
        # them: a 5 s warm-up at that rate keeps the first sends of a crowded start out of their
        # latency and send-lag figures (without it, CI saw BrokerloadSaturated pending from the
        # first evaluation in both). It counts in every counter, loss included.
        short_warm_run = f"run: {{warmup: 5s, {run}}}\n"
        # A consumer slower than the publisher (one worker sleeping 2 ms a message, about 450
        # msg/s, against 1,000 msg/s for 5 + 20 s) with explicit acks and at most 20
        # unacknowledged: the backlog stays in the broker's memory stream, which a restart loses.
        self.add("d-stream-lost",
                 self.nats(self.private_port, ", ack_policy: explicit, max_ack_pending: 20"),
                 self.workload("d", extra=", workers: 1, work: {mode: sleep, time: 2ms}") +
                 "profile: {stages: [{name: fill, rate: 1000, duration: 20s}, "
                 "{name: after, rate: 100, duration: 1h}]}\n" + short_warm_run)
        self.add("e-consumer-held", self.nats(self.proxy_e.port), self.workload("e1") + rate + warm_run)
        self.add("e-consume-only", self.nats(self.proxy_e2.port), self.workload("e2") + rate +
                 f"run: {{role: consume-only, warmup: 25s, {run}}}\n")
        self.add("e-produce-only", self.nats(), self.workload("e2") + rate +
                 f"run: {{role: produce-only, warmup: 25s, {run}}}\n")
        self.add("f-killed", self.nats(), self.workload("f") + rate + warm_run, job="perf-brokerload")
        self.add("g-restarted", self.nats(self.proxy_g.port), self.workload("g") + rate + warm_run)
        # 5 + 15 s at 2,000 msg/s, then 100 msg/s: one worker sleeping 2 ms a message takes about
        # 450 msg/s.
        self.add("h-slow-consumer", self.nats(),
                 self.workload("h", extra=", workers: 1, work: {mode: sleep, time: 2ms}") +
                 "profile: {stages: [{name: burst, rate: 2000, duration: 15s}, "
                 "{name: after, rate: 100, duration: 1h}]}\n" + short_warm_run)

        # Scraped from the moment they serve metrics (before they are ready, as Kubernetes does).
        for instance in self.instances.values():
            instance.start()
        self.t0 = time.time()
        targets = {"brokerload": {}, "perf-brokerload": {}}
        for instance in self.instances.values():
            instance.wait("/healthz", 30)
            targets[instance.job][instance.replica] = instance.address()
        self.prometheus = Prometheus(self.tmp, list(targets), targets)
        self.prometheus.wait_scraped(len(self.instances))
        loaded = self.prometheus.load_rules(rules)
        log(f"prometheus on port {self.prometheus.port}: {len(self.instances)} targets scraped, "
            f"{loaded} rules from the chart")
        for instance in self.instances.values():
            instance.wait("/readyz", 90)
        log(f"{len(self.instances)} brokerload instances ready after {time.time() - self.t0:.0f} s; "
            f"load average {os.getloadavg()[0]:.1f}")

    def cases(self):
        e2 = f"{self.prefix}-e2"
        return [
            Case("a", "clean paced run (kafka, nats)", ["a-paced"], []),
            Case("a", "clean rate: max run (kafka, nats)", ["a-max"], []),
            # The injected latency may also put end-to-end p99 over its threshold.
            Case("b", "JetStream latency up 5x by a delay proxy", ["b-latency"],
                 [("BrokerloadPublishP99Regression", {"target": "nats"}),
                  ("BrokerloadEndToEndP99Regression", {"target": "nats"})],
                 [("BrokerloadEndToEndP99High", {"target": "nats"})], deadline_s=100),
            # On kafka only, the freeze's own consequences: publishes fail (PublishErrors, acks
            # below the rate) and what waited is late (latency alerts after SIGCONT).
            Case("c", f"Kafka SIGSTOP {FREEZE_S} s", ["c-kafka-freeze"],
                 [("BrokerloadTargetUnhealthy", {"target": "kafka"}),
                  ("BrokerloadPublishErrorBudgetBurn", {"target": "kafka", "burn": "fast"})],
                 [(name, {"target": "kafka"}) for name in (
                     "BrokerloadPublishErrorBudgetBurn", "BrokerloadPublishErrors",
                     "BrokerloadAchievedRateLow", "BrokerloadEndToEndP99High",
                     "BrokerloadPublishP99Regression", "BrokerloadEndToEndP99Regression")],
                 deadline_s=80),
            # The slow consumer's backlog is the setup (ConsumerBehind, end-to-end latency); the
            # restart fails publishes for seconds (PublishErrors, the publish burn, health, the
            # acked rate, the reconnect buffer's publish latency) and loses the backlog (the
            # delivery burn).
            Case("d", "nats-server restarted: memory streams lost under a backlog",
                 ["d-stream-lost"], [("BrokerloadMessagesLost", {"target": "nats"})],
                 [(name, {"target": "nats"}) for name in (
                     "BrokerloadConsumerBehind", "BrokerloadEndToEndP99High",
                     "BrokerloadEndToEndP99Regression", "BrokerloadPublishP99Regression",
                     "BrokerloadDeliveryErrorBudgetBurn", "BrokerloadPublishErrorBudgetBurn",
                     "BrokerloadPublishErrors", "BrokerloadTargetUnhealthy",
                     "BrokerloadAchievedRateLow")], deadline_s=45),
            # A held consumer fails the `consuming` check (TargetUnhealthy: "ConsumptionStopped
            # fires later on the same cause", docs/runbook.md) and its backlog grows.
            Case("e", "full instance, consumer connection held", ["e-consumer-held"],
                 [("BrokerloadConsumptionStopped", {"target": "nats"})],
                 [("BrokerloadTargetUnhealthy", {"target": "nats"}),
                  ("BrokerloadConsumerBehind", {"target": "nats"})], deadline_s=230),
            Case("e", "produce-only + consume-only, consumer held", ["e-produce-only", "e-consume-only"],
                 [("BrokerloadConsumptionStopped", {"target": "nats", "topic": f"{e2}-0"}),
                  ("BrokerloadConsumptionStopped", {"target": "nats", "topic": f"{e2}-1"})],
                 deadline_s=230),
            Case("f", "SIGKILL, job perf-brokerload", ["f-killed"],
                 [("BrokerloadDown", {"job": "perf-brokerload", "replica": "f-killed"})], deadline_s=45),
            Case("g", "restarted (new instance), then latency up 5x", ["g-restarted"],
                 [("BrokerloadPublishP99Regression", {"target": "nats"}),
                  ("BrokerloadEndToEndP99Regression", {"target": "nats"})],
                 [("BrokerloadEndToEndP99High", {"target": "nats"})], deadline_s=100),
            # End-to-end latency includes the wait in the backlog: its p99 is high, legitimately.
            Case("h", "slow consumer behind a 2,000 msg/s burst", ["h-slow-consumer"],
                 [("BrokerloadConsumerBehind", {"target": "nats"})],
                 [("BrokerloadEndToEndP99High", {"target": "nats"}),
                  ("BrokerloadEndToEndP99Regression", {"target": "nats"})], deadline_s=60),
        ]

    def restart_d_server(self, d):
        """d: freezes the private server, lets brokerload settle (what was delivered to it is
        processed; nothing more is acknowledged), counts what was acknowledged and not received,
        then kills the server and starts a new one on the same port: the memory streams are gone."""
        inst = self.instances["d-stream-lost"]
        self.private_nats.send_signal(signal.SIGSTOP)
        last, stable_since = None, time.time()
        while time.time() - stable_since < 2.0:
            m = inst.metrics()
            now = (total(m, "brokerload_messages_acked_total", target="nats"),
                   total(m, "brokerload_messages_consumed_total", target="nats"))
            if now != last:
                last, stable_since = now, time.time()
            time.sleep(0.2)
        m = inst.metrics()
        acked = total(m, "brokerload_messages_acked_total", target="nats")
        consumed = total(m, "brokerload_messages_consumed_total", target="nats")
        backlog = total(m, "brokerload_consumer_backlog_messages", target="nats")
        lost = total(m, "brokerload_messages_lost_total", target="nats")
        self.private_nats.kill()
        self.private_nats.wait()
        self.private_nats = self.start_private_nats(self.private_port, self.private_store + "-2")
        d.fault_at = time.time()
        d.expected_lost = acked - consumed
        d.notes.append(f"at the restart: acked {acked:.0f}, consumed {consumed:.0f}, "
                       f"brokerload_consumer_backlog_messages {backlog:.0f}, lost {lost:.0f}")
        log(f"d: nats-server restarted; {d.notes[-1]}")
        if backlog != acked - consumed:
            fail(f"d: brokerload_consumer_backlog_messages {backlog:.0f} is not acked - consumed "
                 f"= {acked - consumed:.0f} with the broker frozen")
        if acked - consumed < 1000:
            fail(f"d: only {acked - consumed:.0f} messages of backlog at the restart: the case "
                 "needs a backlog in the broker")

    def run(self, cases):
        by_key = lambda k: [c for c in cases if c.key == k]  # noqa: E731
        i = self.instances
        p = self.prometheus

        # d: the backlog of its first seconds at 1,000 msg/s (warm-up, then fill) is in the broker;
        # the restart comes while it still sends at that rate.
        self.at(25)
        self.restart_d_server(by_key("d")[0])

        # h: a placeholder; its burst's start is read from its stage at the end (after the warm-up).
        by_key("h")[0].fault_at = self.t0

        # e: the consumers' deliveries held from now on (the server and the connections stay up).
        self.at(30)
        self.proxy_e.hold_names.add("brokerload-consumer")
        self.proxy_e2.hold_names.add("brokerload-consumer")
        for c in by_key("e"):
            c.fault_at = time.time()
        log("e: consumer connections held")

        # f: killed; Prometheus keeps scraping the dead address.
        self.at(40)
        i["f-killed"].stop(signal.SIGKILL)
        by_key("f")[0].fault_at = time.time()
        log("f: brokerload killed (SIGKILL)")

        # g: restarted as a new process on a new port (a new instance), with the same replica
        # label: out of the discovered targets first, as a deleted pod's endpoint.
        self.at(100)
        g = i["g-restarted"]
        self.g_old = g.address()
        p.set_target("brokerload", "g-restarted", None)
        g.stop()
        g.start()
        g.wait("/healthz", 30)
        p.set_target("brokerload", "g-restarted", g.address())
        g.wait("/readyz", 60)
        self.g_new = g.address()
        log(f"g: restarted: instance {self.g_old} -> {self.g_new}")

        # b, g: 3 minutes in, the baseline (3 to 4 minutes back) holds only clean minutes. The
        # delay, each way, is 1.5 times the highest p99 the replica has had (what a baseline may
        # hold), within DELAY_S: publish and end-to-end p99 rise at least four-fold over it.
        self.at(216)
        for key, proxy in (("b", self.proxy_b), ("g", self.proxy_g)):
            case = by_key(key)[0]
            r = case.replicas[0]
            span = f"{int(time.time() - self.t0)}s"
            now = [p.value(f'brokerload:replica_{s}_latency_seconds:p99_5m{{replica="{r}"}}') or 0
                   for s in ("publish", "end_to_end")]
            high = max(p.value(f'max_over_time(brokerload:replica_{s}_latency_seconds:p99_5m'
                               f'{{replica="{r}"}}[{span}])') or 0 for s in ("publish", "end_to_end"))
            proxy.delay = min(DELAY_S[1], max(DELAY_S[0], 1.5 * high))
            case.fault_at = time.time()
            case.notes.append(f"p99 before: publish {now[0] * 1e3:.1f} ms, end-to-end "
                              f"{now[1] * 1e3:.1f} ms, highest so far {high * 1e3:.1f} ms; delay "
                              f"added each way {proxy.delay * 1e3:.0f} ms")
        log("b, g: delay added")

        # a: the clean runs end before Kafka is frozen, a minute after AchievedRateLow's hold-off
        # of a process's first 180 s (so that it is evaluated: rate max must not fire it).
        self.at(240)
        for name in ("a-paced", "a-max"):
            p.set_target("brokerload", name, None)
            i[name].stop()
        log("a: clean runs stopped")

        # c: Kafka frozen (only c-kafka-freeze uses Kafka from now on).
        self.at(245)
        kafka_pid = int(open(os.path.join(self.state_dir, "kafka.pid")).read())
        os.kill(kafka_pid, signal.SIGSTOP)
        self.kafka_frozen = kafka_pid
        by_key("c")[0].fault_at = time.time()
        log(f"c: Kafka (pid {kafka_pid}) stopped")

        self.at(245 + FREEZE_S)
        os.kill(kafka_pid, signal.SIGCONT)
        self.kafka_frozen = None
        resume = time.time()
        log("c: Kafka continued")

        # Until every expected alert fired or its deadline passed, and at least 45 s after SIGCONT
        # (c: no loss after the freeze; loss_grace is 15 s, and the consumer group rejoins).
        seen = set()
        while True:
            waiting = [(c.title, k) for c in cases for k, (name, match) in enumerate(c.expected)
                       if (c.title, k) not in seen and time.time() < c.fault_at + c.deadline_s]
            for c in cases:
                for k, (name, match) in enumerate(c.expected):
                    if (c.title, k) in waiting and self.firing_now(name, **match):
                        seen.add((c.title, k))
            if len(seen) == sum(len(c.expected) for c in cases) or not waiting:
                if time.time() >= resume + 45:
                    break
            time.sleep(1)
        self.verdict(cases)

    def verdict(self, cases):
        p = self.prometheus
        end = time.time()
        start = self.t0 - 10
        # h: the burst's start, as its stage says.
        h = next(c for c in cases if c.key == "h")
        burst = p.value('min_over_time(timestamp(brokerload_stage_info{replica="h-slow-consumer", '
                        f'stage="burst"}} == 1)[{int(end - start)}s:1s])')
        if burst is None:
            fail("h: brokerload_stage_info never showed the burst stage")
        else:
            h.fault_at = burst

        # Every alert series of the run, pending or firing, from the TSDB at every second (a
        # pending state between two polls is there too).
        series = p.api("query_range", query="ALERTS", start=start, end=end, step=1)["data"]["result"]
        owner_by_replica = {r: c for c in cases for r in c.replicas}
        owner_by_prefix = {self.instances[r].prefix: c for c in cases for r in c.replicas}
        owner_by_instance = {}
        for c in cases:
            for r in c.replicas:
                owner_by_instance[self.instances[r].address()] = c
        owner_by_instance[self.g_old] = owner_by_replica["g-restarted"]

        def owner(labels):
            if "replica" in labels:
                return owner_by_replica.get(labels["replica"])
            if "instance" in labels:  # an alert that lost the replica label (reported below)
                return owner_by_instance.get(labels["instance"])
            return owner_by_prefix.get(labels.get("topic", "").rsplit("-", 1)[0])

        fired = {}  # (case title, index of expected) -> first firing time at or after the fault
        for s in series:
            labels = s["metric"]
            name, state = labels["alertname"], labels["alertstate"]
            times = [float(t) for t, _ in s["values"]]
            what = describe(name, labels)
            c = owner(labels)
            if c is None:
                fail(f"an alert of no case: {what} from T+{times[0] - self.t0:.0f} s")
                continue
            if ("instance" in labels or "replica" in labels) and "replica" not in labels:
                fail(f"{name} has no replica label ({what}): the rules identify a replica by "
                     "(job, replica, target)")
            hit = [k for k, (n, m) in enumerate(c.expected) if n == name and matches(labels, m)]
            if hit:
                if c.fault_at is None or times[0] < c.fault_at - 1:
                    fail(f"case {c.key} ({c.title}): {what} from T+{times[0] - self.t0:.0f} s, "
                         "before the fault")
                if state == "firing":
                    for k in hit:
                        after = [t for t in times if c.fault_at is not None and t >= c.fault_at - 1]
                        if after:
                            fired[(c.title, k)] = min(fired.get((c.title, k), after[0]), after[0])
                continue
            if any(n == name and matches(labels, m) for n, m in c.tolerated):
                c.notes.append(f"also (same fault): {what} from T+{times[0] - self.t0:.0f} s")
                continue
            fail(f"case {c.key} ({c.title}): unexpected {what} from T+{times[0] - self.t0:.0f} s")

        self.fired_time = fired
        self.rows = []
        for c in cases:
            if not c.expected:
                self.rows.append((c.key, c.title, "(none)", "nothing pending", "-"))
            for k, (name, match) in enumerate(c.expected):
                label = describe(name, match)
                at = fired.get((c.title, k))
                if at is None:
                    fail(f"case {c.key} ({c.title}): {label} did not fire within {c.deadline_s} s")
                    took = "never"
                else:
                    took = f"{at - c.fault_at:.0f} s"
                    if at - c.fault_at > c.deadline_s:
                        fail(f"case {c.key} ({c.title}): {label} fired after {took}, over {c.deadline_s} s")
                self.rows.append((c.key, c.title, label, f"firing within {c.deadline_s} s", took))
        self.checks(cases)

    def checks(self, cases):
        """The metrics each case is about, beside its alerts."""
        p = self.prometheus
        d = next(c for c in cases if c.key == "d")
        m = self.instances["d-stream-lost"].metrics()
        lost = total(m, "brokerload_messages_lost_total", target="nats")
        late = total(m, "brokerload_messages_arrived_after_loss_total", target="nats")
        d.notes.append(f"brokerload_messages_lost_total {lost:.0f} (expected exactly "
                       f"{d.expected_lost:.0f}), arrived after loss {late:.0f}")
        if lost != d.expected_lost:
            fail(f"d: brokerload_messages_lost_total is {lost:.0f}, expected exactly "
                 f"{d.expected_lost:.0f} (acknowledged and not received at the restart)")

        h = next(c for c in cases if c.key == "h")
        span = f"{int(time.time() - self.t0) + 10}s"
        consumer = p.value(f'max_over_time(brokerload_consumer_backlog_messages{{replica="h-slow-consumer"}}[{span}])')
        # Per topic: their sum at each second, its peak.
        broker = p.value(f'max_over_time(sum(brokerload_broker_backlog_messages{{replica="h-slow-consumer"}})[{span}:1s])')
        lost_h = p.value('sum(brokerload_messages_lost_total{replica="h-slow-consumer"})')
        h.notes.append(f"peak brokerload_consumer_backlog_messages {consumer:.0f}, peak "
                       f"brokerload_broker_backlog_messages {broker:.0f}, "
                       f"brokerload_messages_lost_total {lost_h:.0f}")
        for name, value in (("consumer", consumer), ("broker", broker)):
            if not value or value < 2000:
                fail(f"h: brokerload_{name}_backlog_messages peaked at {value}, expected over 2,000")
        if lost_h != 0:
            fail(f"h: brokerload_messages_lost_total is {lost_h}, expected 0 (a slow consumer is not loss)")

        c = next(c for c in cases if c.key == "c")
        fmt = lambda r: ", ".join(f"{s['metric']['target']} {float(s['value'][1]):.0f}" for s in r)  # noqa: E731
        lost_c = p.query('sum by (target) (brokerload_messages_lost_total{replica="c-kafka-freeze"})')
        errors_c = p.query('sum by (target) (brokerload_publish_errors_total{replica="c-kafka-freeze"})')
        late_c = p.query('sum by (target) (brokerload_messages_delivered_after_error_total{replica="c-kafka-freeze"})')
        c.notes.append(f"after SIGCONT: lost {fmt(lost_c)}; publish errors {fmt(errors_c)}; "
                       f"delivered after error {fmt(late_c)}")
        if len(lost_c) != 2 or any(float(s["value"][1]) != 0 for s in lost_c):
            fail(f"c: brokerload_messages_lost_total {fmt(lost_c)} after the freeze: a paused broker is not loss")

        for key in ("b", "g"):
            case = next(c for c in cases if c.key == key)
            r = case.replicas[0]
            for s in ("publish", "end_to_end"):
                now = p.value(f'brokerload:replica_{s}_latency_seconds:p99_5m{{replica="{r}"}}')
                base = p.value(f'brokerload:replica_{s}_latency_seconds:p99_5m_baseline{{replica="{r}"}}')
                if now is not None and base:
                    case.notes.append(f"at the end: {s} p99 {now * 1e3:.1f} ms against a baseline "
                                      f"of {base * 1e3:.1f} ms ({now / base:.1f}x)")
        g = next(c for c in cases if c.key == "g")
        # The baseline the regression compared with, when it fired: from minutes when only the
        # old process ran, under the same (job, replica, target) as the new one.
        at = self.fired_time.get((g.title, 1))
        if at is not None:
            base = p.api("query", query='brokerload:replica_end_to_end_latency_seconds:p99_5m_baseline'
                         '{replica="g-restarted"}', time=at)["data"]["result"]
            if not base:
                fail("g: no end-to-end baseline for replica g-restarted when its regression fired")
            else:
                g.notes.append(
                    f"when EndToEndP99Regression fired (T+{at - self.t0:.0f} s): baseline "
                    f"{describe('', base[0]['metric'])} = {float(base[0]['value'][1]) * 1e3:.1f} ms, "
                    f"the average of T+{at - self.t0 - 240:.0f}..{at - self.t0 - 180:.0f} s, when only "
                    f"the old process {self.g_old} ran (the new one, {self.g_new}, from T+100 s)")
        instances = p.query('group by (instance) (brokerload_end_to_end_latency_window_seconds{replica="g-restarted"})')
        g.notes.append("its instance at the end: " + ", ".join(s["metric"]["instance"] for s in instances))

        f = next(c for c in cases if c.key == "f")
        default = p.query('up{job="brokerload", replica="f-killed"}')
        f.notes.append(f"the chart's default jobSelector job=\"brokerload\" selects {len(default)} "
                       "series of it; the test's job=~\"brokerload|perf-brokerload\" does")

    def report(self, cases):
        print("\ncase | scenario | alert | expected | time to fire")
        print("---|---|---|---|---")
        for row in getattr(self, "rows", []):
            print(" | ".join(row))
        print()
        for c in cases:
            for note in c.notes:
                print(f"{c.key} ({c.title}): {note}")

    def teardown(self):
        if self.kafka_frozen:
            os.kill(self.kafka_frozen, signal.SIGCONT)
        running = [i for i in self.instances.values() if i.process and i.process.poll() is None]
        for instance in running:  # all at once: each drains for up to 3 s
            instance.process.send_signal(signal.SIGTERM)
        for instance in running:
            try:
                instance.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                print(f"{instance.replica}: still running 30 s after SIGTERM; killed", file=sys.stderr)
                instance.process.kill()
                instance.process.wait()
        if self.private_nats is not None and self.private_nats.poll() is None:
            self.private_nats.send_signal(signal.SIGCONT)
            self.private_nats.terminate()
            try:
                self.private_nats.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.private_nats.kill()
        if self.prometheus is not None:
            self.prometheus.stop()
        try:
            self.delete_streams()
        except (OSError, RuntimeError, ValueError) as e:
            print(f"deleting the test's streams: {e}", file=sys.stderr)
        if self.proxies is not None:
            self.proxies.stop()


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    started = time.time()
    test = AlertsTest(sys.argv[1])
    cases = []
    try:
        test.setup()
        cases = test.cases()
        test.run(cases)
    except Exception as e:  # noqa: BLE001
        import traceback
        traceback.print_exc()
        fail(f"{type(e).__name__}: {e}")
    finally:
        test.teardown()
    test.report(cases)
    print(f"alerts test: {time.time() - started:.0f} s wall time, load average at the end "
          f"{os.getloadavg()[0]:.1f}; files in {test.tmp}")
    if failures:
        print(f"{len(failures)} failure(s):", file=sys.stderr)
        for f in failures:
            print("  " + f, file=sys.stderr)
        return 1
    shutil.rmtree(test.tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
