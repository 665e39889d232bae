#!/usr/bin/env bash
# Starts and stops 3-node broker clusters on loopback for fault tests: Apache Kafka in KRaft mode
# (each node broker and controller, a 3-voter quorum) and NATS with clustered JetStream; kills
# and restarts single nodes with the same id and data, as a real node's crash and restart.
#
# usage: deploy/local/cluster.sh start|stop|status [kafka] [nats]   (default: both)
#        deploy/local/cluster.sh kill|restart kafka|nats NODE       (NODE: 1, 2 or 3)
#   kill     SIGKILL of that node (nothing flushed, as a crash)
#   restart  starts that node again on its data and waits until it serves and, for Kafka, the
#            metadata lists all three brokers (stops it first with SIGTERM when running)
#        deploy/local/cluster.sh kafka-tool CLASS [ARG...]
#   runs one of Kafka's command-line tools from the cluster's jars, e.g.
#   org.apache.kafka.tools.LeaderElectionCommand --bootstrap-server HOST:PORT ...
#
# Kafka: replication factor 3 and min.insync.replicas 2 by default for every topic, the offsets
# and transaction topics included; no unclean leader election. NATS: server names n1..n3,
# cluster brokerload-local; streams choose their replicas (brokerload: stream.replicas).
# Bounded to fit a small machine: each Kafka JVM -Xms256m -Xmx512m, each nats-server at most
# 512 MB of memory-stream data.
#
# Environment (defaults in brackets):
#   KAFKA_CLUSTER_PORTS ["19092 19093 19094"]             client (PLAINTEXT) port per node
#   KAFKA_CLUSTER_CONTROLLER_PORTS ["19192 19193 19194"]  KRaft controller port per node
#   KAFKA_CLUSTER_PROXIED_PORTS ["19095 19096 19097"]     a second client listener per node,
#                                                         PROXIED; node 2 advertises it at
#   KAFKA_CLUSTER_PROXY_PORT [19098]                      where nothing listens until a test
#                                                         puts a proxy (e.g. a delay) there
#   NATS_CLUSTER_PORTS ["14222 14223 14224"]              client port per node
#   NATS_CLUSTER_ROUTE_PORTS ["14248 14249 14250"]        cluster route port per node
#   KAFKA_VERSION [3.9.1]  NATS_VERSION [unset: Debian's nats-server; else built with go install]
#   BROKERS_START_TIMEOUT [120]  KAFKA_HEAP_OPTS [-Xms256m -Xmx512m]
#   BROKERLOAD_CLUSTER_DIR [/tmp/brokerload-cluster]  state: pids, logs, data; removed by stop
#   BROKERLOAD_CACHE_DIR [~/.cache/brokerload]        Maven jars, kept between runs
# The ports are read at start and kept in the state directory: kill and restart need none.
#
# After start, $BROKERLOAD_CLUSTER_DIR/env holds KAFKA_CLUSTER_BOOTSTRAP=host:port,... and
# NATS_CLUSTER_URLS=nats://host:port,... (the nodes in order 1..3); KAFKA_CLUSTER_PROXIED_BOOTSTRAP
# (nodes 1 and 3's PROXIED listeners: clients bootstrapped there reach node 2 only through
# KAFKA_CLUSTER_PROXY_PORT) and KAFKA_CLUSTER_PROXY_UPSTREAM (node 2's PROXIED port, where such a
# proxy forwards to). Replication and the controllers use the PLAINTEXT and CONTROLLER listeners.
# Exit codes: 0 ok, 1 a node failed to start or stop, 2 usage, 3 a missing prerequisite.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
state_dir=${BROKERLOAD_CLUSTER_DIR:-/tmp/brokerload-cluster}
cache_dir=${BROKERLOAD_CACHE_DIR:-${HOME:-/root}/.cache/brokerload}
kafka_version=${KAFKA_VERSION:-3.9.1}
timeout_s=${BROKERS_START_TIMEOUT:-120}
log_name=cluster
# shellcheck source=deploy/local/lib.sh
source "$here/lib.sh"
reuse_started_versions

usage() { sed -n '2,41p' "${BASH_SOURCE[0]}" >&2; exit 2; }

# Ports: from the state directory once started, else from the environment.
load_ports() {
  if [[ -f $state_dir/ports ]]; then
    # shellcheck disable=SC1091
    source "$state_dir/ports"
    # A state directory of an older cluster.sh has no PROXIED ports: its nodes have no such listener.
    [[ -v proxied_ports ]] || read -ra proxied_ports <<<"${KAFKA_CLUSTER_PROXIED_PORTS:-19095 19096 19097}"
    : "${proxy_port:=${KAFKA_CLUSTER_PROXY_PORT:-19098}}"
  else
    read -ra kafka_ports <<<"${KAFKA_CLUSTER_PORTS:-19092 19093 19094}"
    read -ra controller_ports <<<"${KAFKA_CLUSTER_CONTROLLER_PORTS:-19192 19193 19194}"
    read -ra nats_ports <<<"${NATS_CLUSTER_PORTS:-14222 14223 14224}"
    read -ra route_ports <<<"${NATS_CLUSTER_ROUTE_PORTS:-14248 14249 14250}"
    read -ra proxied_ports <<<"${KAFKA_CLUSTER_PROXIED_PORTS:-19095 19096 19097}"
    proxy_port=${KAFKA_CLUSTER_PROXY_PORT:-19098}
  fi
  local list count
  for list in kafka_ports controller_ports nats_ports route_ports proxied_ports; do
    eval "count=\${#$list[@]}"
    ((count == 3)) || die 2 "$list: expected three ports"
  done
}

