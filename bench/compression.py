#!/usr/bin/env python3
"""What Kafka's compression.type does to real payloads, measured by brokerload and checked
against the broker.

For each sample set (bench/samples/make.py: JSON events, English text, random base64), each
codec (none, gzip, snappy, lz4, zstd) and each linger.ms (1, brokerload's default, and 20: the
batch is what a codec compresses) it runs brokerload against the local Kafka alone with
`payload: {samples: FILE}` and `producer: {compression.type: CODEC}` for a bounded run at a steady
rate, and prints: the bytes offered (brokerload_bytes_published_total: the samples and brokerload's
56-byte header), the ratio on the wire brokerload reports (brokerload_producer_sent_bytes_total
over the bytes published, the whole run), the ratio the broker's log shows (the run's topics'
size by DescribeLogDirs, deploy/local/probe.py kafka-log-bytes, over the bytes published),
brokerload's CPU per message over the measured window (compression runs on librdkafka's threads
inside brokerload), and publish and end-to-end p50/p99 over that window. Then the peer on the
same brokers: kafka-producer-perf-test (the Kafka tools of the local broker, acks=all,
linger.ms=1, in the linger.ms 1 rows) sending the same file (--payload-file: the samples alone, without brokerload's
header) with the same codec, unpaced: records/s and MB/s.

With --jetstream, JetStream's stream compression instead (targets.nats.stream.compression: none
and s2, file storage, one stream without limits: 8 MB blocks): the same columns but the stored
ratio, which is read from the server's disk, since its stream bytes are before compression: the
stream's full blocks (the server compresses a block once it is full) over the bytes they hold, i.e.
(the *.blk files' size - the last block's) / (the stream's bytes - the last block's); no peer.

usage: bench/compression.py [--samples DIR] [--sets events.jsonl,text.txt,random.b64]
                       [--codecs none,gzip,snappy,lz4,zstd] [--lingers 1,20] [--rate 10000]
                       [--duration 20]
                       [--warmup 5] [--peer-records 200000] [--binary PATH] [--jetstream]
                       (Kafka, or nats-server 2.10 or later, from deploy/local/brokers.sh)
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

from scrape import broker_env, buckets, free_port, quantile, scrape, total, wait_ready

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBE = os.path.join(ROOT, "deploy/local/probe.py")


def ms(seconds):
    return "-" if seconds is None else f"{seconds * 1e3:,.2f} ms"


def target_yaml(args, env, codec, linger):
    if args.jetstream:
        return (f'  nats: {{servers: ["{env["NATS_URL"]}"], stream: {{storage: file, '
                f'max_bytes: -1, max_age: 0s, compression: {codec}}}}}\n')
    return (f'  kafka: {{bootstrap_servers: "{env["KAFKA_BOOTSTRAP"]}", '
            f'producer: {{compression.type: {codec}, linger.ms: "{linger}", '
            f'statistics.interval.ms: "1000"}}}}\n')


def stream_blocks(env, stream):
    """(the stream's bytes as the server counts them, its *.blk files' bytes, the last block's)."""
    state = subprocess.run([sys.executable, PROBE, "nats-stream-bytes",
                            env["NATS_URL"].split("//")[1], stream],
                           capture_output=True, text=True, check=True).stdout
    directory = os.path.join(env["NATS_STORE_DIR"], "jetstream", "$G", "streams", stream, "msgs")
    blocks = sorted((int(name.split(".")[0]), os.path.getsize(os.path.join(directory, name)))
                    for name in os.listdir(directory) if name.endswith(".blk"))
    return int(state.split()[0].split("=")[1]), sum(size for _, size in blocks), blocks[-1][1]


def run_one(args, env, workdir, samples, codec, linger):
    port = free_port()
    prefix = f"codec-{codec}-{os.getpid()}-{int(time.time())}"
    messages = args.rate * (args.warmup + args.duration)
    path = os.path.join(workdir, f"{prefix}.yaml")
    topics = 1 if args.jetstream else 5
    with open(path, "w") as f:
        f.write("targets:\n" + target_yaml(args, env, codec, linger) +
                f"workload: {{topics: {topics}, topic_prefix: {prefix}, "
                f"payload: {{samples: {samples}}}}}\n"
                f"profile: {{stages: [{{name: s, rate: {args.rate}, messages: {messages}}}]}}\n"
                f'metrics: {{listen: "127.0.0.1:{port}"}}\n'
                "run: {warmup: 0s, max_send_lag: 60s}\n")
    log = open(os.path.join(workdir, f"{prefix}.log"), "w")
    proc = subprocess.Popen([args.binary, "run", "--config", path], stdout=log, stderr=log)
    try:
        if not wait_ready(port):
            raise RuntimeError(f"brokerload did not become ready (log: {log.name})")
        time.sleep(args.warmup)
        s1, t1 = scrape(port), time.time()
        time.sleep(args.duration)
        s2, t2 = scrape(port), time.time()
        deadline = time.time() + 60
        while total(scrape(port), "brokerload_messages_acked_total") < messages:
            if time.time() > deadline:
                raise RuntimeError(f"not every message acknowledged (log: {log.name})")
            time.sleep(0.2)
        time.sleep(2.2)  # two statistics intervals: librdkafka has counted every request
        s3 = scrape(port)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    published = total(s3, "brokerload_bytes_published_total")
    if args.jetstream:
        time.sleep(2)  # the server compresses the last full block in the background
        stream_bytes, disk, last = stream_blocks(env, prefix + "-0")
        stored = (disk - last) / max(stream_bytes - last, 1)
    else:
        out = subprocess.run([sys.executable, PROBE, "kafka-log-bytes", env["KAFKA_BOOTSTRAP"],
                              prefix + "-"], capture_output=True, text=True, check=True).stdout
        stored = int(out.split()[0].split("=")[1]) / published
    subprocess.run([args.binary, "cleanup", "--config", path], capture_output=True)
    window = t2 - t1
    acked = total(s2, "brokerload_messages_acked_total") - total(s1, "brokerload_messages_acked_total")
    lat = {name: [quantile(buckets(s1, name), buckets(s2, name), q) for q in (0.5, 0.99)]
           for name in ("brokerload_publish_latency_seconds", "brokerload_end_to_end_latency_seconds")}
    return {
        "mb_s": (total(s2, "brokerload_bytes_published_total") -
                 total(s1, "brokerload_bytes_published_total")) / window / 1e6,
        "acked": acked / window,
        "mean": published / messages,
        "wire": total(s3, "brokerload_producer_sent_bytes_total") / published,
        "stored": stored,
        "cpu_us": (total(s2, "process_cpu_seconds_total") - total(s1, "process_cpu_seconds_total"))
        / max(acked, 1) * 1e6,
        "pub": lat["brokerload_publish_latency_seconds"],
        "e2e": lat["brokerload_end_to_end_latency_seconds"],
    }


def peer(args, env, samples, codec):
    libs = env["KAFKA_LIBS"]
    topic = f"codec-peer-{codec}-{os.getpid()}-{int(time.time())}"
    out = subprocess.run(
        ["java", "-cp", libs + "/*", "org.apache.kafka.tools.ProducerPerformance",
         "--topic", topic, "--num-records", str(args.peer_records), "--payload-file", samples,
         "--throughput", "-1", "--producer-props", f"bootstrap.servers={env['KAFKA_BOOTSTRAP']}",
         "acks=all", "linger.ms=1", f"compression.type={codec}"],
        capture_output=True, text=True, timeout=600).stdout.strip().splitlines()
    last = out[-1] if out else "no output"
    # "200000 records sent, 81234.5 records/sec (25.10 MB/sec), ..."
    try:
        rate = float(last.split(" records/sec")[0].split(", ")[-1])
        mb = float(last.split("(")[1].split(" MB/sec")[0])
    except (IndexError, ValueError):
        return "-", "-"
    return f"{rate:,.0f}", f"{mb:.1f}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", default=None, help="the sample sets' directory "
                        "(default: made by bench/samples/make.py into a temporary one)")
    parser.add_argument("--sets", default="events.jsonl,text.txt,random.b64")
    parser.add_argument("--codecs", default="none,gzip,snappy,lz4,zstd")
    parser.add_argument("--lingers", default="1,20",
                        help="linger.ms values: how long librdkafka waits to fill a batch, which "
                        "is what the codec compresses (1: brokerload's default)")
    parser.add_argument("--rate", type=int, default=10000)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--peer-records", type=int, default=200000)
    parser.add_argument("--binary", default=os.path.join(ROOT, "build/release/service/brokerload"))
    parser.add_argument("--jetstream", action="store_true",
                        help="JetStream's stream compression (none, s2) instead of Kafka's codecs")
    args = parser.parse_args()
    if args.jetstream:
        args.codecs = "none,s2" if args.codecs == parser.get_default("codecs") else args.codecs
        args.lingers = "-"
    env = broker_env()
    workdir = tempfile.mkdtemp(prefix="brokerload-codecs-")
    samples = args.samples or workdir
    if not args.samples:
        subprocess.run([sys.executable, os.path.join(ROOT, "bench/samples/make.py"), workdir],
                       check=True)
    version = subprocess.run([args.binary, "--version"], capture_output=True, text=True).stdout
    print("brokerload codecs: " + "; ".join(" ".join(l.split()) for l in version.splitlines()))
    where = ("JetStream alone, 1 file stream" if args.jetstream else "Kafka alone, 5 topics")
    print(f"brokerload codecs: {os.cpu_count()} cores, {where}, {args.rate:,} msg/s, "
          f"{args.warmup} s warm-up then {args.duration} s measured; logs in {workdir}\n")
    stored = ("full blocks on disk / their bytes (server)" if args.jetstream
              else "log / published (broker)")
    print("| samples | codec | linger.ms | mean message | MB/s offered | wire / published (brokerload) | "
          f"{stored} | CPU per message | publish p50 / p99 | end-to-end p50 / p99 "
          "| peer records/s | peer MB/s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in args.sets.split(","):
        path = os.path.join(samples, name)
        for codec in args.codecs.split(","):
            for linger in args.lingers.split(","):
                r = run_one(args, env, workdir, path, codec, linger)
                # The peer at linger.ms=1 (as brokerload's default), once per set and codec.
                peer_rate, peer_mb = (peer(args, env, path, codec)
                                      if linger == "1" and not args.jetstream else ("-", "-"))
                print(f"| {name} | {codec} | {linger} | {r['mean']:,.0f} B | {r['mb_s']:.2f} | {r['wire']:.3f} | "
                      f"{r['stored']:.3f} | {r['cpu_us']:.1f} µs | {ms(r['pub'][0])} / {ms(r['pub'][1])} | "
                      f"{ms(r['e2e'][0])} / {ms(r['e2e'][1])} | {peer_rate} | {peer_mb} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
