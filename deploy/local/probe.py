#!/usr/bin/env python3
"""Readiness probes for deploy/local/brokers.sh, using only the standard library.

  probe.py kafka HOST:PORT [N]
                             exits 0 when the broker answers a Metadata request
                             and lists at least N brokers (default 1).
  probe.py kafka-leader HOST:PORT TOPIC PARTITION
                             prints the node id leading that partition.
  probe.py kafka-leader-counts HOST:PORT PREFIX
                             prints one line: the partition count of each topic whose name
                             starts with PREFIX ("partitions=3,3"), then for every broker the
                             metadata lists how many of those partitions it leads ("1=2 2=2 3=2").
  probe.py kafka-end-offsets HOST:PORT PREFIX
                             prints one line: for every broker leading a partition of the topics
                             whose names start with PREFIX, the sum of those partitions' end
                             offsets ("1=1200 2=800 3=1000"): the messages stored in a fresh
                             topic, by leader.
  probe.py kafka-partition-ends HOST:PORT PREFIX
                             prints one line: for every partition number, the sum of its end
                             offsets over the topics whose names start with PREFIX ("0=12 1=80"):
                             the messages stored in each partition of a fresh topic.
  probe.py kafka-delete-records HOST:PORT TOPIC PARTITION
                             deletes the partition's records up to its end (DeleteRecords at its
                             leader) and prints one line: its leader and how many records were
                             deleted ("leader=2 deleted=412"): a loss Kafka made, of a known size.
  probe.py kafka-coordinator HOST:PORT GROUP
                             prints the node id of the group's coordinator, as Kafka's
                             FindCoordinator (v1) answers.
  probe.py kafka-committed HOST:PORT GROUP PREFIX
                             prints one line: the sum of the offsets GROUP has committed over
                             every partition of the topics whose names start with PREFIX, and
                             how many of those partitions have none ("committed=1200 unset=0"),
                             as the group's coordinator answers OffsetFetch (v1).
  probe.py nats HOST:PORT    exits 0 when JetStream answers $JS.API.INFO
                             (account info) with no error.
  probe.py nats-info HOST:PORT
                             exits 0 when a NATS server greets with INFO (for the
                             secured servers, whose TLS and credentials the
                             brokerload tests exercise themselves).
  probe.py nats-server-name HOST:PORT
                             prints the server_name the server announces in its INFO line.
  probe.py nats-stream-leader HOST:PORT STREAM
                             prints the name of the server leading that stream.
  probe.py nats-stream-state HOST:PORT STREAM
                             prints one line: the server leading the stream (empty while it
                             elects one) and the messages it holds ("leader=n2 messages=1200").
  probe.py nats-stream-stepdown HOST:PORT STREAM
                             asks the stream's leader to step down
                             ($JS.API.STREAM.LEADER.STEPDOWN); exits 0 when JetStream agreed.
  probe.py nats-pending HOST:PORT STREAM
                             prints how many of the stream's messages its one consumer
                             has not delivered yet (num_pending).
  probe.py nats-times HOST:PORT STREAM
                             prints the time the server stored each of the stream's messages,
                             in nanoseconds since the epoch, one a line, in sequence order.
  probe.py nats-sizes HOST:PORT STREAM
                             prints the size in bytes of each of the stream's messages'
                             payloads, one a line, in sequence order.
  probe.py nats-stream-bytes HOST:PORT STREAM
                             prints "bytes=B messages=M": the stream's state as the server
                             reports it (bytes before any compression of its files).
  probe.py nats-version HOST:PORT
                             prints the server's version from its INFO line.
  probe.py nats-payloads HOST:PORT STREAM
                             prints each of the stream's messages' payloads in hex, one a line,
                             in sequence order.
  probe.py kafka-values HOST:PORT TOPIC
                             prints "PARTITION OFFSET VALUE" for every record the topic holds
                             (Fetch v4 at each partition's leader; the value in hex; uncompressed
                             batches only), in partition then offset order.
  probe.py kafka-records HOST:PORT TOPIC
                             as kafka-values ("-" for an empty value), each line followed by
                             " KEY=VALUE" for each of the record's headers (the value in hex).
  probe.py nats-records HOST:PORT STREAM
                             as nats-payloads ("-" for an empty payload), each line followed by
                             " NAME=VALUE" for each of the message's headers (the value's text in
                             hex).
  probe.py kafka-log-bytes HOST:PORT PREFIX
                             prints one line: the bytes the brokers' log directories hold for
                             the topics whose names start with PREFIX, over every replica, and
                             how many partitions ("bytes=81920 partitions=1"; DescribeLogDirs v1).
  probe.py kafka-topics HOST:PORT PREFIX
                             prints the topics whose names start with PREFIX, one a line.
  probe.py nats-streams HOST:PORT PREFIX
                             prints the JetStream streams whose names start with PREFIX.
  probe.py uuid              prints a random Kafka cluster id (22 chars base64url, never starting with -).
"""
import base64
import datetime
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


