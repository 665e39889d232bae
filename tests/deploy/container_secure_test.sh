#!/usr/bin/env bash
# The image (tests/deploy/build_image.sh: Debian 13, librdkafka 2.8.0, cnats 3.10.1) against the
# secured brokers of the secure_brokers_current fixture (brokers.sh SECURE=1 on the current
# Kafka, with the ACLs of docs/security.md): Kafka with SCRAM-SHA-512 and SCRAM-SHA-256 over TLS
# (what Debian 12's librdkafka 2.0.2 cannot do against Kafka 4.x) and with client certificates;
# NATS with a password over TLS, an NKey, a JWT credentials file, a client certificate and a
# token. Each run publishes and consumes on its targets with nothing lost, and stops with exit
# code 0.
# usage: container_secure_test.sh   (env: BROKERLOAD_BROKERS_ENV from the fixture)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
podman=(podman --storage-driver vfs)
for tool in podman runc curl; do
  command -v "$tool" >/dev/null || { echo "secure image test: $tool missing (scripts/install-deps.sh)" >&2; exit 1; }
done
# shellcheck disable=SC1090
source "$BROKERLOAD_BROKERS_ENV"
log() { echo "secure image test: $*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

image=$("$root/tests/deploy/build_image.sh")
tmp=$(mktemp -d)
chmod 755 "$tmp"
name=""
cleanup() {
  [[ -n $name ]] && "${podman[@]}" rm -f "$name" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
# The material, readable by the image's user (10001), as a Secret's volume would make it.
mkdir "$tmp/secrets"
for file in ca.pem client.pem client-key.pem kafka.password nats.password nats.token nkey-user.seed user.creds; do
  cp "$SECURE_DIR/$file" "$tmp/secrets/"
done
chmod 644 "$tmp/secrets"/*
s=/etc/brokerload-secrets

run_case() {  # name, targets YAML (indented), expected targets...
  local case=$1 targets=$2; shift 2
  local port config metrics ok="" target
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  config="$tmp/$case.yaml"
  cat >"$config" <<YAML
targets:
$targets
workload: {topic_prefix: brokerload-image-$case-$$, topics: 1}
profile: {rate: 200}
metrics: {listen: "127.0.0.1:$port"}
run: {startup_timeout: 60s, warmup: 0s}
YAML
  chmod 644 "$config"
  name=brokerload-secure-$case-$$
  "${podman[@]}" --runtime runc --cgroup-manager cgroupfs run -d --name "$name" --network host \
    --ulimit nproc=4096:4096 --ulimit nofile=4096:4096 -e "NATS_PASSWORD=$(cat "$SECURE_DIR/nats.password")" \
    -v "$config:/etc/brokerload/brokerload.yaml:ro" -v "$tmp/secrets:$s:ro" "$image" >/dev/null
  for _ in $(seq 1 90); do
    ok=yes
    metrics=$(curl -sf "http://127.0.0.1:$port/metrics" || true)
    for target in "$@"; do
      grep -qE "^brokerload_messages_consumed_total\{target=\"$target\".*\} [0-9]{3,}" <<<"$metrics" || ok=""
    done
    [[ -n $ok ]] && break
    [[ $("${podman[@]}" inspect --format '{{.State.Status}}' "$name") == running ]] || break
    sleep 1
  done
  if [[ -z $ok ]]; then
    "${podman[@]}" logs "$name" 2>&1 | tail -20 >&2
    fail "$case: no consumption on ${*}"
  fi
  if grep -E '^brokerload_messages_lost_total\{.*\} [1-9]' <<<"$metrics"; then fail "$case: messages lost"; fi
  if [[ " $* " == *" kafka "* ]]; then  # the secured Kafka is the current one (4.x)
    grep -qE '^brokerload_target_info\{target="kafka",broker_version="(at least )?4\.' <<<"$metrics" ||
      fail "$case: Kafka is not 4.x: $(grep '^brokerload_target_info{target="kafka"' <<<"$metrics")"
  fi
  "${podman[@]}" stop -t 30 "$name" >/dev/null
  local code
  code=$("${podman[@]}" inspect --format '{{.State.ExitCode}}' "$name")
  [[ $code == 0 ]] || { "${podman[@]}" logs "$name" 2>&1 | tail -20 >&2; fail "$case: exit code $code"; }
  "${podman[@]}" rm -f "$name" >/dev/null
  name=""
  log "$case: published and consumed on $*, nothing lost, exit 0"
}

scram() {  # mechanism
  cat <<YAML
  kafka:
    bootstrap_servers: "$KAFKA_SASL_SSL"
    security:
      protocol: sasl_ssl
      tls: {ca_file: $s/ca.pem}
      sasl: {mechanism: $1, username: brokerload, password_file: $s/kafka.password}
YAML
}
run_case scram512 "$(scram SCRAM-SHA-512)
  nats:
    servers: [\"$NATS_TLS_URL\"]
    tls: {ca_file: $s/ca.pem}
    user: brokerload
    password: \"\${env:NATS_PASSWORD}\"" kafka nats
run_case scram256 "$(scram SCRAM-SHA-256)
  nats:
    servers: [\"$NATS_TLS_URL\"]
    tls: {ca_file: $s/ca.pem}
    nkey_seed_file: $s/nkey-user.seed" kafka nats
run_case mtls "  kafka:
    bootstrap_servers: \"$KAFKA_MTLS\"
    security:
      protocol: ssl
      tls: {ca_file: $s/ca.pem, cert_file: $s/client.pem, key_file: $s/client-key.pem}
  nats:
    servers: [\"$NATS_JWT_URL\"]
    tls: {ca_file: $s/ca.pem}
    credentials_file: $s/user.creds" kafka nats
run_case natsmtls "  nats:
    servers: [\"$NATS_MTLS_URL\"]
    tls: {ca_file: $s/ca.pem, cert_file: $s/client.pem, key_file: $s/client-key.pem}" nats
run_case natstoken "  nats:
    servers: [\"$NATS_TOKEN_URL\"]
    tls: {ca_file: $s/ca.pem}
    token_file: $s/nats.token" nats
log "passed: the image's $("${podman[@]}" --runtime runc --cgroup-manager cgroupfs run --rm \
  --ulimit nproc=4096:4096 --ulimit nofile=4096:4096 "$image" --version 2>&1 | grep -m1 librdkafka)"
