#!/usr/bin/env bash
# Builds the Dockerfile with podman (no Docker engine here) as localhost/brokerload:test, for the
# deploy tests that run the image (container_test.sh, kube_play_test.sh). ../shared/containers.md
# describes the podman settings this machine needs; the Dockerfile itself stays standard. Layers
# are cached: an unchanged tree rebuilds in seconds.
# usage: build_image.sh   (prints the image name)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${BROKERLOAD_CACHE_DIR:-${HOME:-/root}/.cache/brokerload}
image=localhost/brokerload:test
podman=(podman --storage-driver vfs)
for tool in podman debootstrap runc flock; do
  command -v "$tool" >/dev/null || { echo "build_image: $tool missing (scripts/install-deps.sh)" >&2; exit 1; }
done

# One build at a time (ctest -j runs the image's tests side by side).
mkdir -p "$cache"
exec 9>"$cache/build_image.lock"
flock 9

# No registry with base images is reachable: make debian:trixie-slim (the Dockerfile's base)
# from Debian itself, once.
if ! "${podman[@]}" image exists docker.io/library/debian:trixie-slim; then
  mkdir -p "$cache"
  tarball="$cache/debian-trixie-minbase.tar"
  if [[ ! -s $tarball ]]; then
    rootfs=$(mktemp -d)
    chmod 755 "$rootfs"  # it becomes the image's /: a non-root user must traverse it
    mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    debootstrap --variant=minbase trixie "$rootfs" "${mirror:-http://deb.debian.org/debian}" \
      >"$cache/debootstrap.log" 2>&1 || { tail -20 "$cache/debootstrap.log" >&2; exit 1; }
    tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$rootfs"
  fi
  "${podman[@]}" import "$tarball" docker.io/library/debian:trixie-slim >/dev/null
fi

echo "build_image: building $image" >&2
"${podman[@]}" build --pull=never --isolation chroot -t "$image" "$root" >"$cache/podman-build.log" 2>&1 ||
  { tail -40 "$cache/podman-build.log" >&2; exit 1; }
user=$("${podman[@]}" image inspect --format '{{.Config.User}}' "$image")
[[ $user == 10001 ]] || { echo "build_image: image runs as '$user', expected 10001" >&2; exit 1; }
echo "$image"