def kafka_metadata(address, topics):
    """Metadata v0 for `topics` (all topics when empty): (brokers, topics) as parsed."""
    client_id = b"brokerload-probe"
    correlation_id = 7
    body = struct.pack(">hhih", 3, 0, correlation_id, len(client_id)) + client_id
    body += struct.pack(">i", len(topics))
    for topic in topics:
        body += struct.pack(">h", len(topic)) + topic.encode()
    with socket.create_connection(split_address(address), timeout=TIMEOUT_S) as sock:
        sock.sendall(struct.pack(">i", len(body)) + body)
        (size,) = struct.unpack(">i", read_exact(sock, 4))
        reply = read_exact(sock, size)
    at = 0

    def take(fmt):
        nonlocal at
        values = struct.unpack_from(fmt, reply, at)
        at += struct.calcsize(fmt)
        return values if len(values) > 1 else values[0]

    def string():
        nonlocal at
        n = take(">h")
        at += n
        return reply[at - n:at].decode()

    if take(">i") != correlation_id:
        raise ValueError("wrong correlation id")
    brokers = []
    for _ in range(take(">i")):
        brokers.append((take(">i"), string(), take(">i")))
    parsed = {}
    for _ in range(take(">i")):
        error, name = take(">h"), string()
        partitions = {}
        for _ in range(take(">i")):
            p_error, partition, leader = take(">hii")
            replicas = [take(">i") for _ in range(take(">i"))]
            isr = [take(">i") for _ in range(take(">i"))]
            partitions[partition] = (p_error, leader, replicas, isr)
        parsed[name] = (error, partitions)
    return brokers, parsed


def probe_kafka(address, min_brokers="1"):
    brokers, _ = kafka_metadata(address, [])
    if len(brokers) < int(min_brokers):
        raise ValueError(f"metadata lists {len(brokers)} broker(s), expected {min_brokers}")


def kafka_leader(address, topic, partition):
    _, topics = kafka_metadata(address, [topic])
    error, partitions = topics.get(topic, (3, {}))
    if error or int(partition) not in partitions:
        raise ValueError(f"topic {topic}: error {error}")
    p_error, leader, _, _ = partitions[int(partition)]
    if p_error or leader < 0:
        raise ValueError(f"{topic}/{partition}: error {p_error}, leader {leader}")
    print(leader)


def kafka_leader_counts(address, prefix):
    brokers, topics = kafka_metadata(address, [])
    led = {node: 0 for node, _, _ in brokers}
    sizes = []
    for name in sorted(t for t in topics if t.startswith(prefix)):
        error, partitions = topics[name]
        if error:
            raise ValueError(f"topic {name}: error {error}")
        sizes.append(str(len(partitions)))
        for _, leader, _, _ in partitions.values():
            if leader >= 0:
                led[leader] = led.get(leader, 0) + 1
    if not sizes:
        raise ValueError(f"no topic starts with {prefix}")
    print("partitions=" + ",".join(sizes) + "".join(f" {b}={n}" for b, n in sorted(led.items())))


def kafka_request(address, api_key, version, body):
    """One request of `api_key` at `version` to `address`: the reply after its correlation id."""
    client_id = b"brokerload-probe"
    correlation_id = 9
    head = struct.pack(">hhih", api_key, version, correlation_id, len(client_id)) + client_id
    with socket.create_connection(split_address(address), timeout=TIMEOUT_S) as sock:
        sock.sendall(struct.pack(">i", len(head) + len(body)) + head + body)
        (size,) = struct.unpack(">i", read_exact(sock, 4))
        reply = read_exact(sock, size)
    if struct.unpack_from(">i", reply)[0] != correlation_id:
        raise ValueError("wrong correlation id")
    return reply[4:]


