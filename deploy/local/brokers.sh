#!/usr/bin/env bash
# Starts and stops real brokers on loopback for local runs and integration tests:
# a NATS server with JetStream and a single-node Apache Kafka broker in KRaft mode.
#
# usage: deploy/local/brokers.sh start|stop|status [kafka] [nats]   (default: both)
#
# SECURE=1 adds secured listeners (docs/security.md), with certificates and credentials made at
# start in $BROKERLOAD_BROKERS_DIR/secure (a CA, a server certificate for localhost and
# 127.0.0.1, a client certificate, a second CA that signed nothing of these, and a server
# certificate from the right CA that expired the day before it was made):
#   Kafka: SASL_SSL with SCRAM-SHA-256/512 user brokerload (created at format time by Kafka's
#          storage tool) on KAFKA_SASL_SSL_PORT [KAFKA_PORT+2], SSL requiring a client
#          certificate (principal User:CN=brokerload) on KAFKA_MTLS_PORT [KAFKA_PORT+3], and SSL
#          presenting the expired certificate on KAFKA_EXPIRED_PORT [KAFKA_PORT+4]. An
#          authorizer (StandardAuthorizer) gives those two principals exactly the ACLs
#          docs/security.md lists, for topics and groups prefixed brokerload-; PLAINTEXT
#          (inter-broker traffic, the readiness probe, unsecured tests) is a super user.
#   NATS:  TLS with user brokerload by password and an NKey user on NATS_TLS_PORT [NATS_PORT+1];
#          TLS with decentralized JWT auth (operator, accounts in a memory resolver, a
#          credentials file) on NATS_JWT_PORT [NATS_PORT+2]; TLS where the client certificate is
#          the identity (verify_and_map, user CN=brokerload) on NATS_MTLS_PORT [NATS_PORT+3];
#          TLS presenting the expired certificate on NATS_EXPIRED_PORT [NATS_PORT+4]; TLS with
#          a token on NATS_TOKEN_PORT [NATS_PORT+5]. Plain NATS stays on NATS_PORT.
#
# Environment (defaults in brackets):
#   KAFKA_PORT [9092]  KAFKA_CONTROLLER_PORT [KAFKA_PORT+1]  NATS_PORT [4222]
#   KAFKA_VERSION [3.9.1]          Apache Kafka version fetched from Maven Central (3.x or 4.x)
#   NATS_VERSION [unset: Debian's nats-server]  a nats-server release built once with go install
#   BROKERLOAD_BROKERS_DIR [/tmp/brokerload-brokers]  state: pids, logs, data; removed by stop
#   BROKERLOAD_CACHE_DIR [~/.cache/brokerload]        Maven jars, kept between runs
#   BROKERS_START_TIMEOUT [90]     seconds to wait for each broker to become ready
#   KAFKA_HEAP_OPTS [-Xms512m -Xmx1g]
#
# After start, $BROKERLOAD_BROKERS_DIR/env holds KAFKA_BOOTSTRAP=..., KAFKA_LIBS=... (the
# broker's jars, whose tools the benchmarks' peer runs), NATS_URL=... and
# NATS_STORE_DIR=... (the server's JetStream store directory); with
# SECURE=1 also KAFKA_SASL_SSL, KAFKA_MTLS, KAFKA_EXPIRED, NATS_TLS_URL, NATS_JWT_URL,
# NATS_MTLS_URL, NATS_EXPIRED_URL, NATS_TOKEN_URL and SECURE_DIR (ca.pem,
# client.pem, client-key.pem, other-ca.pem, kafka.password, nats.password, nats.token,
# nkey-user.seed, user.creds).
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
secure=${SECURE:-0}
sasl_ssl_port=${KAFKA_SASL_SSL_PORT:-$((kafka_port + 2))}
mtls_port=${KAFKA_MTLS_PORT:-$((kafka_port + 3))}
nats_tls_port=${NATS_TLS_PORT:-$((nats_port + 1))}
nats_jwt_port=${NATS_JWT_PORT:-$((nats_port + 2))}
nats_mtls_port=${NATS_MTLS_PORT:-$((nats_port + 3))}
nats_expired_port=${NATS_EXPIRED_PORT:-$((nats_port + 4))}
nats_token_port=${NATS_TOKEN_PORT:-$((nats_port + 5))}
kafka_expired_port=${KAFKA_EXPIRED_PORT:-$((kafka_port + 4))}
secure_dir=$state_dir/secure

