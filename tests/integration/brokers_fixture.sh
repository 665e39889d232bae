#!/usr/bin/env bash
# ctest fixture: starts (or stops) real brokers for the integration tests on free loopback ports,
# so they never collide with brokers a user already runs. State lives in $1's directory.
# usage: brokers_fixture.sh start|stop STATE_DIR
# Environment: KAFKA_VERSION, NATS_VERSION (empty: Debian's nats-server); by default
# CURRENT_KAFKA_VERSION and CURRENT_NATS_VERSION, which tests/integration/CMakeLists.txt sets.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
brokers="$here/../../deploy/local/brokers.sh"
action=$1
export BROKERLOAD_BROKERS_DIR=$2
# Current broker releases unless the caller chooses (the old-pair and secured fixtures do):
# Kafka from Maven Central, nats-server built once with go install (deploy/local/brokers.sh).
export KAFKA_VERSION=${KAFKA_VERSION:-$CURRENT_KAFKA_VERSION}
export NATS_VERSION=${NATS_VERSION-$CURRENT_NATS_VERSION}
[[ -x /usr/local/go/bin/go ]] && PATH="$PATH:/usr/local/go/bin"

if [[ $action == start ]]; then
  # Leftovers of an interrupted run would hold the ports and the pid files.
  "$brokers" stop >/dev/null 2>&1 || true
  # SECURE=1 (the secure_brokers fixtures) needs eight ports more.
  read -r KAFKA_PORT KAFKA_CONTROLLER_PORT NATS_PORT KAFKA_SASL_SSL_PORT KAFKA_MTLS_PORT \
    KAFKA_EXPIRED_PORT NATS_TLS_PORT NATS_JWT_PORT NATS_MTLS_PORT NATS_EXPIRED_PORT NATS_TOKEN_PORT \
    < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(11)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
PY
)
  export KAFKA_PORT KAFKA_CONTROLLER_PORT NATS_PORT KAFKA_SASL_SSL_PORT KAFKA_MTLS_PORT \
    KAFKA_EXPIRED_PORT NATS_TLS_PORT NATS_JWT_PORT NATS_MTLS_PORT NATS_EXPIRED_PORT NATS_TOKEN_PORT
fi
exec "$brokers" "$action"
