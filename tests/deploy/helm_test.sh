#!/usr/bin/env bash
# The Helm chart: helm lint (with values.schema.json), helm template with the default values, the
# full values and each file of tests/deploy/values/; the rendered manifests decoded strictly into
# the Kubernetes API types and every pod evaluated against the Pod Security Standards
# "restricted" profile by Kubernetes' own evaluator (tests/deploy/k8svalidate, built from the
# Kubernetes Go modules: the usual schema validators fetch their schemas from the network); the
# rendered brokerload config accepted by `brokerload validate-config` (its files in Secrets the pod
# mounts, its ${env:NAME} in the container's environment); values that would render a config
# brokerload refuses failing `helm template` with the reason; the PrometheusRule carrying the
# rules of deploy/prometheus/brokerload-rules.yml (one template, templates/_rules.tpl) with the
# release's `rules` values, and the dashboards ConfigMap carrying exactly the repository's files.
# usage: helm_test.sh BROKERLOAD_BINARY   (helm from scripts/install-deps.sh; k8svalidate is built
#        on first use)
set -euo pipefail
[[ $# -eq 1 && -x $1 ]] || { echo "usage: helm_test.sh BROKERLOAD_BINARY" >&2; exit 64; }
brokerload=$1
# The machine's Go toolchain may live outside PATH.
[[ -x /usr/local/go/bin/go ]] && PATH="$PATH:/usr/local/go/bin"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
chart="$root/helm/brokerload"
cache=${BROKERLOAD_CACHE_DIR:-${HOME:-/root}/.cache/brokerload}
command -v go >/dev/null || { echo "go missing: run scripts/install-deps.sh" >&2; exit 1; }
export PATH="$PATH:$(go env GOPATH)/bin"
command -v helm >/dev/null || { echo "helm missing: run scripts/install-deps.sh" >&2; exit 1; }
validator="$cache/k8svalidate"
if [[ ! -x $validator || "$root/tests/deploy/k8svalidate/main.go" -nt $validator ||
      "$root/tests/deploy/k8svalidate/go.mod" -nt $validator ]]; then
  mkdir -p "$cache"
  (cd "$root/tests/deploy/k8svalidate" && go build -o "$validator" .)
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Helm notes each symlinked file (the dashboards, included from the repository). The
# filter runs before helm returns (a process substitution would still be writing the caller's
# error file when the checks below read it).
helm() {
  local rc=0
  command helm "$@" 2>"$tmp/helm-stderr" || rc=$?
  grep -v "found symbolic link in path" "$tmp/helm-stderr" >&2 || true
  return "$rc"
}
# Every values file: lint, render, decode, "restricted", and the config brokerload accepts.
# (tests/deploy/values/invalid-*.yaml are refused, below.)
valid_values=("$root/tests/deploy/full-values.yaml")
for values in "$root"/tests/deploy/values/*.yaml; do
  [[ $(basename "$values") == invalid-* ]] || valid_values+=("$values")
done
render_and_validate() {  # name [helm args...]: $tmp/<name>.yaml, checked
  local name=$1; shift
  helm lint "$chart" "$@" >/dev/null
  helm template test "$chart" "$@" >"$tmp/$name.yaml"
  "$validator" <"$tmp/$name.yaml" >/dev/null
  mkdir -p "$tmp/config-$name"
  "$root/tests/deploy/rendered.py" config "$tmp/$name.yaml" "$tmp/config-$name"
  # shellcheck disable=SC2046
  env $(cat "$tmp/config-$name/env") "$brokerload" validate-config "$tmp/config-$name/brokerload.yaml" \
    >"$tmp/validate.out" 2>&1 ||
    { cat "$tmp/validate.out" >&2; echo "helm: $name: brokerload refuses the rendered config" >&2; exit 1; }
}
render_and_validate default
render_and_validate full -f "$root/tests/deploy/full-values.yaml"
for values in "${valid_values[@]:1}"; do
  render_and_validate "$(basename "$values" .yaml)" -f "$values"
done
# The rendered config of a values file: its ConfigMap's brokerload.yaml.
config_of() { sed -n '/^  brokerload.yaml: |$/,/^---/p' "$tmp/$1.yaml"; }

# A section of `config` replaces the default section whole: a Kafka-only or NATS-only install by
# writing that target alone; a profile of stages or the builtin seed without the default rate.
config_of kafka-only | grep -q "bootstrap_servers: kafka-0.kafka:9092" || { echo "helm: kafka-only: no kafka" >&2; exit 1; }
if config_of kafka-only | grep -q "nats:"; then echo "helm: kafka-only renders the default NATS target" >&2; exit 1; fi
config_of nats-only | grep -q "nats://nats-0.nats:4222" || { echo "helm: nats-only: no nats" >&2; exit 1; }
if config_of nats-only | grep -q "kafka:"; then echo "helm: nats-only renders the default Kafka target" >&2; exit 1; fi
if config_of stages | grep -q "^      rate: 1000$"; then echo "helm: the default rate beside stages" >&2; exit 1; fi
# The default profile is a canary's: bursts chosen from the rate (brokerload accepted it above).
config_of default | grep -q "^      burst_interval: auto$" ||
  { config_of default >&2; echo "helm: the default profile does not send in auto bursts" >&2; exit 1; }
if config_of stages | grep -q "burst_interval"; then echo "helm: the default bursts beside stages" >&2; exit 1; fi
config_of seed | grep -q "builtin: seed" && config_of seed | grep -q "^      rate: 10000$" ||
  { config_of seed >&2; echo "helm: the seed profile at 10000 not rendered as written" >&2; exit 1; }
config_of full | grep -q "^      keys: 64$"
# Sections left out keep their default; topics_per_replica is added to a workload without it.
config_of stages | grep -q "bootstrap_servers: kafka:9092"
helm template test "$chart" --set config.workload.topics=10 --show-only templates/configmap.yaml >"$tmp/workload.yaml"
grep -q "^      topics: 10$" "$tmp/workload.yaml" && grep -q "topics_per_replica: true" "$tmp/workload.yaml" ||
  { cat "$tmp/workload.yaml" >&2; echo "helm: a workload written lost topics_per_replica" >&2; exit 1; }
if grep -q "message_size" "$tmp/workload.yaml"; then
  echo "helm: the default workload merged into the one written" >&2; exit 1
fi
# Values that render a config brokerload refuses fail with brokerload's reason.
expect_refused() {  # what-the-message-says helm-args...
  local message=$1; shift
  if helm template test "$chart" "$@" >/dev/null 2>"$tmp/err"; then
    echo "helm: accepted $*" >&2; exit 1
  fi
  grep -qF -- "$message" "$tmp/err" || { cat "$tmp/err" >&2; echo "helm: $* refused without '$message'" >&2; exit 1; }
}
expect_refused "config.profile: expected either stages, or rate (with an optional builtin), not both" \
  -f "$root/tests/deploy/values/invalid-profile.yaml"
expect_refused "config.targets: expected at least one enabled target (kafka or nats)" \
  -f "$root/tests/deploy/values/invalid-targets.yaml"
expect_refused "config.profile.stages[0]: expected exactly one of duration and messages" \
  --set 'config.profile.stages[0].rate=10'
expect_refused "config.profile.max_in_flight: expected no value without rate: max" \
  --set config.profile.rate=100 --set config.profile.max_in_flight=10
expect_refused "config.profile.burst_interval: expected no value but auto with rate: max" \
  --set config.profile.rate=max --set config.profile.burst_interval=5ms
# The default profile's `burst_interval: auto` beside an unpaced rate is none, not a refusal.
render_and_validate default-unpaced --set configDefaults.profile.rate=max
# The schema: brokerload's sections and keys it knows (unknown keys refused), at every level.
expect_refused "additional properties 'bogus' not allowed" --set bogus=1
expect_refused "additional properties 'profiles' not allowed" --set config.profiles.rate=1
expect_refused "additional properties 'rabbitmq' not allowed" --set config.targets.rabbitmq.url=x
expect_refused "additional properties 'ratee' not allowed" --set config.profile.ratee=1
expect_refused "podDisruptionBudget: minAvailable or maxUnavailable, not both" --set podDisruptionBudget.enabled=true \
  --set podDisruptionBudget.minAvailable=1 --set podDisruptionBudget.maxUnavailable=1
expect_refused "/image/digest" --set image.digest=latest

# Pod Security: the default pod passes "restricted" (above, for every values file); it mounts no
# service account token. With realtimePublisher (uid 0 with CAP_SYS_NICE alone) it passes only
# "privileged": SYS_NICE is outside "baseline"'s capabilities.
grep -q "automountServiceAccountToken: false" "$tmp/default.yaml"
"$validator" -report-level <"$tmp/default.yaml" >"$tmp/level"
grep -q "StatefulSet/test-brokerload restricted$" "$tmp/level" || { cat "$tmp/level" >&2; exit 1; }
helm template test "$chart" --set realtimePublisher=true >"$tmp/realtime.yaml"
"$validator" -pod-security privileged -report-level <"$tmp/realtime.yaml" >"$tmp/level" ||
  { echo "helm: realtimePublisher: invalid manifests" >&2; exit 1; }
grep -q "StatefulSet/test-brokerload privileged$" "$tmp/level" || { cat "$tmp/level" >&2; exit 1; }
if "$validator" -pod-security baseline <"$tmp/realtime.yaml" >/dev/null 2>"$tmp/err"; then
  echo "helm: realtimePublisher passes baseline: values.yaml says it does not" >&2; exit 1
fi
grep -q 'non-default capabilities (container "brokerload" must not include "SYS_NICE"' "$tmp/err" ||
  { cat "$tmp/err" >&2; exit 1; }
sed -n '/^          securityContext:$/,/^          volumeMounts:$/p' "$tmp/realtime.yaml" >"$tmp/rt-sc"
grep -q "runAsUser: 0" "$tmp/rt-sc" && grep -q -- "- SYS_NICE" "$tmp/rt-sc" && grep -q -- "- ALL" "$tmp/rt-sc" &&
  grep -q "allowPrivilegeEscalation: false" "$tmp/rt-sc" && grep -q "readOnlyRootFilesystem: true" "$tmp/rt-sc" ||
  { cat "$tmp/rt-sc" >&2; echo "helm: realtimePublisher's securityContext" >&2; exit 1; }
# The evaluator refuses what the chart no longer renders: a pod without seccompProfile.
if helm template test "$chart" --set podSecurityContext.seccompProfile=null | "$validator" >/dev/null 2>&1; then
  echo "helm: k8svalidate accepted a pod without seccompProfile under restricted" >&2; exit 1
fi
# Resources: a memory limit, no CPU limit (a CFS quota would pause brokerload inside what it measures).
sed -n '/^          resources:$/,/^          securityContext:$/p' "$tmp/default.yaml" >"$tmp/resources"
grep -q "memory: " "$tmp/resources"
if sed -n '/limits:/,/requests:/p' "$tmp/resources" | grep -q "cpu:"; then
  echo "helm: a CPU limit by default" >&2; exit 1
fi
# Optional objects and pod settings: off by default, rendered by the full values (decoded above).
for kind in PodDisruptionBudget NetworkPolicy; do
  if grep -q "^kind: $kind$" "$tmp/default.yaml"; then echo "helm: $kind by default" >&2; exit 1; fi
  grep -q "^kind: $kind$" "$tmp/full.yaml" || { echo "helm: full values: no $kind" >&2; exit 1; }
done
grep -q 'image: "registry.example/brokerload@sha256:4c2c5a8e' "$tmp/full.yaml"
grep -q 'image: "brokerload:0.1.0"' "$tmp/default.yaml"
for expected in "- name: regcred" "priorityClassName: load-testing" "cost-center: load-testing" \
    'sidecar.istio.io/inject: "false"' "topologyKey: kubernetes.io/hostname" "minAvailable: 2" \
    "key: node-role"; do
  grep -qF -- "$expected" "$tmp/full.yaml" || { echo "helm: full values: no '$expected'" >&2; exit 1; }
done
# The uninstall hook (cleanupOnUninstall): none by default; in the full values a post-delete Job
# (its pod judged "restricted" above) running cleanup over every replica's names with the wait,
# on a hook ConfigMap carrying the release's config, and its own NetworkPolicy's way out.
if grep -q "^kind: Job$" "$tmp/default.yaml"; then echo "helm: an uninstall hook by default" >&2; exit 1; fi
python3 - "$tmp/full.yaml" <<'PY' || { echo "helm: full values: the uninstall hook is not as values.yaml says" >&2; exit 1; }
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
hook = lambda d: d["metadata"].get("annotations", {}).get("helm.sh/hook")
job = next(d for d in docs if d["kind"] == "Job")
assert hook(job) == "post-delete", hook(job)
spec = job["spec"]["template"]["spec"]
args = spec["containers"][0]["args"]
assert args == ["cleanup", "--config", "/etc/brokerload/brokerload.yaml", "--replicas", "3", "--wait", "3m"], args
cm_name = next(v["configMap"]["name"] for v in spec["volumes"] if v["name"] == "config")
cm = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == cm_name)
release = next(d for d in docs if d["kind"] == "ConfigMap" and not hook(d) and "brokerload.yaml" in d["data"])
assert hook(cm) == "post-delete" and cm["data"]["brokerload.yaml"] == release["data"]["brokerload.yaml"]
assert int(cm["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(job["metadata"]["annotations"]["helm.sh/hook-weight"])
policy = next(d for d in docs if d["kind"] == "NetworkPolicy" and hook(d) == "post-delete")
labels = job["spec"]["template"]["metadata"]["labels"]
assert all(labels.get(k) == v for k, v in policy["spec"]["podSelector"]["matchLabels"].items())
release_policy = next(d for d in docs if d["kind"] == "NetworkPolicy" and not hook(d))
assert policy["spec"]["egress"] == release_policy["spec"]["egress"]
PY
for wait in 2 5s 0m 0h; do
  if helm template test "$chart" --set cleanupOnUninstall.enabled=true --set cleanupOnUninstall.wait=$wait >/dev/null 2>&1; then
    echo "helm: the chart accepted cleanupOnUninstall.wait=$wait (brokerload refuses it at uninstall)" >&2; exit 1
  fi
done
# The NetworkPolicy: DNS, the brokers' ports from the targets and extraPorts, the metrics port in.
sed -n '/^kind: NetworkPolicy$/,/^---/p' "$tmp/full.yaml" >"$tmp/netpol"
for port in "port: 53, protocol: UDP" "port: 9094, protocol: TCP" "port: 4222, protocol: TCP" \
    "port: 9095, protocol: TCP" "port: metrics, protocol: TCP"; do
  grep -qF "{$port}" "$tmp/netpol" || { cat "$tmp/netpol" >&2; echo "helm: NetworkPolicy lacks $port" >&2; exit 1; }
done
helm template test "$chart" -f "$root/tests/deploy/values/kafka-only.yaml" --set networkPolicy.enabled=true \
  --show-only templates/networkpolicy.yaml >"$tmp/netpol-kafka"
[[ $(grep -c "port: 9092, protocol: TCP" "$tmp/netpol-kafka") -eq 1 ]] && ! grep -q "4222" "$tmp/netpol-kafka" ||
  { cat "$tmp/netpol-kafka" >&2; echo "helm: NetworkPolicy ports of a Kafka-only install" >&2; exit 1; }

# The schema refuses a bad value.
if helm template test "$chart" --set service.port=70000 >/dev/null 2>"$tmp/err"; then
  echo "helm: values.schema.json accepted service.port=70000" >&2; exit 1
fi
grep -q "service.port" "$tmp/err" || { cat "$tmp/err" >&2; exit 1; }

# A literal secret in config (rendered into a ConfigMap) is refused: only ${env:NAME} or *_file.
if helm template test "$chart" --set config.targets.nats.user=u \
    --set config.targets.nats.password=hunter2 >/dev/null 2>"$tmp/err"; then
  echo "helm: values.schema.json accepted a literal password in config" >&2; exit 1
fi
grep -q "config.targets.nats.password" "$tmp/err" || { cat "$tmp/err" >&2; exit 1; }

# A config change: by default reloaded in place (no checksum in the pod template, so the pods
# stay); restartOnConfigChange brings back the checksum, which changes with the config.
if grep -q "checksum/config" "$tmp/default.yaml"; then
  echo "helm: the default values restart the pods on a config change" >&2; exit 1
fi
grep -q "mountPath: /etc/brokerload$" "$tmp/default.yaml"
if grep -q "subPath:" "$tmp/default.yaml"; then
  echo "helm: a subPath mount never sees ConfigMap updates" >&2; exit 1
fi
checksum() {
  helm template test "$chart" --set restartOnConfigChange=true "$@" |
    grep -oP 'checksum/config: \K\w+' || { echo "helm: restartOnConfigChange: no checksum" >&2; exit 1; }
}
[[ $(checksum) != $(checksum --set config.profile.rate=2000) ]] ||
  { echo "helm: the config checksum does not follow the config" >&2; exit 1; }
if helm template test "$chart" --set restartOnConfigChange=yes >/dev/null 2>"$tmp/err"; then
  echo "helm: values.schema.json accepted restartOnConfigChange=yes" >&2; exit 1
fi

# Defaults: one StatefulSet replica, non-root, read-only root, probes; no optional objects.
grep -q "kind: StatefulSet" "$tmp/default.yaml"
grep -q "readOnlyRootFilesystem: true" "$tmp/default.yaml"
grep -q "runAsNonRoot: true" "$tmp/default.yaml"
grep -q "path: /readyz" "$tmp/default.yaml"
if grep -q "kind: ServiceMonitor\|kind: PrometheusRule" "$tmp/default.yaml"; then
  echo "helm: default values render a ServiceMonitor or PrometheusRule" >&2; exit 1
fi
# The validator itself refuses a misspelt field.
if printf 'apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {prots: []}\n' |
    "$validator" >/dev/null 2>&1; then
  echo "helm: k8svalidate accepted a misspelt field" >&2; exit 1
fi
# Full values: every alert of the rules file in the PrometheusRule, every dashboard in the
# ConfigMap, and the selector labels kube-prometheus-stack looks for.
for alert in $(grep -oP '^\s+- alert: \K\w+' "$root/deploy/prometheus/brokerload-rules.yml"); do
  grep -q "alert: $alert\$" "$tmp/full.yaml" || { echo "helm: PrometheusRule lacks $alert" >&2; exit 1; }
done
for dashboard in "$root"/dashboards/*.json; do
  grep -q "$(basename "$dashboard"): |-" "$tmp/full.yaml" ||
    { echo "helm: dashboards ConfigMap lacks $(basename "$dashboard")" >&2; exit 1; }
done
[[ $(grep -c "release: kube-prometheus-stack" "$tmp/full.yaml") -ge 2 ]]
grep -q 'grafana_dashboard: "1"' "$tmp/full.yaml"
grep -q "replicas: 3" "$tmp/full.yaml"
grep -q "checksum/config: " "$tmp/full.yaml"
# The rules: the PrometheusRule's spec is, line for line, the rules file (the chart's default
# rendering) without its header; the release's `rules` values reach every alert.
helm template test "$chart" --set prometheusRule.enabled=true \
  --show-only templates/prometheusrule.yaml >"$tmp/rule.yaml"
sed -n '/^spec:$/,$p' "$tmp/rule.yaml" | tail -n +2 | sed 's/^  //' >"$tmp/rule-spec.yaml"
sed -n '/^# Two kinds/,$p' "$root/deploy/prometheus/brokerload-rules.yml" >"$tmp/rules-body.yaml"
diff -u "$tmp/rules-body.yaml" "$tmp/rule-spec.yaml" >&2 ||
  { echo "helm: the PrometheusRule is not the rules of deploy/prometheus/brokerload-rules.yml" >&2; exit 1; }
alerts=$(grep -c "^ *- alert: " "$tmp/full.yaml")
[[ $(grep -c 'labels: {severity: [a-z]*, \(burn: [a-z]*, \)\?team: "messaging"}' "$tmp/full.yaml") -eq $alerts ]] ||
  { echo "helm: rules.extraLabels missing from some alert" >&2; exit 1; }
[[ $(grep -c 'runbook_url: "https://wiki.example/brokerload/runbook#brokerload' "$tmp/full.yaml") -eq $alerts ]] ||
  { echo "helm: rules.runbookBaseUrl missing from some alert" >&2; exit 1; }
grep -qF 'absent(up{job="brokerload",namespace="load"})' "$tmp/full.yaml"
grep -qF 'brokerload:replica_publish_errors:ratio_rate1h > (14.4 * (1 - 0.995))' "$tmp/full.yaml"
grep -q "offset 14d" "$tmp/full.yaml"
grep -q "^ *for: 30m$" "$tmp/full.yaml"   # rules.alerts.saturated.for (no default is 30m)
# Nothing but the chart's objects by default: the plain rules file only with rulesFile=true.
if grep -q "^# Generated from the Helm chart" "$tmp/default.yaml" "$tmp/full.yaml"; then
  echo "helm: the rules file rendered without rulesFile=true" >&2; exit 1
fi
# The schema refuses bad rules values.
for bad in rules.availability.objective=1.5 rules.alerts.saturated.for=5min \
    rules.extraLabels.severity=page rules.alerts.down.threshold=1 rules.runbookBaseUrl=docs/runbook.md; do
  if helm template test "$chart" --set "$bad" >/dev/null 2>"$tmp/err"; then
    echo "helm: values.schema.json accepted $bad" >&2; exit 1
  fi
done
# The ServiceMonitor: job from the Service's app.kubernetes.io/name (which the Service carries),
# `replica` from the pod's name.
grep -q "jobLabel: app.kubernetes.io/name" "$tmp/full.yaml"
grep -q "sourceLabels: \[__meta_kubernetes_pod_name\]" "$tmp/full.yaml"
grep -A1 "sourceLabels: \[__meta_kubernetes_pod_name\]" "$tmp/full.yaml" | grep -q "targetLabel: replica"
sed -n '/^kind: Service$/,/^spec:/p' "$tmp/default.yaml" | grep -q "app.kubernetes.io/name: brokerload"
# Replicas on topics of their own (no replica reads another's traffic): the default, and refused
# when switched off with more than one replica; run.role only takes its three values.
grep -q "topics_per_replica: true" "$tmp/default.yaml"
grep -q "topics_per_replica: true" "$tmp/full.yaml"
helm template test "$chart" --set config.workload.topics_per_replica=false >/dev/null
if helm template test "$chart" --set replicaCount=2 --set config.workload.topics_per_replica=false \
    >/dev/null 2>"$tmp/err"; then
  echo "helm: 2 replicas on shared topics were accepted" >&2; exit 1
fi
grep -q "needs config.workload.topics_per_replica: true" "$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
helm template test "$chart" --set config.run.role=consume-only >"$tmp/consume.yaml"
grep -q "role: consume-only" "$tmp/consume.yaml"
if helm template test "$chart" --set config.run.role=both >/dev/null 2>"$tmp/err"; then
  echo "helm: values.schema.json accepted config.run.role=both" >&2; exit 1
fi
grep -q "config.run.role" "$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
# Secured: Secrets mounted read-only as files, env from a Secret key, probes over HTTPS (no
# credentials needed), the ServiceMonitor scraping with TLS and basic auth from a Secret.
grep -q "secretName: brokerload-kafka" "$tmp/full.yaml"
grep -q "mountPath: /etc/brokerload-secrets/nats" "$tmp/full.yaml"
# (3 mounts read-only in the StatefulSet's pod, 3 in the uninstall hook's)
[[ $(grep -c "readOnly: true" "$tmp/full.yaml") -eq 6 ]]
grep -q "secretKeyRef: {name: brokerload-metrics, key: password}" "$tmp/full.yaml"
[[ $(grep -c "scheme: HTTPS" "$tmp/full.yaml") -eq 3 ]]
grep -q "scheme: https" "$tmp/full.yaml"
grep -q "scheme: HTTP}" "$tmp/default.yaml"
echo "helm: chart lints, renders with default and full values, manifests valid"
