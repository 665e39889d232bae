#!/usr/bin/env bash
# The alert rules: syntax (promtool check rules), behaviour (promtool test rules: every alert
# firing and not firing), and a runbook section for every alert.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rules="$root/deploy/prometheus/brokerload-rules.yml"
command -v promtool >/dev/null || { echo "promtool missing: run scripts/install-deps.sh" >&2; exit 1; }
promtool check rules "$rules"
(cd "$root/deploy/prometheus" && promtool test rules brokerload-rules.test.yml)
status=0
for alert in $(grep -oP '^\s+- alert: \K\w+' "$rules"); do
  anchor=$(tr '[:upper:]' '[:lower:]' <<<"$alert")
  grep -q "docs/runbook.md#$anchor\"" "$rules" || { echo "$alert: no runbook_url" >&2; status=1; }
  grep -q "^## $alert\$" "$root/docs/runbook.md" || { echo "$alert: no section in docs/runbook.md" >&2; status=1; }
  grep -q "alertname: $alert\$" "$root/deploy/prometheus/brokerload-rules.test.yml" ||
    { echo "$alert: no promtool test" >&2; status=1; }
done
exit "$status"