def end_offsets(address, prefix):
    """{(leader, topic, partition): end offset} of the topics whose names start with prefix."""
    brokers, topics = kafka_metadata(address, [])
    hosts = {node: f"{host}:{port}" for node, host, port in brokers}
    by_leader = {}  # leader -> {topic: [partitions]}
    for name in sorted(t for t in topics if t.startswith(prefix)):
        error, partitions = topics[name]
        if error:
            raise ValueError(f"topic {name}: error {error}")
        for partition, (p_error, leader, _, _) in partitions.items():
            if p_error or leader < 0:
                raise ValueError(f"{name}/{partition}: error {p_error}, leader {leader}")
            by_leader.setdefault(leader, {}).setdefault(name, []).append(partition)
    if not by_leader:
        raise ValueError(f"no topic starts with {prefix}")
    ends = {}
    for leader, wanted in sorted(by_leader.items()):
        # ListOffsets v1: replica -1, each partition at timestamp -1 (the end).
        body = struct.pack(">ii", -1, len(wanted))
        for name, partitions in wanted.items():
            body += struct.pack(">h", len(name)) + name.encode() + struct.pack(">i", len(partitions))
            for partition in partitions:
                body += struct.pack(">iq", partition, -1)
        reply = kafka_request(hosts[leader], 2, 1, body)
        at = 0
        (count,) = struct.unpack_from(">i", reply, at)
        at += 4
        for _ in range(count):
            (n,) = struct.unpack_from(">h", reply, at)
            name = reply[at + 2:at + 2 + n].decode()
            at += 2 + n
            (partitions,) = struct.unpack_from(">i", reply, at)
            at += 4
            for _ in range(partitions):
                partition, error, _, offset = struct.unpack_from(">ihqq", reply, at)
                at += 22
                if error:
                    raise ValueError(f"{name}/{partition}: ListOffsets error {error}")
                ends[leader, name, partition] = offset
    return ends


def kafka_end_offsets(address, prefix):
    ends = {}
    for (leader, _, _), offset in end_offsets(address, prefix).items():
        ends[leader] = ends.get(leader, 0) + offset
    print(" ".join(f"{b}={n}" for b, n in sorted(ends.items())))


def kafka_partition_ends(address, prefix):
    ends = {}
    for (_, _, partition), offset in end_offsets(address, prefix).items():
        ends[partition] = ends.get(partition, 0) + offset
    print(" ".join(f"{p}={n}" for p, n in sorted(ends.items())))


def varint(data, at):
    """A zig-zag varint (Kafka's record fields) at `at`: (value, next position)."""
    shift = result = 0
    while True:
        byte = data[at]
        at += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return (result >> 1) ^ -(result & 1), at
        shift += 7


def record_values(records, partition, with_headers=False):
    """(offset, value) of each record in a Fetch answer's record batches (v2, uncompressed);
    (offset, value, [(header key, header value), ...]) `with_headers`."""
    at = 0
    while at + 61 <= len(records):
        base_offset, length = struct.unpack_from(">qi", records, at)
        end = at + 12 + length
        if end > len(records):
            break  # a batch cut at the answer's size limit: fetched again from its offset
        attributes = struct.unpack_from(">h", records, at + 21)[0]
        if records[at + 16] != 2:
            raise ValueError(f"partition {partition}: record batch magic {records[at + 16]}")
        if attributes & 0x07:
            raise ValueError(f"partition {partition}: a compressed batch (codec "
                             f"{attributes & 0x07}), which this probe does not decode")
        count = struct.unpack_from(">i", records, at + 57)[0]
        pos = at + 61
        for _ in range(count):
            size, pos = varint(records, pos)
            record_end = pos + size
            pos += 1  # attributes
            _, pos = varint(records, pos)  # timestamp delta
            delta, pos = varint(records, pos)
            key_length, pos = varint(records, pos)
            pos += max(key_length, 0)
            value_length, pos = varint(records, pos)
            value = records[pos:pos + value_length] if value_length >= 0 else b""
            pos += max(value_length, 0)
            headers = []
            count_headers, pos = varint(records, pos)
            for _ in range(count_headers):
                key_length, pos = varint(records, pos)
                name = records[pos:pos + key_length].decode()
                pos += key_length
                header_length, pos = varint(records, pos)
                headers.append((name, records[pos:pos + max(header_length, 0)]))
                pos += max(header_length, 0)
            if not attributes & 0x20:  # not a control batch
                yield (base_offset + delta, value) + ((headers,) if with_headers else ())
            pos = record_end
        at = end


