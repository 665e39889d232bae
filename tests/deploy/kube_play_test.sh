#!/usr/bin/env bash
# The Helm chart as rendered, run: `helm template` with values for local brokers, then the
# StatefulSet's pod template (as the Pod the StatefulSet would make, <release>-brokerload-0), its
# ConfigMap and a Secret under `podman kube play`, with the image the Dockerfile builds
# (tests/deploy/build_image.sh). The test starts its own Kafka (deploy/local/brokers.sh) and a
# NATS server that wants a password, inside the pod's network namespace, so that the pod's
# 127.0.0.1 is theirs and port 9464 is the pod's own. Then:
#   - the pod comes up and every probe of the rendered pod answers 200 at its path, port and
#     scheme, without credentials (podman 4.3 runs none of them here: below);
#   - /metrics refuses a scrape without the basic-auth password (from the Secret) and answers
#     with it; on each target published, acked and consumed grow and stay together, nothing lost,
#     sent in the chart's default auto bursts (the log names their interval);
#   - the container runs as uid/gid 10001 with no capability, no_new_privs and a seccomp filter,
#     and its root file system and config directory are read-only;
#   - a new config written into the ConfigMap's directory as the kubelet does (a new timestamped
#     directory, then the `..data` symlink swapped) is reloaded in place:
#     brokerload_config_reloads_total{result="applied"} rises, the new rate runs;
#   - SIGTERM (podman stop) ends it with exit code 0;
#   - the uninstall hook (cleanupOnUninstall): the rendered Job's command line, user and config
#     (its own ConfigMap) delete the run's topics, streams and consumer group, as probe.py sees.
# What podman 4.3.1 (Debian 12) cannot do here, and what the test does instead:
#   - probes: kube play turns the liveness probe into a healthcheck that runs curl inside the
#     image (which has none) from a systemd timer (there is no systemd here), and ignores the
#     readiness and startup probes: the test asks every probe's URL itself;
#   - Secret volumes: kube play panics (nil pointer in kube.VolumeFromSecret) on any `secret:`
#     volume, so `secretMounts` are not run (helm_test.sh checks their rendering); the Secret
#     reaches the pod through `secretEnv` (secretKeyRef), which kube play reads from a podman
#     secret holding a JSON map of base64 values (a `kind: Secret` in the played file is stored
#     in a form its own secretKeyRef refuses), so the test creates that from the Secret;
#   - kube play takes neither --ulimit nor --runtime: a containers.conf gives what
#     ../shared/containers.md's flags give (runc, cgroupfs, explicit rlimits);
#   - a pod cannot join a named network namespace (`--network ns:` is refused for pods): the
#     brokers join the pod's instead (kube play --start=false, then its infra container first).
# usage: kube_play_test.sh   (root; podman, runc, catatonit, nsenter, helm, java, nats-server)
# Environment: KAFKA_VERSION (default 4.4.0), NATS_SERVER (default: nats-server on PATH).
set -euo pipefail
[[ -x /usr/local/go/bin/go ]] && PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null && PATH="$PATH:$(go env GOPATH)/bin"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
chart="$root/helm/brokerload"
for tool in podman runc catatonit nsenter helm curl python3 java; do
  command -v "$tool" >/dev/null || { echo "kube play test: $tool missing (scripts/install-deps.sh)" >&2; exit 1; }
