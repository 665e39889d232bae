#!/usr/bin/env bash
# The Helm chart: helm lint (with values.schema.json), helm template with default and full values,
# the rendered manifests decoded strictly into the Kubernetes API types (tests/deploy/k8svalidate,
# built from the Kubernetes Go modules: the usual schema validators fetch their schemas from the
# network), the PrometheusRule carrying the rules of deploy/prometheus/brokerload-rules.yml (one
# template, templates/_rules.tpl) with the release's `rules` values, and the dashboards ConfigMap
# carrying exactly the repository's files.
# usage: helm_test.sh   (helm from scripts/install-deps.sh; k8svalidate is built on first use)
set -euo pipefail
# The machine's Go toolchain may live outside PATH.
[[ -x /usr/local/go/bin/go ]] && PATH="$PATH:/usr/local/go/bin"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
chart="$root/helm/brokerload"
cache=${BROKERLOAD_CACHE_DIR:-${HOME:-/root}/.cache/brokerload}
command -v go >/dev/null || { echo "go missing: run scripts/install-deps.sh" >&2; exit 1; }
export PATH="$PATH:$(go env GOPATH)/bin"
command -v helm >/dev/null || { echo "helm missing: run scripts/install-deps.sh" >&2; exit 1; }
validator="$cache/k8svalidate"
if [[ ! -x $validator || "$root/tests/deploy/k8svalidate/main.go" -nt $validator ]]; then
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
helm lint "$chart"
helm lint "$chart" -f "$root/tests/deploy/full-values.yaml"
helm template test "$chart" >"$tmp/default.yaml"
helm template test "$chart" -f "$root/tests/deploy/full-values.yaml" >"$tmp/full.yaml"
"$validator" <"$tmp/default.yaml"
"$validator" <"$tmp/full.yaml"

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
[[ $(grep -c "readOnly: true" "$tmp/full.yaml") -eq 3 ]]
grep -q "secretKeyRef: {name: brokerload-metrics, key: password}" "$tmp/full.yaml"
[[ $(grep -c "scheme: HTTPS" "$tmp/full.yaml") -eq 3 ]]
grep -q "scheme: https" "$tmp/full.yaml"
grep -q "scheme: HTTP}" "$tmp/default.yaml"
echo "helm: chart lints, renders with default and full values, manifests valid"
