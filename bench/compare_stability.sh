#!/usr/bin/env bash
# The README's compare, three times: on freshly started brokers, then twice on the same brokers
# warm (docs/benchmarks.md, "Fresh and warm: the README's compare"). Prints, per run,
# the pooled throughput and e2e p50/p99 per target (report.json "overall"), the readiness time,
# the stages flagged behind or not steady, and the load average, then the ratios the goal is
# stated in: warm2/warm1 and fresh/warm1 for throughput and p99.
# Usage: [NATS_VERSION=2.14.5] bench/compare_stability.sh [OUT_DIR] [extra compare args...]
# (the README's compare uses 60 s levels and nats-server 2.14.5; unset NATS_VERSION: Debian's)
# Uses private ports (KAFKA_PORT 29192, NATS_PORT 24322 unless set) so a running local pair is
# left alone. Takes the benchmark lock so no other benchmark runs at the same time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-/tmp/brokerload-stability}
shift || true
export BROKERLOAD_BROKERS_DIR=${BROKERLOAD_BROKERS_DIR:-/tmp/bl-stab}
export KAFKA_PORT=${KAFKA_PORT:-29192} KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-29193}
export NATS_PORT=${NATS_PORT:-24322}
bin=build/release/service/brokerload
[[ -x $bin ]] || { echo "build the release binary first: cmake --preset release && cmake --build --preset release --target brokerload" >&2; exit 2; }
mkdir -p "$out"
sed -e "s/127.0.0.1:9092/127.0.0.1:${KAFKA_PORT}/" -e "s/127.0.0.1:4222/127.0.0.1:${NATS_PORT}/" \
  config/seed-compare.yaml >"$out/seed.yaml"
exec 9>/tmp/brokerload-bench.lock
flock 9
deploy/local/brokers.sh stop >/dev/null 2>&1 || true
deploy/local/brokers.sh start
trap 'deploy/local/brokers.sh stop >/dev/null 2>&1 || true' EXIT
for run in fresh warm1 warm2; do
  echo "== $run (load $(cut -d' ' -f1-3 /proc/loadavg))"
  "$bin" compare --config "$out/seed.yaml" --profile seed --seed-min-duration 60s --warmup 15s \
    --out "$out/$run" "$@" >"$out/$run.log" 2>&1 || { tail -20 "$out/$run.log"; exit 1; }
  cut -d' ' -f1-3 /proc/loadavg >"$out/$run.load"
done
python3 - "$out" <<'PY'
import json, sys, pathlib
out = pathlib.Path(sys.argv[1])
runs = {}
for run in ("fresh", "warm1", "warm2"):
    runs[run] = json.loads((out / run / "report.json").read_text())
def overall(rep):
    res = {}
    for t in rep["overall"]:
        res[t["target"]] = t
    return res
print("| run | target | ready s | msg/s | e2e p50 ms | e2e p99 ms | behind | not steady | load after |")
print("|---|---|---|---|---|---|---|---|---|")
table = {}
for run, rep in runs.items():
    load = (out / f"{run}.load").read_text().strip()
    for name, o in overall(rep).items():
        stages = [r for r in rep["results"] if r["target"] == name]
        behind = sum(1 for r in stages if r.get("brokerload_behind"))
        unsteady = sum(1 for r in stages if r.get("steady") is False)
        info = next((t for t in rep.get("target_info", []) if t.get("name") == name), {})
        ready = info.get("setup_seconds", 0) + info.get("probe_seconds", 0)
        e2e = o["end_to_end_latency_ms"]
        thr, p50, p99 = o.get("achieved_rate") or 0.0, e2e["p50"], e2e["p99"]
        table[(run, name)] = (thr, p99)
        print(f"| {run} | {name} | {ready:.2f} | {thr:,.0f} | {p50:.2f} | {p99:.2f} | {behind}/{len(stages)} | {unsteady}/{len(stages)} | {load} |")
print()
for name in sorted({n for _, n in table}):
    w1, w2, fr = table[("warm1", name)], table[("warm2", name)], table[("fresh", name)]
    def pct(a, b): return 100.0 * (a - b) / b
    print(f"{name}: warm2 vs warm1 throughput {pct(w2[0], w1[0]):+.1f} %, p99 {pct(w2[1], w1[1]):+.1f} % (goal within 10 %); "
          f"fresh vs warm1 throughput {pct(fr[0], w1[0]):+.1f} %, p99 {pct(fr[1], w1[1]):+.1f} % (goal within 20 %)")
PY