log_name=brokers
# shellcheck source=deploy/local/lib.sh
source "$here/lib.sh"
reuse_started_versions

wait_ready() {  # name address log
  wait_ready_with "$1" "$1" "$2" "$3"
}

# Certificates and credentials for SECURE=1, made once per state directory.
make_secrets() {
  [[ -f $secure_dir/.complete ]] && return 0
  need openssl "Debian package openssl makes the certificates"
  need go "Go builds deploy/local/natsauth (NATS JWTs and NKeys)"
  mkdir -p "$secure_dir"
  chmod 700 "$secure_dir"
  (
    cd "$secure_dir"
    exec >"$state_dir/secrets.log" 2>&1
    set -x
    for ca in ca other-ca; do
      openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=brokerload local $ca" \
        -keyout "$ca-key.pem" -out "$ca.pem" -addext basicConstraints=critical,CA:TRUE
    done
    sign() {  # name subject extensions [days]
      openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$1-key.pem" -out "$1.csr"
      printf '%s\n' "$3" >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
        -days "${4:-30}" -extfile "$1.ext" -out "$1.pem"
    }
    server_ext="subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"
    sign server /CN=localhost "$server_ext"
    sign expired /CN=localhost "$server_ext" -1  # not after: a day before it was made
    sign client /CN=brokerload "extendedKeyUsage=clientAuth"
    cat server-key.pem server.pem >server-keystore.pem
    cat expired-key.pem expired.pem >expired-keystore.pem
    python3 -c 'import secrets; print(secrets.token_hex(16))' >kafka.password
    python3 -c 'import secrets; print(secrets.token_hex(16))' >nats.password
    python3 -c 'import secrets; print(secrets.token_hex(16))' >nats.token
    # A copy of the client key encrypted with a password, for ssl.key.password.
    python3 -c 'import secrets; print(secrets.token_hex(16))' >client-key.password
    openssl pkcs8 -topk8 -in client-key.pem -out client-key-encrypted.pem \
      -passout file:client-key.password
  ) || die 1 "making certificates failed; see $state_dir/secrets.log"
  local natsauth="$cache_dir/natsauth"
  if [[ ! -x $natsauth || $here/natsauth/main.go -nt $natsauth ]]; then
    log "building deploy/local/natsauth (NATS JWTs and NKeys)"
    (cd "$here/natsauth" && go build -o "$natsauth" .) >>"$state_dir/secrets.log" 2>&1 ||
      die 1 "go build of deploy/local/natsauth failed; see $state_dir/secrets.log"
  fi
  "$natsauth" "$secure_dir" >>"$state_dir/secrets.log" 2>&1 ||
    die 1 "natsauth failed; see $state_dir/secrets.log"
  touch "$secure_dir/.complete"
}

# One nats-server with TLS: name port auth-config [tls-extra] [certificate name]
start_nats_secure() {
  local name=$1 port=$2 conf="$state_dir/$1.conf" cert=${5:-server}
  if pid_alive "$state_dir/$name.pid"; then log "$name already running"; return 0; fi
  mkdir -p "$state_dir/$name-store"
  cat >"$conf" <<CONF
listen: 127.0.0.1:$port
jetstream { store_dir: "$state_dir/$name-store" }
tls {
  cert_file: "$secure_dir/$cert.pem", key_file: "$secure_dir/$cert-key.pem", timeout: 3
  ${4:-}
}
$3
CONF
  setsid "$nats_server" -c "$conf" >"$state_dir/$name.log" 2>&1 </dev/null &
  echo $! >"$state_dir/$name.pid"
  wait_ready_with nats-info "$name" "127.0.0.1:$port" "$state_dir/$name.log"
}

