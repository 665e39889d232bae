#!/usr/bin/env bash
# The project's run command: installs what is needed, builds the release binary, starts local
# Kafka and NATS JetStream brokers (deploy/local/brokers.sh) and runs brokerload against them with
# config/brokerload.yaml (or the file given as $1) until Ctrl-C; then stops the brokers.
# The brokers: the current Kafka 4.4.0 and nats-server 2.14.5 (built once with `go install`);
# KAFKA_VERSION and NATS_VERSION choose others (NATS_VERSION= for Debian's nats-server).
set -euo pipefail
export KAFKA_VERSION=${KAFKA_VERSION-4.4.0}
export NATS_VERSION=${NATS_VERSION-2.14.5}
cd "$(dirname "${BASH_SOURCE[0]}")/.."
config=${1:-config/brokerload.yaml}
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target brokerload
deploy/local/brokers.sh start
trap 'deploy/local/brokers.sh stop' EXIT
echo "brokerload: metrics at http://127.0.0.1:9464/metrics; Ctrl-C stops it and the brokers" >&2
build/release/service/brokerload run --config "$config"
