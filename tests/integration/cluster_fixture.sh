#!/usr/bin/env bash
# ctest fixture: starts (or stops) the 3-node Kafka and NATS clusters of deploy/local/cluster.sh
# for the cluster fault tests, on free loopback ports. State lives in $1's directory.
# usage: cluster_fixture.sh start|stop STATE_DIR
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cluster="$here/../../deploy/local/cluster.sh"
action=$1
export BROKERLOAD_CLUSTER_DIR=$2
export KAFKA_VERSION=${KAFKA_VERSION:-$CURRENT_KAFKA_VERSION}  # see brokers_fixture.sh
export NATS_VERSION=${NATS_VERSION-$CURRENT_NATS_VERSION}
[[ -x /usr/local/go/bin/go ]] && PATH="$PATH:/usr/local/go/bin"

if [[ $action == start ]]; then
  "$cluster" stop >/dev/null 2>&1 || true  # leftovers of an interrupted run hold ports
  read -r k1 k2 k3 c1 c2 c3 n1 n2 n3 r1 r2 r3 p1 p2 p3 proxy < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(16)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
PY
)
  export KAFKA_CLUSTER_PORTS="$k1 $k2 $k3" KAFKA_CLUSTER_CONTROLLER_PORTS="$c1 $c2 $c3"
  export NATS_CLUSTER_PORTS="$n1 $n2 $n3" NATS_CLUSTER_ROUTE_PORTS="$r1 $r2 $r3"
  export KAFKA_CLUSTER_PROXIED_PORTS="$p1 $p2 $p3" KAFKA_CLUSTER_PROXY_PORT=$proxy
fi
exec "$cluster" "$action"