start_nats() {
  find_nats_server
  if pid_alive "$state_dir/nats.pid"; then log "nats already running"; return 0; fi
  mkdir -p "$state_dir/nats-store"
  setsid "$nats_server" -js -a 127.0.0.1 -p "$nats_port" -sd "$state_dir/nats-store" \
    >"$state_dir/nats.log" 2>&1 </dev/null &
  echo $! >"$state_dir/nats.pid"
  wait_ready nats "127.0.0.1:$nats_port" "$state_dir/nats.log"
  echo "NATS_URL=nats://127.0.0.1:$nats_port" >>"$state_dir/env"
  echo "NATS_STORE_DIR=$state_dir/nats-store" >>"$state_dir/env"
  log "nats ready at nats://127.0.0.1:$nats_port (JetStream, store $state_dir/nats-store)"
  [[ $secure == 1 ]] || return 0
  start_nats_secure nats-tls "$nats_tls_port" "authorization {
  users: [
    {user: brokerload, password: \"$(cat "$secure_dir/nats.password")\"}
    {nkey: $(cat "$secure_dir/nkey-user.pub")}
  ]
}"
  start_nats_secure nats-jwt "$nats_jwt_port" "include \"secure/operator.conf\""  # relative to the config file
  # The client certificate is the identity: its subject names the user.
  start_nats_secure nats-mtls "$nats_mtls_port" "authorization { users: [{user: \"CN=brokerload\"}] }" \
    "ca_file: \"$secure_dir/ca.pem\", verify_and_map: true"
  start_nats_secure nats-expired "$nats_expired_port" "" "" expired
  start_nats_secure nats-token "$nats_token_port" "authorization { token: \"$(cat "$secure_dir/nats.token")\" }"
  {
    echo "NATS_TLS_URL=tls://localhost:$nats_tls_port"
    echo "NATS_JWT_URL=tls://localhost:$nats_jwt_port"
    echo "NATS_MTLS_URL=tls://localhost:$nats_mtls_port"
    echo "NATS_EXPIRED_URL=tls://localhost:$nats_expired_port"
    echo "NATS_TOKEN_URL=tls://localhost:$nats_token_port"
  } >>"$state_dir/env"
  log "nats TLS (password, NKey) at tls://localhost:$nats_tls_port, TLS with JWT auth at" \
    "tls://localhost:$nats_jwt_port, TLS with client certificates at" \
    "tls://localhost:$nats_mtls_port, an expired certificate at tls://localhost:$nats_expired_port," \
    "a token at tls://localhost:$nats_token_port"
}

start_kafka() {
  need java "a JDK 17 or newer"
  if pid_alive "$state_dir/kafka.pid"; then log "kafka already running"; return 0; fi
  fetch_kafka_jars
  local conf="$state_dir/kafka.properties"
  mkdir -p "$state_dir/kafka-data"
  local listeners="PLAINTEXT://127.0.0.1:$kafka_port"
  local protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT" format_args=()
  if [[ $secure == 1 ]]; then
    listeners+=",SASL_SSL://127.0.0.1:$sasl_ssl_port,SSL://127.0.0.1:$mtls_port"
    listeners+=",EXPIRED://127.0.0.1:$kafka_expired_port"
    protocols+=",SASL_SSL:SASL_SSL,SSL:SSL,EXPIRED:SSL"
    local password
    password=$(cat "$secure_dir/kafka.password")
    format_args=(--add-scram "SCRAM-SHA-512=[name=brokerload,password=$password]"
      --add-scram "SCRAM-SHA-256=[name=brokerload,password=$password]")
  fi
  cat >"$conf" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=$listeners,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=$listeners
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocols
log.dirs=$state_dir/kafka-data
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
PROPS
  if [[ $secure == 1 ]]; then
    cat >>"$conf" <<PROPS
ssl.keystore.type=PEM
ssl.keystore.location=$secure_dir/server-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$secure_dir/ca.pem
listener.name.ssl.ssl.client.auth=required
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.expired.ssl.keystore.type=PEM
listener.name.expired.ssl.keystore.location=$secure_dir/expired-keystore.pem
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:ANONYMOUS
PROPS
  fi
  write_kafka_log4j "$state_dir/log4j.properties"
  local java_opts=(-cp "$jars_dir/*" "${kafka_log_opts[@]}")
  # Formatted once per state directory: a restart (after a crash or `stop kafka`) keeps the
  # cluster id and the data, as a real broker's restart does.
  if [[ -f $state_dir/kafka-data/meta.properties ]]; then
    log "kafka: restarting on the existing data in $state_dir/kafka-data"
  elif ! java "${java_opts[@]}" kafka.tools.StorageTool format \
      -t "$(python3 "$here/probe.py" uuid)" -c "$conf" "${format_args[@]}" \
      >"$state_dir/kafka-format.log" 2>&1; then
    die 1 "kafka storage format failed; see its log $state_dir/kafka-format.log"
  fi
  # shellcheck disable=SC2086
  setsid java ${KAFKA_HEAP_OPTS:--Xms512m -Xmx1g} -XX:+UseG1GC -Djava.awt.headless=true \
    "${java_opts[@]}" kafka.Kafka "$conf" >"$state_dir/kafka.log" 2>&1 </dev/null &
  echo $! >"$state_dir/kafka.pid"
  wait_ready kafka "127.0.0.1:$kafka_port" "$state_dir/kafka.log"
  {
    echo "KAFKA_BOOTSTRAP=127.0.0.1:$kafka_port"
    echo "KAFKA_LIBS=$jars_dir"  # the broker's own jars: its tools (bench's peer) match it
  } >>"$state_dir/env"
  log "kafka $kafka_version ready at 127.0.0.1:$kafka_port (KRaft, data $state_dir/kafka-data)"
  [[ $secure == 1 ]] || return 0
  grant_kafka_acls "${java_opts[@]}"
  {
    echo "KAFKA_SASL_SSL=127.0.0.1:$sasl_ssl_port"
    echo "KAFKA_MTLS=127.0.0.1:$mtls_port"
    echo "KAFKA_EXPIRED=127.0.0.1:$kafka_expired_port"
  } >>"$state_dir/env"
  log "kafka SASL_SSL (SCRAM) at 127.0.0.1:$sasl_ssl_port, SSL with client certificates at" \
    "127.0.0.1:$mtls_port, an expired certificate at 127.0.0.1:$kafka_expired_port"
}