def kafka_values(address, topic, with_headers=False):
    """Each record of `topic`: "partition offset value-hex", and with_headers " key=value-hex"
    for each of its headers."""
    brokers, topics = kafka_metadata(address, [topic])
    hosts = {node: f"{host}:{port}" for node, host, port in brokers}
    error, partitions = topics.get(topic, (3, {}))
    if error:
        raise ValueError(f"topic {topic}: error {error}")
    for partition, (_, leader, _, _) in sorted(partitions.items()):
        end = kafka_partition_offset(hosts[leader], topic, partition, -1)
        offset = kafka_partition_offset(hosts[leader], topic, partition, -2)
        while offset < end:
            # Fetch v4: replica -1, no wait, up to 8 MiB from `offset`, read uncommitted.
            body = struct.pack(">iiiib", -1, 0, 0, 8 << 20, 0) + struct.pack(">i", 1)
            body += struct.pack(">h", len(topic)) + topic.encode()
            body += struct.pack(">iiqi", 1, partition, offset, 8 << 20)
            reply = kafka_request(hosts[leader], 1, 4, body)
            at = 4 + 4  # throttle time, topic count
            (n,) = struct.unpack_from(">h", reply, at)
            at += 2 + n + 4  # the topic, its partition count
            _, p_error, _, _ = struct.unpack_from(">ihqq", reply, at)
            at += 22
            if p_error:
                raise ValueError(f"{topic}/{partition}: Fetch error {p_error}")
            (aborted,) = struct.unpack_from(">i", reply, at)
            at += 4 + 16 * max(aborted, 0)
            (size,) = struct.unpack_from(">i", reply, at)
            got = 0
            for record_offset, value, *headers in record_values(
                    reply[at + 4:at + 4 + max(size, 0)], partition, with_headers):
                if record_offset >= offset:
                    print(partition, record_offset, value.hex() or ("-" if headers else ""),
                          *(f"{key}={v.hex()}" for key, v in (headers[0] if headers else [])))
                    offset = record_offset + 1
                    got += 1
            if not got:
                raise ValueError(f"{topic}/{partition}: no record at offset {offset} of {end}")


def kafka_log_bytes(address, prefix):
    """The bytes every broker's log directories hold for the topics whose names start with
    prefix (DescribeLogDirs v1 at each broker, every replica), and how many partitions."""
    brokers, _ = kafka_metadata(address, [])
    total = partitions = 0
    for _, host, port in brokers:
        reply = kafka_request(f"{host}:{port}", 35, 1, struct.pack(">i", -1))  # every topic
        at = 4  # throttle time
        (dirs,) = struct.unpack_from(">i", reply, at)
        at += 4
        for _ in range(dirs):
            error, n = struct.unpack_from(">hh", reply, at)
            at += 4 + n
            if error:
                raise ValueError(f"DescribeLogDirs error {error}")
            (topics,) = struct.unpack_from(">i", reply, at)
            at += 4
            for _ in range(topics):
                (n,) = struct.unpack_from(">h", reply, at)
                name = reply[at + 2:at + 2 + n].decode()
                at += 2 + n
                (count,) = struct.unpack_from(">i", reply, at)
                at += 4
                for _ in range(count):
                    _, size, _, _ = struct.unpack_from(">iqq?", reply, at)
                    at += 21
                    if name.startswith(prefix):
                        total += size
                        partitions += 1
    if not partitions:
        raise ValueError(f"no log directory holds a topic starting with {prefix}")
    print(f"bytes={total} partitions={partitions}")


