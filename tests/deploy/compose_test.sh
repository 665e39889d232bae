#!/usr/bin/env bash
# The compose stack, without a container engine: docker-compose (Debian's 1.29) validates the file
# and resolves it; promtool checks the Prometheus config it mounts (with the rules); the
# brokerload config it mounts passes brokerload's own validation; every mounted path exists.
# usage: compose_test.sh BROKERLOAD_BINARY
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir="$root/deploy/compose"
command -v docker-compose >/dev/null || { echo "docker-compose missing (scripts/install-deps.sh)" >&2; exit 1; }
docker-compose -f "$dir/docker-compose.yml" config -q
resolved=$(docker-compose -f "$dir/docker-compose.yml" config)
for service in kafka nats brokerload prometheus grafana; do
  grep -q "^  $service:" <<<"$resolved" || { echo "compose: no service $service" >&2; exit 1; }
done
# Every bind mount's source exists (docker-compose resolves them to absolute paths).
while read -r source; do
  [[ -e $source ]] || { echo "compose: mounted path $source does not exist" >&2; exit 1; }
done < <(grep -oP "^\s+- \K$root[^:]+(?=:)" <<<"$resolved")
# Prometheus as mounted: the rules file where the config expects it.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/rules"
cp "$root/deploy/prometheus/brokerload-rules.yml" "$tmp/rules/"
sed "s|/etc/prometheus/rules/|$tmp/rules/|" "$dir/prometheus.yml" >"$tmp/prometheus.yml"
promtool check config "$tmp/prometheus.yml"
"$1" validate-config "$dir/brokerload.yaml"
# The secured override: valid with the main file, and its brokerload config valid once the
# compose secrets it names exist (here as empty stand-ins).
docker-compose -f "$dir/docker-compose.yml" -f "$dir/docker-compose.secured.yml" config -q
mkdir -p "$tmp/secrets"
for secret in kafka-password ca.pem nats.creds; do echo x >"$tmp/secrets/$secret"; done
sed "s|/run/secrets/|$tmp/secrets/|" "$dir/brokerload-secured.yaml" >"$tmp/brokerload-secured.yaml"
"$1" validate-config "$tmp/brokerload-secured.yaml"
echo "compose: file valid, 5 services, mounts exist, Prometheus config and brokerload config valid"