save_ports() {
  local list
  for list in kafka_ports controller_ports nats_ports route_ports proxied_ports; do
    eval "echo \"$list=(\${$list[*]})\""  # plain assignments: sourced inside a function
  done >"$state_dir/ports"
  echo "proxy_port=$proxy_port" >>"$state_dir/ports"
}

kafka_conf() {  # node
  local i=$1 voters="" n advertised=${proxied_ports[$1 - 1]}
  ((i != 2)) || advertised=$proxy_port
  for n in 1 2 3; do voters+="${voters:+,}$n@127.0.0.1:${controller_ports[n - 1]}"; done
  cat >"$state_dir/kafka-$i.properties" <<PROPS
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:${kafka_ports[i - 1]},CONTROLLER://127.0.0.1:${controller_ports[i - 1]},PROXIED://127.0.0.1:${proxied_ports[i - 1]}
advertised.listeners=PLAINTEXT://127.0.0.1:${kafka_ports[i - 1]},PROXIED://127.0.0.1:$advertised
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,PROXIED:PLAINTEXT
log.dirs=$state_dir/kafka-$i-data
num.partitions=3
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
unclean.leader.election.enable=false
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
PROPS
}

kafka_java_opts() {
  write_kafka_log4j "$state_dir/log4j.properties"
  java_opts=(-cp "$jars_dir/*" "${kafka_log_opts[@]}")
}

# Launches node i (formatted once, with the cluster's id: a restart keeps id and data).
launch_kafka() {  # node
  local i=$1
  if pid_alive "$state_dir/kafka-$i.pid"; then log "kafka-$i already running"; return 0; fi
  kafka_java_opts
  if [[ ! -f $state_dir/kafka-$i-data/meta.properties ]]; then
    mkdir -p "$state_dir/kafka-$i-data"
    java "${java_opts[@]}" kafka.tools.StorageTool format -t "$(cat "$state_dir/kafka-cluster-id")" \
      -c "$state_dir/kafka-$i.properties" >"$state_dir/kafka-$i-format.log" 2>&1 ||
      die 1 "kafka-$i storage format failed; see its log $state_dir/kafka-$i-format.log"
  fi
  # shellcheck disable=SC2086
  setsid java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseG1GC -Djava.awt.headless=true \
    "${java_opts[@]}" kafka.Kafka "$state_dir/kafka-$i.properties" \
    >>"$state_dir/kafka-$i.log" 2>&1 </dev/null &
  echo $! >"$state_dir/kafka-$i.pid"
}

wait_kafka() {  # node: serving, and the metadata lists all three brokers
  wait_ready_with kafka "kafka-$1" "127.0.0.1:${kafka_ports[$1 - 1]}" "$state_dir/kafka-$1.log" 3
}

start_kafka() {
  need java "a JDK 17 or newer"
  fetch_kafka_jars
  [[ -f $state_dir/kafka-cluster-id ]] || python3 "$here/probe.py" uuid >"$state_dir/kafka-cluster-id"
  local i bootstrap=""
  # All three at once: none is ready before the quorum has a majority.
  for i in 1 2 3; do kafka_conf "$i"; launch_kafka "$i"; done
  for i in 1 2 3; do
    wait_kafka "$i"
    bootstrap+="${bootstrap:+,}127.0.0.1:${kafka_ports[i - 1]}"
  done
  echo "KAFKA_CLUSTER_BOOTSTRAP=$bootstrap" >>"$state_dir/env"
  echo "KAFKA_CLUSTER_PROXIED_BOOTSTRAP=127.0.0.1:${proxied_ports[0]},127.0.0.1:${proxied_ports[2]}" \
    >>"$state_dir/env"
  echo "KAFKA_CLUSTER_PROXY_PORT=$proxy_port" >>"$state_dir/env"
  echo "KAFKA_CLUSTER_PROXY_UPSTREAM=127.0.0.1:${proxied_ports[1]}" >>"$state_dir/env"
  log "kafka $kafka_version 3-node cluster ready at $bootstrap (KRaft, data $state_dir/kafka-N-data)"
}