def kafka_partition_offset(address, topic, partition, timestamp):
    """ListOffsets v1 at the partition's leader: its end (-1) or its first offset (-2)."""
    body = struct.pack(">ii", -1, 1) + struct.pack(">h", len(topic)) + topic.encode()
    body += struct.pack(">iiq", 1, partition, timestamp)
    reply = kafka_request(address, 2, 1, body)
    at = 4 + 2 + len(topic) + 4  # topic count, name, partition count
    _, error, _, offset = struct.unpack_from(">ihqq", reply, at)
    if error:
        raise ValueError(f"{topic}/{partition}: ListOffsets error {error}")
    return offset


def kafka_delete_records(address, topic, partition):
    brokers, topics = kafka_metadata(address, [topic])
    hosts = {node: f"{host}:{port}" for node, host, port in brokers}
    error, partitions = topics.get(topic, (3, {}))
    partition = int(partition)
    if error or partition not in partitions:
        raise ValueError(f"topic {topic}: error {error}")
    _, leader, _, _ = partitions[partition]
    first = kafka_partition_offset(hosts[leader], topic, partition, -2)
    end = kafka_partition_offset(hosts[leader], topic, partition, -1)
    # DeleteRecords v1: the partition up to `end`, 10 s for the replicas to follow.
    body = struct.pack(">i", 1) + struct.pack(">h", len(topic)) + topic.encode()
    body += struct.pack(">iiqi", 1, partition, end, 10_000)
    reply = kafka_request(hosts[leader], 21, 1, body)
    at = 4 + 4 + 2 + len(topic) + 4  # throttle, topic count, name, partition count
    _, low_watermark, error = struct.unpack_from(">iqh", reply, at)
    if error or low_watermark != end:
        raise ValueError(f"{topic}/{partition}: DeleteRecords error {error}, "
                         f"low watermark {low_watermark} for {end}")
    print(f"leader={leader} deleted={end - first}")
def find_coordinator(address, group):
    """FindCoordinator v1 (Kafka 4 serves v1 and later) for `group`: (node id, host:port)."""
    reply = kafka_request(address, 10, 1, struct.pack(">h", len(group)) + group.encode() + b"\0")
    _, error, n = struct.unpack_from(">ihh", reply, 0)  # throttle, error, message (-1: null)
    at = 8 + max(n, 0)
    (node,) = struct.unpack_from(">i", reply, at)
    (n,) = struct.unpack_from(">h", reply, at + 4)
    host = reply[at + 6:at + 6 + n].decode()
    (port,) = struct.unpack_from(">i", reply, at + 6 + n)
    if error:
        raise ValueError(f"group {group}: FindCoordinator error {error}")
    return node, f"{host}:{port}"


def kafka_coordinator(address, group):
    print(find_coordinator(address, group)[0])


def kafka_committed(address, group, prefix):
    _, topics = kafka_metadata(address, [])
    wanted = {name: sorted(topics[name][1]) for name in topics if name.startswith(prefix)}
    if not wanted:
        raise ValueError(f"no topic starts with {prefix}")
    # OffsetFetch v1 at the coordinator: the group, each topic with its partitions.
    body = struct.pack(">h", len(group)) + group.encode() + struct.pack(">i", len(wanted))
    for name, partitions in sorted(wanted.items()):
        body += struct.pack(">h", len(name)) + name.encode() + struct.pack(">i", len(partitions))
        body += b"".join(struct.pack(">i", p) for p in partitions)
    reply = kafka_request(find_coordinator(address, group)[1], 9, 1, body)
    at = 0
    (count,) = struct.unpack_from(">i", reply, at)
    at += 4
    total = unset = 0
    for _ in range(count):
        (n,) = struct.unpack_from(">h", reply, at)
        name = reply[at + 2:at + 2 + n].decode()
        at += 2 + n
        (partitions,) = struct.unpack_from(">i", reply, at)
        at += 4
        for _ in range(partitions):
            partition, offset = struct.unpack_from(">iq", reply, at)
            at += 12
            (m,) = struct.unpack_from(">h", reply, at)
            at += 2 + max(m, 0)
            (error,) = struct.unpack_from(">h", reply, at)
            at += 2
            if error:
                raise ValueError(f"{name}/{partition}: OffsetFetch error {error}")
            if offset < 0:
                unset += 1
            else:
                total += offset
    print(f"committed={total} unset={unset}")


