#!/usr/bin/env bash
# The alert rules: the file is the Helm chart's default rendering, byte for byte
# (deploy/prometheus/render.sh); syntax (promtool check rules); behaviour (promtool test rules:
# every alert firing and not firing, with the defaults, and the baselines' engine with short
# offsets through the same template); a runbook section, a runbook_url and a test for every alert.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir="$root/deploy/prometheus"
rules="$dir/brokerload-rules.yml"
command -v promtool >/dev/null || { echo "promtool missing: run scripts/install-deps.sh" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$dir/render.sh" -o "$tmp/rendered.yml"
if ! diff -u "$rules" "$tmp/rendered.yml" >"$tmp/diff"; then
  head -40 "$tmp/diff" >&2
  echo "deploy/prometheus/brokerload-rules.yml is not the chart's rendering" \
    "(helm/brokerload/templates/_rules.tpl, values.yaml): run deploy/prometheus/render.sh" >&2
  exit 1
fi
promtool check rules "$rules"
(cd "$dir" && promtool test rules brokerload-rules.test.yml)

"$dir/render.sh" -o "$tmp/brokerload-rules-baseline.yml" -f "$dir/baseline.values.yaml"
promtool check rules "$tmp/brokerload-rules-baseline.yml"
cp "$dir/baseline.test.yml" "$tmp/"
(cd "$tmp" && promtool test rules baseline.test.yml)

status=0
base=$(grep -oP '^  runbookBaseUrl: \K\S+' "$root/helm/brokerload/values.yaml")
for alert in $(grep -oP '^\s+- alert: \K\w+' "$rules" | sort -u); do
  anchor=$(tr '[:upper:]' '[:lower:]' <<<"$alert")
  grep -qF "runbook_url: \"$base#$anchor\"" "$rules" || { echo "$alert: no runbook_url" >&2; status=1; }
  grep -q "^## $alert\$" "$root/docs/runbook.md" || { echo "$alert: no section in docs/runbook.md" >&2; status=1; }
  grep -q "alertname: $alert\$" "$dir/brokerload-rules.test.yml" ||
    { echo "$alert: no promtool test" >&2; status=1; }
done
# Every runbook_url carries the alert's own name.
while read -r alert url; do
  [[ $url == "\"$base#$(tr '[:upper:]' '[:lower:]' <<<"$alert")\"" ]] ||
    { echo "$alert: runbook_url $url names another alert" >&2; status=1; }
done < <(awk '/^ *- alert: /{a=$3} /runbook_url: /{print a, $2}' "$rules")
exit "$status"
