#!/usr/bin/env bash
# Reproduces the seed report's Kafka vs JetStream comparison: installs what is needed, builds the
# release binary, starts local brokers, runs `brokerload compare --profile seed` (levels of 1,000,
# 4,000, 6,000 and 10,000 messages at 10,000 msg/s, each repeated to last at least 20 s, after
# readiness and a 15 s warm-up that no figure includes) and writes report.md, report.json and
# report.html into ${1:-report/} ; then stops the brokers.
# Extra arguments go to brokerload compare (e.g. --seed-rate 50000 --side-by-side).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-report}
shift || true
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
deploy/local/brokers.sh start
trap 'deploy/local/brokers.sh stop' EXIT
build/release/service/brokerload compare --config config/seed-compare.yaml --profile seed \
  --seed-min-duration 20s --warmup 15s --out "$out" "$@"