def kafka_topics(address, prefix):
    _, topics = kafka_metadata(address, [])
    for name in sorted(topics):
        if name.startswith(prefix):
            print(name)


def nats_replies(sock, reader):
    """Yields (reply subject, JSON body) for each MSG on a raw connection, answering PINGs."""
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
            yield line.split()[1].decode(), json.loads(reader.read(size + 2)[:size])


def nats_request(address, subject, payload=b"", timeout=TIMEOUT_S):
    """One request to a NATS server over a raw connection; the reply's JSON."""
    with socket.create_connection(split_address(address), timeout=timeout) as sock:
        reader = sock.makefile("rb")
        info = reader.readline()
        if not info.startswith(b"INFO "):
            raise ValueError(f"unexpected greeting {info[:40]!r}")
        sock.sendall(b'CONNECT {"verbose":false,"pedantic":false}\r\n'
                     b"SUB _INBOX.probe 1\r\n" +
                     f"PUB {subject} _INBOX.probe {len(payload)}\r\n".encode() + payload +
                     b"\r\n")
        for _, reply in nats_replies(sock, reader):
            if "error" in reply:
                raise ValueError(f"JetStream: {reply['error']}")
            return reply


def nats_streams(address, prefix):
    reply = nats_request(address, "$JS.API.STREAM.NAMES")
    for name in sorted(reply.get("streams") or []):
        if name.startswith(prefix):
            print(name)


def probe_nats(address):
    nats_request(address, "$JS.API.INFO")


def nats_stream_leader(address, stream):
    leader = nats_request(address, f"$JS.API.STREAM.INFO.{stream}").get("cluster", {}).get("leader")
    if not leader:
        raise ValueError(f"stream {stream} has no leader")
    print(leader)


def nats_stream_state(address, stream):
    # 1 s: asked in a loop while the stream elects a leader, when no server may answer.
    info = nats_request(address, f"$JS.API.STREAM.INFO.{stream}", timeout=1.0)
    leader = info.get("cluster", {}).get("leader") or ""
    print(f"leader={leader} messages={info['state']['messages']}")


def nats_stream_bytes(address, stream):
    state = nats_request(address, f"$JS.API.STREAM.INFO.{stream}")["state"]
    print(f"bytes={state['bytes']} messages={state['messages']}")


def nats_version(address):
    print(nats_info(address)["version"])


def nats_stream_stepdown(address, stream):
    if not nats_request(address, f"$JS.API.STREAM.LEADER.STEPDOWN.{stream}").get("success"):
        raise ValueError(f"stream {stream}: the step-down was not done")


def nats_pending(address, stream):
    consumers = nats_request(address, f"$JS.API.CONSUMER.LIST.{stream}").get("consumers") or []
    if len(consumers) != 1:
        raise ValueError(f"stream {stream} has {len(consumers)} consumers, expected one")
    print(consumers[0]["num_pending"])