# The ACLs docs/security.md lists, for the SCRAM user and the client certificate's principal,
# granted by Kafka's own tool over PLAINTEXT (a super user). One JVM per resource type.
grant_kafka_acls() {  # java options
  local tool=kafka.admin.AclCommand  # Kafka 3.x; 4.x moved it to the tools module
  [[ ${kafka_version%%.*} -ge 4 ]] && tool=org.apache.kafka.tools.AclCommand
  local acl=("$@" "$tool" --bootstrap-server "127.0.0.1:$kafka_port" --add
    --allow-principal User:brokerload --allow-principal User:CN=brokerload)
  {
    java "${acl[@]}" --operation Describe --operation Write --operation Read --operation Create \
      --topic brokerload- --resource-pattern-type prefixed &&
      java "${acl[@]}" --operation Read --group brokerload- --resource-pattern-type prefixed &&
      java "${acl[@]}" --operation DescribeConfigs --cluster
  } >"$state_dir/kafka-acls.log" 2>&1 || die 1 "granting Kafka ACLs failed; see $state_dir/kafka-acls.log"
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
    if [[ $secure == 1 ]]; then
      make_secrets
      echo "SECURE_DIR=$secure_dir" >>"$state_dir/env"
    fi
    # A broker that fails to start stops those this command started, so that no half-started
    # pair is left behind.
    started=()
    stop_started() {
      local rc=$?
      ((rc == 0)) && return 0
      for s in "${started[@]}"; do
        stop_one "$s" || true
        if [[ $s == nats ]]; then
          for secured in nats-tls nats-jwt nats-mtls nats-expired nats-token; do stop_one "$secured" || true; done
        fi
      done
      exit "$rc"
    }
    trap stop_started EXIT
    for b in "${brokers[@]}"; do
      started+=("$b")
      "start_$b"
    done
    trap - EXIT
    cat "$state_dir/env"
    ;;
  stop)
    for b in "${brokers[@]}"; do
      stop_one "$b"
      if [[ $b == nats ]]; then
        for secured in nats-tls nats-jwt nats-mtls nats-expired nats-token; do stop_one "$secured"; done
      fi
    done
    if [[ -d $state_dir ]] && ! ls "$state_dir"/*.pid >/dev/null 2>&1; then
      rm -rf "$state_dir"
    fi
    ;;
  status)
    rc=0
    for b in "${brokers[@]}"; do status_one "$b" || rc=1; done
    if [[ $secure == 1 ]] && [[ " ${brokers[*]} " == *" nats "* ]]; then
      for secured in nats-tls nats-jwt nats-mtls nats-expired nats-token; do status_one "$secured" || rc=1; done
    fi
    exit "$rc"
    ;;
  *)
    sed -n '2,39p' "${BASH_SOURCE[0]}" >&2
    exit 2
    ;;
esac
