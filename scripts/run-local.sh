#!/usr/bin/env bash
# The project's run command: installs what is needed, builds the release binary, starts local
# Kafka and NATS JetStream brokers (deploy/local/brokers.sh) and runs brokerload against them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
deploy/local/brokers.sh start
# The daemon does not exist yet: for now this prints the binary's version and leaves the brokers
# running (stop them with deploy/local/brokers.sh stop).
build/release/service/brokerload --version
