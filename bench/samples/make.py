#!/usr/bin/env python3
"""Writes the sample sets bench/compression.py measures codecs on, newline-delimited (one message a
line: brokerload's workload.payload samples and kafka-producer-perf-test's --payload-file alike).
The same files on every machine: seeded, no download.

  events.jsonl  2,000 JSON events of a web service (timestamp, request id, method, path, status,
                latency, user agent, a few nested fields): structured, repetitive keys, varied
                values; 270-460 bytes, 329 on average.
  text.txt      the paragraphs of the GNU GPL 3 text Debian ships (/usr/share/common-licenses),
                one a line, empty lines skipped: English prose.
  random.b64    2,000 lines of 300 random bytes in base64 (400 bytes): the incompressible end.

usage: bench/samples/make.py OUT_DIR
"""
import base64
import json
import os
import random
import sys

PATHS = ["/api/v2/orders", "/api/v2/orders/{id}", "/api/v2/users/{id}", "/api/v2/cart/items",
         "/health", "/api/v2/search", "/static/app.js", "/api/v2/payments/{id}/capture"]
AGENTS = ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0",
          "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
          "curl/8.5.0", "okhttp/4.12.0", "Go-http-client/2.0"]


def events(path, rng):
    with open(path, "w") as out:
        for i in range(2000):
            status = rng.choices([200, 201, 204, 304, 400, 404, 500, 503], [70, 8, 4, 6, 4, 4, 2, 2])[0]
            route = rng.choice(PATHS)
            event = {
                "ts": f"2026-12-07T10:{i // 60 % 60:02d}:{i % 60:02d}.{rng.randrange(1000):03d}Z",
                "request_id": f"{rng.getrandbits(64):016x}",
                "method": rng.choice(["GET", "GET", "GET", "POST", "PUT", "DELETE"]),
                "path": route.replace("{id}", str(rng.randrange(1, 10**6))),
                "route": route,
                "status": status,
                "latency_ms": round(rng.lognormvariate(3, 0.8), 2),
                "bytes": rng.randrange(200, 50_000),
                "client": {"ip": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}",
                           "agent": rng.choice(AGENTS)},
                "service": {"name": "checkout", "version": "4.12.3", "zone": rng.choice("abc")},
            }
            if status >= 500:
                event["error"] = {"kind": "UpstreamTimeout", "upstream": "payments:8443"}
            out.write(json.dumps(event, separators=(",", ":")) + "\n")


def text(path):
    with open("/usr/share/common-licenses/GPL-3") as source, open(path, "w") as out:
        paragraph = []
        for line in source.read().splitlines() + [""]:
            if line.strip():
                paragraph.append(line.strip())
            elif paragraph:
                out.write(" ".join(paragraph) + "\n")
                paragraph = []


def random_lines(path, rng):
    with open(path, "w") as out:
        for _ in range(2000):
            out.write(base64.b64encode(rng.randbytes(300)).decode() + "\n")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    events(os.path.join(out, "events.jsonl"), random.Random(7))
    text(os.path.join(out, "text.txt"))
    random_lines(os.path.join(out, "random.b64"), random.Random(11))


if __name__ == "__main__":
    main()