done
nats_server=${NATS_SERVER:-$(command -v nats-server || true)}
[[ -x $nats_server ]] || { echo "kube play test: nats-server missing (scripts/install-deps.sh)" >&2; exit 1; }
log() { echo "kube play test: $*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

tmp=$(mktemp -d)
chmod 755 "$tmp"
release=kubeplay$$
secret=brokerload-kubeplay$$
podman=(podman --storage-driver vfs)
# kube play has no --ulimit or --runtime flag: the same settings from a containers.conf.
cat >"$tmp/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
export CONTAINERS_CONF="$tmp/containers.conf"
pod=""
cleanup() {
  local rc=$?
  if [[ $rc -ne 0 && -n $pod ]]; then
    log "container log (last 40 lines):"
    "${podman[@]}" logs --tail 40 "$pod-brokerload" >&2 2>&1 || true
  fi
  [[ -n $pod ]] && "${podman[@]}" pod rm -f -t 5 "$pod" >/dev/null 2>&1 || true
  "${podman[@]}" volume rm -f "$release-brokerload" >/dev/null 2>&1 || true
  "${podman[@]}" secret rm "$secret" >/dev/null 2>&1 || true
  # The server's own pid (its pid_file): $! is the namespace wrapper's, which a kill leaves
  # the server behind.
  [[ -s $tmp/nats.pid ]] && kill "$(cat "$tmp/nats.pid")" 2>/dev/null || true
  BROKERLOAD_BROKERS_DIR="$tmp/brokers" "$root/deploy/local/brokers.sh" stop kafka >/dev/null 2>&1 || true
  umount "$tmp/netns" 2>/dev/null || true
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT

image=$("$root/tests/deploy/build_image.sh")
started=$SECONDS

# The values an operator would write for these brokers; credentials from a Secret (secretEnv).
cat >"$tmp/values.yaml" <<YAML
image: {repository: ${image%:*}, tag: ${image##*:}, pullPolicy: Never}
config:
  targets:
    kafka: {bootstrap_servers: "127.0.0.1:9092"}
    nats: {servers: ["nats://127.0.0.1:4222"], user: brokerload, password: "\${env:NATS_PASSWORD}"}
  workload: {topic_prefix: kubeplay, topics: 2}
  profile: {rate: 200, burst_interval: auto}   # the chart's default profile's bursts
  run: {warmup: 2s, startup_timeout: 120s}
  metrics:
    listen: 0.0.0.0:9464
    basic_auth: {username: prometheus, password: "\${env:METRICS_PASSWORD}"}
secretEnv:
  - {name: NATS_PASSWORD, secretName: $secret, key: nats-password}
  - {name: METRICS_PASSWORD, secretName: $secret, key: metrics-password}
YAML
render() {  # output-file [helm args...]
  local out=$1; shift
  helm template "$release" "$chart" -f "$tmp/values.yaml" "$@" >"$out" 2>"$tmp/helm.err" ||
    { grep -v "found symbolic link" "$tmp/helm.err" >&2; fail "helm template"; }
}
render "$tmp/manifests.yaml" --set cleanupOnUninstall.enabled=true --set cleanupOnUninstall.wait=60s
pod="$release-brokerload-0"
ctr="$pod-brokerload"
"$root/tests/deploy/rendered.py" pod "$tmp/manifests.yaml" "$pod" >"$tmp/pod.yaml"
python3 - "$tmp/manifests.yaml" >"$tmp/configmap.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
yaml.safe_dump([d for d in docs if d["kind"] == "ConfigMap"][0], sys.stdout, sort_keys=False)
PY
{ cat "$tmp/configmap.yaml"; echo "---"; cat "$tmp/pod.yaml"; } >"$tmp/kube.yaml"

# The Secret, as `kubectl create secret generic` makes it, and in the form kube play reads.
nats_password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
metrics_password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
python3 - "$secret" "$nats_password" "$metrics_password" "$tmp" <<'PY'
import base64, json, sys, yaml
name, nats, metrics, tmp = sys.argv[1:]
data = {k: base64.b64encode(v.encode()).decode()
        for k, v in {"nats-password": nats, "metrics-password": metrics}.items()}
yaml.safe_dump({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
                "type": "Opaque", "data": data}, open(f"{tmp}/secret.yaml", "w"))
json.dump(data, open(f"{tmp}/secret.json", "w"))
PY
"${podman[@]}" secret create "$secret" "$tmp/secret.json" >/dev/null

# The pod without starting it; its infra container holds the pod's network namespace.
"${podman[@]}" kube play --start=false "$tmp/kube.yaml" >"$tmp/play.log" 2>&1 ||
  { cat "$tmp/play.log" >&2; fail "podman kube play"; }
infra=$("${podman[@]}" pod inspect --format '{{.InfraContainerID}}' "$pod")
"${podman[@]}" start "$infra" >/dev/null
# The namespace held by a bind mount too: podman stops the infra container once the pod's last
# container has stopped, and the uninstall hook runs after that, beside the brokers.
netns="$tmp/netns"
touch "$netns"
mount --bind "/proc/$("${podman[@]}" inspect --format '{{.State.Pid}}' "$infra")/ns/net" "$netns"
in_pod() { nsenter --net="$netns" "$@"; }

# The ConfigMap's directory as the kubelet lays it out: the file a symlink into ..data, itself a
# symlink to a timestamped directory, so that an update is one rename (the atomic writer).
cmdir=$("${podman[@]}" volume inspect --format '{{.Mountpoint}}' "$release-brokerload")
[[ -f $cmdir/brokerload.yaml ]] || fail "the ConfigMap volume holds no brokerload.yaml"
kubelet_write() {  # new content of brokerload.yaml on stdin
  local dir
  dir="..$(date -u +%Y_%m_%d_%H_%M_%S.%N)"
  mkdir "$cmdir/$dir"
  cat >"$cmdir/$dir/brokerload.yaml"
  chmod 755 "$cmdir/$dir"
  chmod 644 "$cmdir/$dir/brokerload.yaml"
  ln -s "$dir" "$cmdir/..data_tmp"
  mv -T "$cmdir/..data_tmp" "$cmdir/..data"
}
mv "$cmdir/brokerload.yaml" "$tmp/first.yaml"
kubelet_write <"$tmp/first.yaml"
ln -s ..data/brokerload.yaml "$cmdir/brokerload.yaml"

# The brokers, in the pod's network namespace: Kafka (brokers.sh) and a NATS server that asks for
# the password of the Secret.
log "starting Kafka ${KAFKA_VERSION:-4.4.0} and nats-server in the pod's network namespace"
in_pod env BROKERLOAD_BROKERS_DIR="$tmp/brokers" KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}" \
  "$root/deploy/local/brokers.sh" start kafka >"$tmp/brokers.log" 2>&1 ||
  { tail -20 "$tmp/brokers.log" >&2; fail "Kafka did not start"; }
cat >"$tmp/nats.conf" <<CONF
listen: 127.0.0.1:4222
pid_file: "$tmp/nats.pid"
jetstream { store_dir: "$tmp/nats-store" }
authorization { users: [{user: brokerload, password: "$nats_password"}] }
CONF
in_pod setsid "$nats_server" -c "$tmp/nats.conf" >"$tmp/nats.log" 2>&1 </dev/null &
for _ in $(seq 1 50); do
  in_pod bash -c 'exec 3<>/dev/tcp/127.0.0.1/4222' 2>/dev/null && break
  sleep 0.2
done

# (podman notes on stderr that it finds no systemd for the healthcheck timers.)
"${podman[@]}" pod start "$pod" >/dev/null 2>"$tmp/start.log" || { cat "$tmp/start.log" >&2; fail "pod start"; }
log "pod started $((SECONDS - started)) s after the render"
scrape() {  # path [curl args...]: the body; fails on a status other than 200
  local path=$1; shift
  in_pod curl -sf --max-time 5 "$@" "http://127.0.0.1:9464$path"
}
metrics() { scrape /metrics -u "prometheus:$metrics_password"; }

# Every probe of the rendered pod, asked as the kubelet would: its path, its port (by name),
# its scheme, no credentials. Readiness waits for brokerload's setup and its probe round trip.
python3 - "$tmp/pod.yaml" >"$tmp/probes" <<'PY'
import sys, yaml
pod = yaml.safe_load(open(sys.argv[1]))
c = pod["spec"]["containers"][0]
ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
    get = c[kind]["httpGet"]
    port = ports.get(get["port"], get["port"])
    print(kind, get.get("scheme", "HTTP").lower(), port, get["path"])
PY
[[ $(wc -l <"$tmp/probes") -eq 3 ]] || fail "the rendered pod lacks a probe"
while read -r kind scheme port path; do
  code=""
  for _ in $(seq 1 120); do
    code=$(in_pod curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$scheme://127.0.0.1:$port$path" </dev/null || true)
    [[ $code == 200 ]] && break
    state=$("${podman[@]}" inspect --format '{{.State.Status}}' "$ctr" </dev/null)
    [[ $state == running ]] || fail "the container is $state"
    sleep 1
  done
  [[ $code == 200 ]] || fail "$kind $scheme://:$port$path answered '$code'"
  log "$kind $path on port $port: 200"
done <"$tmp/probes"
log "pod ready $((SECONDS - started)) s after the render"

code=$(in_pod curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:9464/metrics")
[[ $code == 401 ]] || fail "/metrics without the password answered $code, expected 401"

# Published, acked and consumed on each target: all grow, stay within a second's rate of each
# other, and nothing is lost.
totals() {  # metrics-file: "target published acked consumed lost" per target
  python3 - "$1" <<'PY'
import re, sys
sums = {}
for line in open(sys.argv[1]):
    m = re.match(r'brokerload_messages_(published|acked|consumed|lost)_total\{([^}]*)\} (\S+)', line)
    if not m:
        continue
    target = re.search(r'target="([^"]+)"', m.group(2)).group(1)
    sums.setdefault(target, dict(published=0, acked=0, consumed=0, lost=0))[m.group(1)] += float(m.group(3))
for target, s in sorted(sums.items()):
    print(target, int(s["published"]), int(s["acked"]), int(s["consumed"]), int(s["lost"]))
PY
}
metrics >"$tmp/m1"
sleep 10
metrics >"$tmp/m2"
totals "$tmp/m1" >"$tmp/t1"
totals "$tmp/m2" >"$tmp/t2"
[[ $(cut -d' ' -f1 "$tmp/t2" | tr '\n' ' ') == "kafka nats " ]] || fail "targets on /metrics: $(cat "$tmp/t2")"
while read -r target published acked consumed lost; do
  read -r _ published0 acked0 consumed0 _ < <(grep "^$target " "$tmp/t1")
  log "$target: published $published0 -> $published, acked $acked0 -> $acked, consumed $consumed0 -> $consumed, lost $lost"
  for pair in "$published0 $published" "$acked0 $acked" "$consumed0 $consumed"; do
    read -r before after <<<"$pair"
    (( after - before >= 1000 )) || fail "$target: $before -> $after in 10 s at 200 msg/s"
  done
  (( published - acked <= 200 && acked - consumed <= 200 && consumed - acked <= 200 )) ||
    fail "$target: published $published, acked $acked, consumed $consumed apart by more than 1 s"
  (( lost == 0 )) || fail "$target: $lost lost"
done <"$tmp/t2"

# The chart's auto bursts in effect: 200 msg/s in 40 ms bursts (pacing::AutoBurstIntervalNs).
"${podman[@]}" logs "$ctr" 2>&1 | grep -q "sending in bursts (profile.burst_interval): warmup every 40 ms, constant every 40 ms" ||
  fail "no auto bursts logged: $("${podman[@]}" logs --tail 20 "$ctr" 2>&1)"
log "auto bursts: every 40 ms at 200 msg/s"

# Non-root, no capability, no privilege escalation, seccomp, read-only root and config.
[[ $("${podman[@]}" exec "$ctr" /usr/bin/id -u) == 10001 && $("${podman[@]}" exec "$ctr" /usr/bin/id -g) == 10001 ]] ||
  fail "exec id: $("${podman[@]}" exec "$ctr" /usr/bin/id)"
status="/proc/$("${podman[@]}" inspect --format '{{.State.Pid}}' "$ctr")/status"
grep -q "^Uid:[[:space:]]*10001[[:space:]]" "$status" || fail "brokerload's uid: $(grep ^Uid "$status")"
grep -q "^CapEff:[[:space:]]*0000000000000000$" "$status" || fail "capabilities: $(grep ^CapEff "$status")"
grep -q "^CapBnd:[[:space:]]*0000000000000000$" "$status" || fail "bounding set: $(grep ^CapBnd "$status")"
grep -q "^NoNewPrivs:[[:space:]]*1$" "$status" || fail "no_new_privs not set"
grep -q "^Seccomp:[[:space:]]*2$" "$status" || fail "no seccomp filter: $(grep ^Seccomp "$status")"
for file in /probe-write /etc/brokerload/probe-write /usr/local/bin/probe-write; do
  if "${podman[@]}" exec "$ctr" /bin/sh -c "echo x >$file" 2>"$tmp/write.err"; then
    fail "$file was writable"
  fi
  grep -q "Read-only file system" "$tmp/write.err" || fail "writing $file: $(cat "$tmp/write.err")"
done
log "uid/gid 10001, no capabilities, no_new_privs, seccomp, read-only root and config"

# A config change, as `helm upgrade --set config.profile.rate=300` would bring it.
applied() { metrics | awk '/^brokerload_config_reloads_total\{.*result="applied"/ {print int($2)}'; }
before=$(applied)
render "$tmp/upgraded.yaml" --set config.profile.rate=300
python3 -c '
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
sys.stdout.write([d for d in docs if d["kind"] == "ConfigMap"][0]["data"]["brokerload.yaml"])
' "$tmp/upgraded.yaml" >"$tmp/second.yaml"
grep -q "rate: 300" "$tmp/second.yaml" || fail "the upgraded ConfigMap has no rate 300"
kubelet_write <"$tmp/second.yaml"
reloaded=""
for _ in $(seq 1 30); do
  sleep 1
  metrics >"$tmp/m3"
  if [[ $(awk '/^brokerload_config_reloads_total\{.*result="applied"/ {print int($2)}' "$tmp/m3") -gt $before ]] &&
     [[ $(grep -c '^brokerload_target_messages_per_second{.*} 300$' "$tmp/m3") -eq 2 ]]; then
    reloaded=yes
    break
  fi
done
[[ -n $reloaded ]] || { grep "config_reloads_total\|target_messages_per_second" "$tmp/m3" >&2; fail "no reload applied"; }
log "config reloaded in place: reloads applied $before -> $(applied), both targets at 300 msg/s"

# SIGTERM: a graceful stop, exit code 0. (The container only: the brokers live in the pod's
# network namespace, which its infra container holds.)
"${podman[@]}" stop -t 40 "$ctr" >/dev/null 2>"$tmp/stop.log" || { cat "$tmp/stop.log" >&2; fail "stop"; }
code=$("${podman[@]}" inspect --format '{{.State.ExitCode}}' "$ctr")
[[ $code == 0 ]] || fail "exit code $code after SIGTERM"

# The uninstall hook: the rendered Job's container (its args, user and config ConfigMap), run in
# the pod's network namespace (kube play's pods cannot join one), after the pod has stopped.
probe() { in_pod python3 "$root/deploy/local/probe.py" "$@"; }
[[ $(probe kafka-topics 127.0.0.1:9092 kubeplay) == $'kubeplay-p0-0\nkubeplay-p0-1' ]] ||
  fail "before the hook: Kafka topics $(probe kafka-topics 127.0.0.1:9092 kubeplay)"
mkdir -p "$tmp/hook"
python3 - "$tmp/manifests.yaml" "$tmp/hook" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
hooks = [d for d in docs if d["metadata"].get("annotations", {}).get("helm.sh/hook") == "post-delete"]
job = next(d for d in hooks if d["kind"] == "Job")
spec = job["spec"]["template"]["spec"]
config_map = next(v["configMap"]["name"] for v in spec["volumes"] if v["name"] == "config")
cm = next(d for d in hooks if d["kind"] == "ConfigMap" and d["metadata"]["name"] == config_map)
open(f"{sys.argv[2]}/brokerload.yaml", "w").write(cm["data"]["brokerload.yaml"])
container = spec["containers"][0]
user = f'{spec["securityContext"]["runAsUser"]}:{spec["securityContext"]["runAsGroup"]}'
open(f"{sys.argv[2]}/run", "w").write("\n".join([user] + container["args"]) + "\n")
open(f"{sys.argv[2]}/env", "w").write("\n".join(e["name"] for e in container.get("env", [])) + "\n")
PY
chmod -R a+rX "$tmp/hook"
mapfile -t hook_run <"$tmp/hook/run"
env_args=()
while read -r name; do
  case $name in
    NATS_PASSWORD) env_args+=(-e "NATS_PASSWORD=$nats_password") ;;
    METRICS_PASSWORD) env_args+=(-e "METRICS_PASSWORD=$metrics_password") ;;
    "") ;;
    *) fail "the hook's container wants $name, which the test does not have" ;;
  esac
done <"$tmp/hook/env"
"${podman[@]}" run --rm --network "ns:$netns" --user "${hook_run[0]}" --read-only \
  --cap-drop ALL --security-opt no-new-privileges "${env_args[@]}" \
  -v "$tmp/hook:/etc/brokerload:ro" "$image" "${hook_run[@]:1}" >"$tmp/hook.out" 2>&1 ||
  { cat "$tmp/hook.out" >&2; fail "the uninstall hook's cleanup failed"; }
for deleted in "kafka: deleted topic kubeplay-p0-0" "kafka: deleted topic kubeplay-p0-1" \
    "nats: deleted stream kubeplay-p0-0" "kafka: deleted consumer group"; do
  grep -qF "$deleted" "$tmp/hook.out" || { cat "$tmp/hook.out" >&2; fail "the hook did not say '$deleted'"; }
done
[[ -z $(probe kafka-topics 127.0.0.1:9092 kubeplay) ]] || fail "Kafka topics after the hook"
log "uninstall hook: $(grep -c deleted "$tmp/hook.out") names deleted, none left on Kafka"
log "passed in $((SECONDS - started)) s (image build not counted)"
