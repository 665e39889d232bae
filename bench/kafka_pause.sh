#!/usr/bin/env bash
# Freezes the local Kafka (SIGSTOP) under load and prints loss, backlog and errors before, during
# and after: a paused broker must count no loss (docs/benchmarks.md, "Loss, faults and clusters").
# usage: bench/kafka_pause.sh [SECONDS_FROZEN=200] [RATE=2000]
#   (brokers first: deploy/local/brokers.sh start; a build in build/release or build/dev)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
frozen=${1:-200}
rate=${2:-2000}
state=${BROKERLOAD_BROKERS_DIR:-/tmp/brokerload-brokers}
binary=$root/build/release/service/brokerload
[[ -x $binary ]] || binary=$root/build/dev/service/brokerload
source "$state/env"
tmp=$(mktemp -d)
trap 'kill -CONT "$(cat "$state/kafka.pid")" 2>/dev/null || true; rm -rf "$tmp"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$tmp/config.yaml" <<YAML
targets:
  kafka: {bootstrap_servers: "$KAFKA_BOOTSTRAP"}
workload: {topics: 5, topic_prefix: pause-$$}
profile: {rate: $rate}
metrics: {listen: "127.0.0.1:$port"}
run: {loss_grace: 10s, publish_timeout: 5s, warmup: 5s}
YAML
"$binary" run --config "$tmp/config.yaml" >"$tmp/log" 2>&1 &
pid=$!
figures() {
  curl -s "127.0.0.1:$port/metrics" | awk '
    /^brokerload_(messages_(lost|acked|consumed|unconfirmed|arrived_after_loss)_total|publish_errors_total|consumer_backlog_messages|broker_backlog_messages)[{ ]/ {
      k = $1; sub(/\{.*/, "", k); sub(/^brokerload_/, "", k); s[k] += $2 }
    END { for (k in s) printf "%s=%s ", k, s[k]; print "" }'
}
sleep 30
echo "before:  $(figures)"
kill -STOP "$(cat "$state/kafka.pid")"
for ((t = 20; t <= frozen; t += 20)); do sleep 20; echo "frozen ${t}s: $(figures)"; done
kill -CONT "$(cat "$state/kafka.pid")"
for t in 10 20 30 60 90; do sleep $((t <= 30 ? 10 : 30)); echo "after ${t}s: $(figures)"; done
kill -TERM "$pid"
wait "$pid" || true
tail -4 "$tmp/log"
"$binary" cleanup --config "$tmp/config.yaml" >/dev/null || true
