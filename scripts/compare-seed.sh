#!/usr/bin/env bash
# Reproduces the seed report's Kafka vs JetStream comparison: installs what is needed, builds the
# release binary, starts local brokers, runs `brokerload compare --profile seed` (levels of 1,000,
# 4,000, 6,000 and 10,000 messages at 10,000 msg/s, each repeated to last at least 60 s, after
# readiness and a 15 s warm-up that no figure includes) and writes report.md, report.json and
# report.html into ${1:-report/} ; then stops the brokers.
# Extra arguments go to brokerload compare (e.g. --seed-rate 50000 --side-by-side).
# The brokers: the current Kafka 4.4.0 and nats-server 2.14.5 (built once with `go install`);
# KAFKA_VERSION chooses another Kafka (docs/benchmarks.md's repeatability figures were measured
# on 3.9.1), NATS_VERSION= Debian's nats-server 2.9.10, whose ~1 s JetStream stalls make p99
# vary from run to run. 60 s levels and nats-server 2.14.5 are the settings whose figures
# repeated within 10 % warm and 20 % fresh there.
set -euo pipefail
export KAFKA_VERSION=${KAFKA_VERSION-4.4.0}
export NATS_VERSION=${NATS_VERSION-2.14.5}
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-report}
shift || true
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target brokerload
deploy/local/brokers.sh start
trap 'deploy/local/brokers.sh stop' EXIT
build/release/service/brokerload compare --config config/seed-compare.yaml --profile seed \
  --seed-min-duration 60s --warmup 15s --out "$out" "$@"
