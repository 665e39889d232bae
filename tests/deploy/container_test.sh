#!/usr/bin/env bash
# Builds the Dockerfile with podman (tests/deploy/build_image.sh) and runs the image against the
# ctest fixture's brokers, then scrapes /metrics from the running container. ../shared/containers.md
# describes the podman settings this machine needs; the Dockerfile itself stays standard.
# usage: container_test.sh   (env: BROKERLOAD_BROKERS_ENV from the fixture)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
name=brokerload-test-$$
podman=(podman --storage-driver vfs)
for tool in podman runc curl; do
  command -v "$tool" >/dev/null || { echo "container test: $tool missing (scripts/install-deps.sh)" >&2; exit 1; }
done
# shellcheck disable=SC1090
source "$BROKERLOAD_BROKERS_ENV"

image=$("$root/tests/deploy/build_image.sh")

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
config=$(mktemp)
chmod 644 "$config"
cat >"$config" <<YAML
targets:
  kafka: {bootstrap_servers: "$KAFKA_BOOTSTRAP"}
  nats: {servers: ["$NATS_URL"]}
workload: {topic_prefix: container$$, workers: 8}
profile: {rate: 200}
metrics: {listen: "127.0.0.1:$port"}
YAML
cleanup() {
  "${podman[@]}" rm -f "$name" >/dev/null 2>&1 || true
  rm -f "$config"
}
trap cleanup EXIT
"${podman[@]}" --runtime runc --cgroup-manager cgroupfs run -d --name "$name" --network host \
  --ulimit nproc=4096:4096 --ulimit nofile=4096:4096 \
  -v "$config:/etc/brokerload/brokerload.yaml:ro" "$image" >/dev/null

ok=""
for _ in $(seq 1 120); do
  if metrics=$(curl -sf "http://127.0.0.1:$port/metrics") &&
     grep -q '^brokerload_messages_consumed_total{target="kafka".*} [1-9]' <<<"$metrics" &&
     grep -q '^brokerload_messages_consumed_total{target="nats".*} [1-9]' <<<"$metrics"; then
    ok=yes
    break
  fi
  sleep 1
done
if [[ -z $ok ]]; then
  echo "container test: no consumption seen on /metrics; container log:" >&2
  "${podman[@]}" logs "$name" 2>&1 | tail -30 >&2
  exit 1
fi
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { echo "container test: /readyz not 200" >&2; exit 1; }
"${podman[@]}" stop -t 30 "$name" >/dev/null
code=$("${podman[@]}" inspect --format '{{.State.ExitCode}}' "$name")
[[ $code == 0 ]] || { echo "container test: exit code $code after SIGTERM" >&2; exit 1; }
echo "container test: image built, ran as uid 10001, published and consumed on both targets, exited 0"