nats_conf() {  # node
  local i=$1 routes="" n
  for n in 1 2 3; do routes+="${routes:+, }nats-route://127.0.0.1:${route_ports[n - 1]}"; done
  cat >"$state_dir/nats-$i.conf" <<CONF
server_name: n$i
listen: 127.0.0.1:${nats_ports[i - 1]}
jetstream { store_dir: "$state_dir/nats-$i-store", max_memory_store: 512MB, max_file_store: 8GB }
cluster {
  name: brokerload-local
  listen: 127.0.0.1:${route_ports[i - 1]}
  routes: [$routes]
}
CONF
}

launch_nats() {  # node
  local i=$1
  if pid_alive "$state_dir/nats-$i.pid"; then log "nats-$i already running"; return 0; fi
  mkdir -p "$state_dir/nats-$i-store"
  setsid "$nats_server" -c "$state_dir/nats-$i.conf" >>"$state_dir/nats-$i.log" 2>&1 </dev/null &
  echo $! >"$state_dir/nats-$i.pid"
}

wait_nats() {  # node: JetStream answers (the cluster has a meta leader)
  wait_ready_with nats "nats-$1" "127.0.0.1:${nats_ports[$1 - 1]}" "$state_dir/nats-$1.log"
}

start_nats() {
  find_nats_server
  local i urls=""
  for i in 1 2 3; do nats_conf "$i"; launch_nats "$i"; done
  for i in 1 2 3; do
    wait_nats "$i"
    urls+="${urls:+,}nats://127.0.0.1:${nats_ports[i - 1]}"
  done
  echo "NATS_CLUSTER_URLS=$urls" >>"$state_dir/env"
  log "nats 3-node JetStream cluster ready at $urls (stores $state_dir/nats-N-store)"
}

node_arg() {  # broker node
  [[ ${1:-} == kafka || ${1:-} == nats ]] || usage
  [[ ${2:-} =~ ^[123]$ ]] || die 2 "node '${2:-}': expected 1, 2 or 3"
  [[ -f $state_dir/ports ]] || die 1 "no cluster in $state_dir: run '$0 start' first"
}

command=${1:-}
shift || true
case "$command" in
  start | stop | status)
    brokers=("$@")
    ((${#brokers[@]})) || brokers=(kafka nats)
    for b in "${brokers[@]}"; do
      [[ $b == kafka || $b == nats ]] || die 2 "unknown broker '$b' (expected kafka or nats)"
    done
    ;;
  kill | restart) node_arg "$@" ;;
  kafka-tool) [[ -n ${1:-} ]] || usage ;;
  *) usage ;;
esac

load_ports
case "$command" in
  start)
    need python3 "the readiness probes use it"
    mkdir -p "$state_dir" "$cache_dir"
    touch "$state_dir/env"
    save_ports
    # A cluster that fails to start is stopped whole: no half-started nodes are left behind.
    trap 'rc=$?; if ((rc)); then for b in "${brokers[@]}"; do for i in 1 2 3; do
      stop_one "$b-$i" || true; done; done; fi; exit $rc' EXIT
    for b in "${brokers[@]}"; do "start_$b"; done
    trap - EXIT
    cat "$state_dir/env"
    ;;
  stop)
    # All nodes at once: stopped one by one, the last Kafka nodes wait for a quorum that is gone.
    stops=()
    for b in "${brokers[@]}"; do for i in 1 2 3; do stop_one "$b-$i" & stops+=($!); done; done
    for pid in "${stops[@]}"; do wait "$pid" || die 1 "a node did not stop"; done
    if [[ -d $state_dir ]] && ! ls "$state_dir"/*.pid >/dev/null 2>&1; then rm -rf "$state_dir"; fi
    ;;
  status)
    rc=0
    for b in "${brokers[@]}"; do
      for i in 1 2 3; do
        if pid_alive "$state_dir/$b-$i.pid"; then
          echo "$b-$i: running (pid $(cat "$state_dir/$b-$i.pid"), log $state_dir/$b-$i.log)"
        else
          echo "$b-$i: stopped"
          rc=1
        fi
      done
    done
    exit "$rc"
    ;;
  kill)
    pid_alive "$state_dir/$1-$2.pid" || die 1 "$1-$2 is not running"
    kill -KILL "$(cat "$state_dir/$1-$2.pid")"
    while pid_alive "$state_dir/$1-$2.pid"; do sleep 0.1; done
    rm -f "$state_dir/$1-$2.pid"
    log "$1-$2 killed (SIGKILL)"
    ;;
  kafka-tool)
    fetch_kafka_jars
    kafka_java_opts
    exec java "${java_opts[@]}" "$@"
    ;;
  restart)
    stop_one "$1-$2"
    if [[ $1 == kafka ]]; then
      fetch_kafka_jars
      launch_kafka "$2"
      wait_kafka "$2"
    else
      find_nats_server
      launch_nats "$2"
      wait_nats "$2"
    fi
    log "$1-$2 restarted on its data"
    ;;
esac
