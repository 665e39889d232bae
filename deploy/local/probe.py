#!/usr/bin/env python3
"""Readiness probes for deploy/local/brokers.sh, using only the standard library.

  probe.py kafka HOST:PORT   exits 0 when the broker answers a Metadata request
                             and lists at least one broker.
  probe.py nats HOST:PORT    exits 0 when JetStream answers $JS.API.INFO
                             (account info) with no error.
  probe.py nats-info HOST:PORT
                             exits 0 when a NATS server greets with INFO (for the
                             secured servers, whose TLS and credentials the
                             brokerload tests exercise themselves).
  probe.py uuid              prints a random Kafka cluster id (22 chars base64url, never starting with -).
"""
import base64
import json
import socket
import struct
import sys
import uuid

TIMEOUT_S = 3.0


def split_address(address):
    host, _, port = address.rpartition(":")
    return host or "127.0.0.1", int(port)


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("connection closed")
        data += chunk
    return data


def probe_kafka(address):
    # Metadata v0 with an empty topic list: the reply carries the broker list.
    client_id = b"brokerload-probe"
    correlation_id = 7
    body = struct.pack(">hhih", 3, 0, correlation_id, len(client_id)) + client_id
    body += struct.pack(">i", 0)
    with socket.create_connection(split_address(address), timeout=TIMEOUT_S) as sock:
        sock.sendall(struct.pack(">i", len(body)) + body)
        (size,) = struct.unpack(">i", read_exact(sock, 4))
        reply = read_exact(sock, size)
    got_id, broker_count = struct.unpack(">ii", reply[:8])
    if got_id != correlation_id:
        raise ValueError(f"correlation id {got_id}, expected {correlation_id}")
    if broker_count < 1:
        raise ValueError("metadata lists no broker yet")


def probe_nats(address):
    with socket.create_connection(split_address(address), timeout=TIMEOUT_S) as sock:
        reader = sock.makefile("rb")
        info = reader.readline()
        if not info.startswith(b"INFO "):
            raise ValueError(f"unexpected greeting {info[:40]!r}")
        sock.sendall(b'CONNECT {"verbose":false,"pedantic":false}\r\n'
                     b"SUB _INBOX.probe 1\r\n"
                     b"PUB $JS.API.INFO _INBOX.probe 0\r\n\r\n")
        while True:
            line = reader.readline()
            if not line:
                raise ConnectionError("connection closed")
            if line.startswith(b"PING"):
                sock.sendall(b"PONG\r\n")
            elif line.startswith(b"-ERR"):
                raise ValueError(line.decode().strip())
            elif line.startswith(b"MSG "):
                size = int(line.split()[-1])
                payload = json.loads(reader.read(size + 2)[:size])
                if "error" in payload:
                    raise ValueError(f"JetStream: {payload['error']}")
                return


def probe_nats_info(address):
    with socket.create_connection(split_address(address), timeout=TIMEOUT_S) as sock:
        info = sock.makefile("rb").readline()
        if not info.startswith(b"INFO "):
            raise ValueError(f"unexpected greeting {info[:40]!r}")


def main(argv):
    if len(argv) == 2 and argv[1] == "uuid":
        # One starting with "-" would be read as an option by Kafka's storage tool (Kafka's own
        # Uuid.randomUuid() skips those too).
        while True:
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            if not cluster_id.startswith("-"):
                print(cluster_id)
                return 0
    if len(argv) != 3 or argv[1] not in ("kafka", "nats", "nats-info"):
        print(__doc__, file=sys.stderr)
        return 64
    try:
        probes = {"kafka": probe_kafka, "nats": probe_nats, "nats-info": probe_nats_info}
        probes[argv[1]](argv[2])
    except (OSError, ValueError, struct.error) as error:
        print(f"{argv[1]} at {argv[2]}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
