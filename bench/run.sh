#!/usr/bin/env bash
# Builds the release binary, starts the local brokers unless they already run, and runs
# bench/run.py (arguments pass through). Stops the brokers it started.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release >/dev/null
if ! deploy/local/brokers.sh status >/dev/null 2>&1; then
  deploy/local/brokers.sh start >/dev/null
  trap 'deploy/local/brokers.sh stop' EXIT
fi
command -v nats >/dev/null || [[ -x ~/go/bin/nats ]] ||
  echo "bench: no nats CLI; for its figures: go install github.com/nats-io/natscli/nats@v0.5.0" >&2
python3 bench/run.py "$@"
