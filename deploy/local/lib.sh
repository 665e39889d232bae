# Functions shared by deploy/local/brokers.sh (single brokers) and deploy/local/cluster.sh
# (3-node clusters); sourced, never run. The caller sets: here (this directory), state_dir,
# cache_dir, timeout_s (seconds a broker may take to become ready) and kafka_version.
# shellcheck shell=bash

log() { printf '%s: %s\n' "${log_name:-brokers}" "$*" >&2; }
die() { local code=$1; shift; log "error: $*"; exit "$code"; }

need() {
  command -v "$1" >/dev/null 2>&1 || die 3 "'$1' not found: $2 (run scripts/install-deps.sh)"
}

# A restart (of a node, or of a broker after a kill) runs the versions the start chose: unless
# the environment names them, kafka_version and NATS_VERSION come from the state directory.
reuse_started_versions() {
  if [[ -z ${KAFKA_VERSION:-} && -f $state_dir/kafka-version ]]; then
    kafka_version=$(cat "$state_dir/kafka-version")
  fi
  if [[ -z ${NATS_VERSION+set} && -f $state_dir/nats-version ]]; then
    NATS_VERSION=$(cat "$state_dir/nats-version")
  fi
}

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# The jars of Apache Kafka $kafka_version (broker and tools) into $jars_dir, once per version.
fetch_kafka_jars() {
  jars_dir="$cache_dir/kafka-$kafka_version/libs"
  echo "$kafka_version" >"$state_dir/kafka-version"
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

# Waits until `probe.py PROBE ADDRESS [ARGS]` succeeds; fails when NAME's process exits first or
# after $timeout_s. usage: wait_ready_with PROBE NAME ADDRESS LOG [probe args]
wait_ready_with() {
  local probe=$1 name=$2 address=$3 logfile=$4 deadline=$((SECONDS + timeout_s)) error=""
  shift 4
  while ((SECONDS < deadline)); do
    if error=$(python3 "$here/probe.py" "$probe" "$address" "$@" 2>&1); then return 0; fi
    if ! pid_alive "$state_dir/$name.pid"; then
      die 1 "$name exited during start-up; see its log $logfile"
    fi
    sleep 0.5
  done
  die 1 "$name at $address not ready after ${timeout_s}s (last probe: $error); see its log $logfile"
}

# Stops NAME (pid in $state_dir/NAME.pid): SIGTERM, then SIGKILL after 20 s.
stop_one() {
  local pid_file="$state_dir/$1.pid" pid
  [[ -f "$pid_file" ]] || return 0
  pid=$(cat "$pid_file")
  if kill -0 "$pid" 2>/dev/null; then
    kill -CONT "$pid" 2>/dev/null || true  # a paused process cannot act on SIGTERM
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$1 (pid $pid) ignored SIGTERM for 20s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  fi
  kill -0 "$pid" 2>/dev/null && die 1 "$1 (pid $pid) is still running"
  rm -f "$pid_file"
  log "$1 stopped"
}

# Logging for the Kafka broker and tools: INFO to standard output (the broker's log file), for
# log4j 1 (Kafka 3.x: PATH) and log4j 2 (Kafka 4.x: PATH's directory/log4j2.properties). Sets
# kafka_log_opts, the JVM options that point at both.
write_kafka_log4j() {  # path
  local log4j2
  log4j2="$(dirname "$1")/log4j2.properties"
  kafka_log_opts=("-Dlog4j.configuration=file:$1" "-Dlog4j2.configurationFile=file:$log4j2")
  cat >"$log4j2" <<'PROPS'
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
PROPS
  cat >"$1" <<'PROPS'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
PROPS
}

# The nats-server to run, in $nats_server: NATS_VERSION (e.g. 2.14.5) builds that release once
# with `go install` from the Go module proxy into $cache_dir; unset, Debian's nats-server.
find_nats_server() {
  echo "${NATS_VERSION:-}" >"$state_dir/nats-version"
  if [[ -z ${NATS_VERSION:-} ]]; then
    need nats-server "Debian package nats-server (or set NATS_VERSION to build a release with Go)"
    nats_server=$(command -v nats-server)
    return 0
  fi
  [[ $NATS_VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
    die 2 "NATS_VERSION '$NATS_VERSION': expected a release number such as 2.14.5"
  local dir="$cache_dir/nats-server-$NATS_VERSION"
  nats_server="$dir/nats-server"
  [[ -x $nats_server ]] && return 0
  [[ -x /usr/local/go/bin/go ]] && PATH="$PATH:/usr/local/go/bin"
  need go "Go builds nats-server $NATS_VERSION (go install)"
  log "building nats-server $NATS_VERSION with go install into $dir"
  mkdir -p "$dir"
  GOBIN="$dir" go install "github.com/nats-io/nats-server/v2@v$NATS_VERSION" \
    >"$cache_dir/go-install-nats-server-$NATS_VERSION.log" 2>&1 ||
    die 1 "go install of nats-server $NATS_VERSION failed; see $cache_dir/go-install-nats-server-$NATS_VERSION.log"
}
