#!/usr/bin/env bash
# Writes deploy/prometheus/brokerload-rules.yml: the Helm chart's rules (helm/brokerload,
# templates/_rules.tpl) rendered with the chart's default values, as a plain Prometheus rules
# file. The rules are edited in the chart, never in that file; tests/deploy/prometheus_rules_test.sh
# fails while the file differs from this rendering.
# usage: render.sh [-o FILE|-] [HELM_ARGS...]
#   -o FILE   write FILE instead (- for stdout)
#   HELM_ARGS other values, as for `helm template`, e.g. a test of the baselines with short offsets:
#             render.sh -o "$tmp/rules.yml" --set 'rules.baseline.offsets={10m,20m,30m}' --set rules.baseline.range=2m
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out="$root/deploy/prometheus/brokerload-rules.yml"
if [[ ${1:-} == -o ]]; then
  [[ $# -ge 2 ]] || { echo "usage: render.sh [-o FILE|-] [HELM_ARGS...]" >&2; exit 64; }
  out=$2
  shift 2
fi
# helm comes from `go install` (scripts/install-deps.sh), in GOPATH/bin; Go itself may live
# outside PATH.
[[ -x /usr/local/go/bin/go ]] && PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null && PATH="$PATH:$(go env GOPATH)/bin"
command -v helm >/dev/null || { echo "helm missing: run scripts/install-deps.sh" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The release name does not appear in the rules. Helm notes the chart's symlinked dashboards.
if ! helm template brokerload "$root/helm/brokerload" --set rulesFile=true \
    --show-only templates/rules-file.yaml "$@" >"$tmp/rendered" 2>"$tmp/err"; then
  grep -v "found symbolic link in path" "$tmp/err" >&2
  exit 1
fi
# helm prints each document after "---" and "# Source: <template>": the file is what follows.
sed -n '1{/^---$/!q1}; 2{/^# Source: /!q1}; 3,$p' "$tmp/rendered" >"$tmp/rules" ||
  { echo "render.sh: unexpected helm output:" >&2; head -3 "$tmp/rendered" >&2; exit 1; }
if [[ $out == - ]]; then
  cat "$tmp/rules"
else
  cp "$tmp/rules" "$out"
fi
