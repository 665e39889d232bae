#!/usr/bin/env bash
# Starts and stops real brokers on loopback for local runs and integration tests:
# a NATS server with JetStream and a single-node Apache Kafka broker in KRaft mode.
#
# usage: deploy/local/brokers.sh start|stop|status [kafka] [nats]   (default: both)
#
# Environment (defaults in brackets):
#   KAFKA_PORT [9092]  KAFKA_CONTROLLER_PORT [KAFKA_PORT+1]  NATS_PORT [4222]
#   KAFKA_VERSION [3.9.1]          Apache Kafka version fetched from Maven Central
#   BROKERLOAD_BROKERS_DIR [/tmp/brokerload-brokers]  state: pids, logs, data; removed by stop
#   BROKERLOAD_CACHE_DIR [~/.cache/brokerload]        Maven jars, kept between runs
#   BROKERS_START_TIMEOUT [90]     seconds to wait for each broker to become ready
#   KAFKA_HEAP_OPTS [-Xms512m -Xmx1g]
#
# After start, $BROKERLOAD_BROKERS_DIR/env holds KAFKA_BOOTSTRAP=... and NATS_URL=...
# Exit codes: 0 ok, 1 a broker failed to start or stop, 2 usage, 3 a missing prerequisite.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kafka_port=${KAFKA_PORT:-9092}
controller_port=${KAFKA_CONTROLLER_PORT:-$((kafka_port + 1))}
nats_port=${NATS_PORT:-4222}
kafka_version=${KAFKA_VERSION:-3.9.1}
state_dir=${BROKERLOAD_BROKERS_DIR:-/tmp/brokerload-brokers}
cache_dir=${BROKERLOAD_CACHE_DIR:-${HOME:-/root}/.cache/brokerload}
timeout_s=${BROKERS_START_TIMEOUT:-90}
jars_dir="$cache_dir/kafka-$kafka_version/libs"

log() { printf 'brokers: %s\n' "$*" >&2; }
die() { local code=$1; shift; log "error: $*"; exit "$code"; }

need() {
  command -v "$1" >/dev/null 2>&1 || die 3 "'$1' not found: $2 (run scripts/install-deps.sh)"
}

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

fetch_kafka_jars() {
  [[ -f "$jars_dir/.complete" ]] && return 0
  need mvn "Maven fetches the Kafka jars"
  log "fetching Apache Kafka $kafka_version jars from Maven Central into $jars_dir"
  rm -rf "$jars_dir"
  mkdir -p "$jars_dir"
  if ! mvn -q -B -f "$here/pom.xml" -Dkafka.version="$kafka_version" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$jars_dir" \
      >"$cache_dir/mvn-$kafka_version.log" 2>&1; then
    die 1 "Maven could not fetch Kafka $kafka_version; see $cache_dir/mvn-$kafka_version.log"
  fi
  touch "$jars_dir/.complete"
}

wait_ready() {  # name address log
  local deadline=$((SECONDS + timeout_s)) error=""
  while ((SECONDS < deadline)); do
    if error=$(python3 "$here/probe.py" "$1" "$2" 2>&1); then return 0; fi
    if ! pid_alive "$state_dir/$1.pid"; then
      die 1 "$1 exited during start-up; see its log $3"
    fi
    sleep 0.5
  done
  die 1 "$1 at $2 not ready after ${timeout_s}s (last probe: $error); see its log $3"
}

start_nats() {
  need nats-server "Debian package nats-server"
  if pid_alive "$state_dir/nats.pid"; then log "nats already running"; return 0; fi
  mkdir -p "$state_dir/nats-store"
  setsid nats-server -js -a 127.0.0.1 -p "$nats_port" -sd "$state_dir/nats-store" \
    >"$state_dir/nats.log" 2>&1 </dev/null &
  echo $! >"$state_dir/nats.pid"
  wait_ready nats "127.0.0.1:$nats_port" "$state_dir/nats.log"
  echo "NATS_URL=nats://127.0.0.1:$nats_port" >>"$state_dir/env"
  log "nats ready at nats://127.0.0.1:$nats_port (JetStream, store $state_dir/nats-store)"
}

start_kafka() {
  need java "a JDK 17 or newer"
  if pid_alive "$state_dir/kafka.pid"; then log "kafka already running"; return 0; fi
  fetch_kafka_jars
  local conf="$state_dir/kafka.properties"
  mkdir -p "$state_dir/kafka-data"
  cat >"$conf" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$kafka_port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$kafka_port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$state_dir/kafka-data
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
PROPS
  cat >"$state_dir/log4j.properties" <<'PROPS'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
PROPS
  local java_opts=(-cp "$jars_dir/*" "-Dlog4j.configuration=file:$state_dir/log4j.properties")
  if ! java "${java_opts[@]}" kafka.tools.StorageTool format -t "$(python3 "$here/probe.py" uuid)" \
      -c "$conf" >"$state_dir/kafka-format.log" 2>&1; then
    die 1 "kafka storage format failed; see its log $state_dir/kafka-format.log"
  fi
  # shellcheck disable=SC2086
  setsid java ${KAFKA_HEAP_OPTS:--Xms512m -Xmx1g} -XX:+UseG1GC -Djava.awt.headless=true \
    "${java_opts[@]}" kafka.Kafka "$conf" >"$state_dir/kafka.log" 2>&1 </dev/null &
  echo $! >"$state_dir/kafka.pid"
  wait_ready kafka "127.0.0.1:$kafka_port" "$state_dir/kafka.log"
  echo "KAFKA_BOOTSTRAP=127.0.0.1:$kafka_port" >>"$state_dir/env"
  log "kafka $kafka_version ready at 127.0.0.1:$kafka_port (KRaft, data $state_dir/kafka-data)"
}

stop_one() {  # name
  local pid_file="$state_dir/$1.pid" pid
  [[ -f "$pid_file" ]] || return 0
  pid=$(cat "$pid_file")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$1 (pid $pid) ignored SIGTERM for 20s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
    fi
  fi
  kill -0 "$pid" 2>/dev/null && die 1 "$1 (pid $pid) is still running"
  rm -f "$pid_file"
  log "$1 stopped"
}

status_one() {  # name
  if pid_alive "$state_dir/$1.pid"; then
    echo "$1: running (pid $(cat "$state_dir/$1.pid"), log $state_dir/$1.log)"
  else
    echo "$1: stopped"
    return 1
  fi
}

command=${1:-}
shift || true
brokers=("$@")
((${#brokers[@]})) || brokers=(nats kafka)
for b in "${brokers[@]}"; do
  [[ $b == kafka || $b == nats ]] || die 2 "unknown broker '$b' (expected kafka or nats)"
done

case "$command" in
  start)
    need python3 "the readiness probes use it"
    mkdir -p "$state_dir" "$cache_dir"
    touch "$state_dir/env"
    for b in "${brokers[@]}"; do "start_$b"; done
    cat "$state_dir/env"
    ;;
  stop)
    for b in "${brokers[@]}"; do stop_one "$b"; done
    if [[ -d $state_dir ]] && ! ls "$state_dir"/*.pid >/dev/null 2>&1; then
      rm -rf "$state_dir"
    fi
    ;;
  status)
    rc=0
    for b in "${brokers[@]}"; do status_one "$b" || rc=1; done
    exit "$rc"
    ;;
  *)
    sed -n '2,16p' "${BASH_SOURCE[0]}" >&2
    exit 2
    ;;
esac
