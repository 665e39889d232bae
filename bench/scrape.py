"""What bench/run.py and bench/send_lag.py share: the local brokers' addresses, a free port, and
reading brokerload's /metrics (the Prometheus text format, parsed just enough for these scripts)."""

import os
import re
import socket
import time
import urllib.request

STATE = os.environ.get("BROKERLOAD_BROKERS_DIR", "/tmp/brokerload-brokers")


def broker_env():
    """The addresses deploy/local/brokers.sh wrote (KAFKA_BOOTSTRAP, NATS_URL)."""
    env = {}
    with open(os.path.join(STATE, "env")) as f:
        for line in f:
            key, _, value = line.strip().partition("=")
            env[key] = value
    return env


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port, timeout=10):
    """Every sample of one scrape as (name, labels, value)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=timeout) as r:
        text = r.read().decode()
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([a-zA-Z_:]+)(\{[^}]*\})? (\S+)", line)
        if m:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
            samples.append((m.group(1), labels, float(m.group(3))))
    return samples


def total(samples, name, **labels):
    """The sum of `name` over the samples whose labels include `labels`."""
    return sum(v for n, l, v in samples
               if n == name and all(l.get(k) == x for k, x in labels.items()))


def buckets(samples, name, **labels):
    """Cumulative counts by upper bound, summed over the other labels."""
    by_le = {}
    for n, l, v in samples:
        if n == name + "_bucket" and all(l.get(k) == x for k, x in labels.items()):
            le = float("inf") if l["le"] == "+Inf" else float(l["le"])
            by_le[le] = by_le.get(le, 0) + v
    return sorted(by_le.items())


def quantile(before, after, q):
    """Quantile q of the observations between two scrapes, interpolated within its bucket."""
    old = dict(before)
    delta = [(le, c - old.get(le, 0)) for le, c in after]
    count = delta[-1][1] if delta else 0
    if count <= 0:
        return None
    rank, low, below = q * count, 0.0, 0
    for le, cumulative in delta:
        if cumulative >= rank:
            if le == float("inf"):
                return le
            inside = cumulative - below
            return low + (le - low) * ((rank - below) / inside if inside else 1)
        low, below = le, cumulative
    return float("inf")


def wait_ready(port, seconds=90):
    """Waits up to `seconds` for brokerload's /readyz to answer 200; True when it did."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False
