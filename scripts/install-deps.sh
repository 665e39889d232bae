#!/usr/bin/env bash
# Installs everything brokerload needs to build, test and run on a Debian bookworm machine.
# Idempotent: silent when all is present; loud and non-zero when an install fails.
set -euo pipefail
# The machine's Go toolchain may live outside PATH.
[[ -x /usr/local/go/bin/go ]] && PATH="$PATH:/usr/local/go/bin"

packages=(
  g++ cmake ninja-build pkg-config git python3 python3-venv clang-format
  librdkafka-dev libnats-dev prometheus-cpp-dev libyaml-cpp-dev libboost-dev libgtest-dev libgmock-dev
  nlohmann-json3-dev nats-server maven chromium prometheus podman runc debootstrap catatonit curl
  python3-yaml rt-tests
  docker-compose libssl-dev openssl clang libclang-rt-14-dev
)
# A JDK is usually present (JAVA_HOME or java on PATH); install Debian's only when none is.
command -v java >/dev/null 2>&1 || packages+=(openjdk-17-jre-headless)
command -v go >/dev/null 2>&1 || packages+=(golang-go)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$p")
done
install_go_tools() {
  # Helm for the chart's tests, from the Go module proxy (no Debian package).
  local gobin
  gobin="$(go env GOPATH)/bin"
  if [[ ! -x $gobin/helm ]]; then
    echo "install-deps: installing helm with go install" >&2
    go install helm.sh/helm/v3/cmd/helm@v3.19.0 >/tmp/brokerload-go-install.log 2>&1 ||
      { cat /tmp/brokerload-go-install.log >&2; echo "install-deps: error: go install helm failed" >&2; exit 1; }
  fi
  # The modules of deploy/local/natsauth (NATS JWTs and NKeys for brokers.sh SECURE=1), fetched
  # now so that the secured test brokers start without a download.
  (cd "$(dirname "${BASH_SOURCE[0]}")/../deploy/local/natsauth" && go mod download) \
    >/tmp/brokerload-go-install.log 2>&1 ||
    { cat /tmp/brokerload-go-install.log >&2; echo "install-deps: error: go mod download (natsauth) failed" >&2; exit 1; }
}
install_python_tools() {
  # dashboards/generate.py's SDK, pinned with hashes in dashboards/requirements.txt, in a venv of
  # its own under the cache dir (Debian's Python is externally managed); made again whenever the
  # requirements file changes (the venv keeps a copy of the one it was made from).
  local root cache venv
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  cache=${BROKERLOAD_CACHE_DIR:-${HOME:-/root}/.cache/brokerload}
  venv=$cache/dashboards-venv
  cmp -s "$root/dashboards/requirements.txt" "$venv/requirements.txt" && return 0
  echo "install-deps: installing dashboards/requirements.txt into $venv" >&2
  rm -rf "$venv"
  { python3 -m venv "$venv" &&
    "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes \
      -r "$root/dashboards/requirements.txt"; } >/tmp/brokerload-pip.log 2>&1 ||
    { cat /tmp/brokerload-pip.log >&2; echo "install-deps: error: the dashboards venv failed" >&2; exit 1; }
  cp "$root/dashboards/requirements.txt" "$venv/requirements.txt"
}

if ((${#missing[@]} == 0)); then
  install_go_tools
  install_python_tools
  exit 0
fi

sudo=()
((EUID == 0)) || sudo=(sudo)
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo[@]}" apt-get update -qq >/tmp/brokerload-apt.log 2>&1 ||
   ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >>/tmp/brokerload-apt.log 2>&1; then
  cat /tmp/brokerload-apt.log >&2
  echo "install-deps: error: apt-get could not install: ${missing[*]} (log above)" >&2
  exit 1
fi
install_go_tools
install_python_tools
echo "install-deps: done" >&2