def stored_ns(rfc3339):
    """'2026-12-06T21:30:00.123456789Z' (JetStream's message time) in ns since the epoch."""
    seconds, _, fraction = rfc3339.rstrip("Z").partition(".")
    whole = datetime.datetime.strptime(seconds, "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc)
    return int(whole.timestamp()) * 1_000_000_000 + int((fraction + "000000000")[:9])


def nats_messages(address, stream):
    """Every message the stream holds, as $JS.API.STREAM.MSG.GET answers it, in sequence order."""
    last = nats_request(address, f"$JS.API.STREAM.INFO.{stream}")["state"]["last_seq"]
    # One connection, every request sent at once, each with a reply subject of its own.
    with socket.create_connection(split_address(address), timeout=TIMEOUT_S) as sock:
        reader = sock.makefile("rb")
        if not reader.readline().startswith(b"INFO "):
            raise ValueError("unexpected greeting")
        requests = [b'CONNECT {"verbose":false,"pedantic":false}\r\nSUB _INBOX.get.* 1\r\n']
        for seq in range(1, last + 1):
            body = json.dumps({"seq": seq}).encode()
            requests.append(f"PUB $JS.API.STREAM.MSG.GET.{stream} _INBOX.get.{seq} "
                            f"{len(body)}\r\n".encode() + body + b"\r\n")
        sock.sendall(b"".join(requests))
        messages = {}
        for subject, reply in nats_replies(sock, reader) if last else ():
            seq = int(subject.rsplit(".", 1)[1])
            if "error" in reply:
                raise ValueError(f"JetStream: message {seq}: {reply['error']}")
            messages[seq] = reply["message"]
            if len(messages) == last:
                break
    return [messages[seq] for seq in range(1, last + 1)]


def nats_times(address, stream):
    for message in nats_messages(address, stream):
        print(stored_ns(message["time"]))


def nats_sizes(address, stream):
    for message in nats_messages(address, stream):
        print(len(base64.b64decode(message.get("data") or "")))


def nats_payloads(address, stream):
    for message in nats_messages(address, stream):
        print(base64.b64decode(message.get("data") or "").hex())


def kafka_records(address, topic):
    kafka_values(address, topic, True)


def nats_records(address, stream):
    """Each message: "payload-hex", then " name=value-hex" for each header of its NATS/1.0 block."""
    for message in nats_messages(address, stream):
        fields = [base64.b64decode(message.get("data") or "").hex() or "-"]
        block = base64.b64decode(message.get("hdrs") or "").decode()
        for line in block.split("\r\n")[1:]:
            if line:
                name, value = line.split(":", 1)
                fields.append(f"{name}={value.strip().encode().hex()}")
        print(*fields)


def probe_nats_info(address):
    with socket.create_connection(split_address(address), timeout=TIMEOUT_S) as sock:
        info = sock.makefile("rb").readline()
        if not info.startswith(b"INFO "):
            raise ValueError(f"unexpected greeting {info[:40]!r}")


def nats_info(address):
    """The server's INFO line, parsed."""
    with socket.create_connection(split_address(address), timeout=TIMEOUT_S) as sock:
        info = sock.makefile("rb").readline()
    if not info.startswith(b"INFO "):
        raise ValueError(f"unexpected greeting {info[:40]!r}")
    return json.loads(info[5:])


def nats_server_name(address):
    print(nats_info(address)["server_name"])


def main(argv):
    if len(argv) == 2 and argv[1] == "uuid":
        # One starting with "-" would be read as an option by Kafka's storage tool (Kafka's own
        # Uuid.randomUuid() skips those too).
        while True:
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            if not cluster_id.startswith("-"):
                print(cluster_id)
                return 0
    commands = {"kafka": (probe_kafka, 1, 2), "kafka-leader": (kafka_leader, 3, 3),
                "nats": (probe_nats, 1, 1), "nats-info": (probe_nats_info, 1, 1),
                "nats-stream-leader": (nats_stream_leader, 2, 2),
                "nats-stream-state": (nats_stream_state, 2, 2),
                "nats-stream-bytes": (nats_stream_bytes, 2, 2),
                "nats-version": (nats_version, 1, 1),
                "nats-stream-stepdown": (nats_stream_stepdown, 2, 2),
                "nats-pending": (nats_pending, 2, 2), "nats-times": (nats_times, 2, 2),
                "nats-sizes": (nats_sizes, 2, 2), "nats-payloads": (nats_payloads, 2, 2),
                "kafka-values": (kafka_values, 2, 2), "kafka-records": (kafka_records, 2, 2),
                "nats-records": (nats_records, 2, 2), "kafka-log-bytes": (kafka_log_bytes, 2, 2),
                "kafka-topics": (kafka_topics, 2, 2), "nats-streams": (nats_streams, 2, 2),
                "kafka-leader-counts": (kafka_leader_counts, 2, 2),
                "kafka-end-offsets": (kafka_end_offsets, 2, 2),
                "kafka-partition-ends": (kafka_partition_ends, 2, 2),
                "kafka-delete-records": (kafka_delete_records, 3, 3),
                "kafka-coordinator": (kafka_coordinator, 2, 2),
                "kafka-committed": (kafka_committed, 3, 3),
                "nats-server-name": (nats_server_name, 1, 1)}
    command = commands.get(argv[1] if len(argv) > 1 else "")
    if not command or not command[1] <= len(argv) - 2 <= command[2]:
        print(__doc__, file=sys.stderr)
        return 64
    try:
        command[0](*argv[2:])
    except (OSError, ValueError, struct.error) as error:
        print(f"{argv[1]} at {argv[2]}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
