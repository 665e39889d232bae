#!/usr/bin/env bash
# brokerload built against Debian 13 (trixie)'s libraries (librdkafka 2.8, cnats 3.10,
# prometheus-cpp 1.0.2, yaml-cpp 0.8, Boost 1.83, GCC 14) while the machine stays on Debian 12:
# a trixie root file system, made once with debootstrap and cached, builds the tree at its own
# path (the checkout is bind-mounted there, so the paths compiled into the tests hold on both
# sides), linking every executable to the root's loader and libraries (PT_INTERP and DT_RPATH
# into the root). The tests then run on the host, against the ctest fixtures' brokers, each
# binary with trixie's glibc and client libraries and no chroot: the brokers, Java and the
# project's scripts stay the host's.
# usage: trixie.sh build BUILD_DIR [-DOPTION=VALUE...]
#                                    configure (with those CMake options, e.g.
#                                    -DBROKERLOAD_NATS_READER_HOOK=OFF) and build the targets of
#                                    BROKERLOAD_TRIXIE_TARGETS (comma-separated; default: all)
#        trixie.sh shell [CMD...]    run CMD (default bash) in the root, the checkout mounted
# Needs root (chroot, mount namespaces) and debootstrap (scripts/install-deps.sh).
set -euo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${BROKERLOAD_CACHE_DIR:-${HOME:-/root}/.cache/brokerload}
root=$cache/trixie-root
packages=(g++ cmake ninja-build pkg-config librdkafka-dev libnats-dev prometheus-cpp-dev
  libyaml-cpp-dev libboost-dev libgtest-dev libgmock-dev nlohmann-json3-dev libssl-dev)
log() { echo "trixie: $*" >&2; }
for tool in debootstrap unshare chroot flock; do
  command -v "$tool" >/dev/null || { log "$tool missing (scripts/install-deps.sh)"; exit 1; }
done

make_root() {  # once per package list; concurrent callers wait for the first
  mkdir -p "$cache"
  exec 8>"$cache/trixie-root.lock"
  flock 8
  local want="${packages[*]}"
  [[ -f $root/.brokerload-packages && $(cat "$root/.brokerload-packages") == "$want" ]] && return 0
  log "making the Debian 13 root in $root (once; about two minutes)"
  local tmp=$cache/trixie-root.tmp mirror
  rm -rf "$tmp"
  mkdir -p "$tmp"
  chmod 755 "$tmp"
  mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  debootstrap --variant=minbase --include="$(IFS=,; echo "${packages[*]}")" trixie "$tmp" \
    "${mirror:-http://deb.debian.org/debian}" >"$cache/trixie-debootstrap.log" 2>&1 ||
    { tail -20 "$cache/trixie-debootstrap.log" >&2; log "debootstrap failed"; exit 1; }
  echo "$want" >"$tmp/.brokerload-packages"
  rm -rf "$root"
  mv "$tmp" "$root"
}

in_root() {  # CMD...: in the root, with /proc, /dev, the checkout and $build at their own paths
  unshare --mount --propagation private -- bash -c '
    set -e
    r=$1 src=$2 build=$3; shift 3
    mount --rbind /proc "$r/proc"
    mount --rbind /dev "$r/dev"
    for dir in "$src" $build; do
      mkdir -p "$r$dir"
      mount --bind "$dir" "$r$dir"
    done
    exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"' \
    _ "$root" "$src" "${build:-}" "$@"
}

case ${1:-} in
  build)
    [[ $# -ge 2 ]] || { log "usage: trixie.sh build BUILD_DIR [-DOPTION=VALUE...]"; exit 2; }
    build=$(realpath -m "$2")
    shift 2
    [[ $build != *" "* ]] || { log "BUILD_DIR must not contain spaces: $build"; exit 2; }
    mkdir -p "$build"
    make_root
    lib=$root/usr/lib/x86_64-linux-gnu
    in_root cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      "-DCMAKE_EXE_LINKER_FLAGS=-Wl,--dynamic-linker=$lib/ld-linux-x86-64.so.2 -Wl,--disable-new-dtags -Wl,-rpath,$lib" \
      "$@" >"$build.configure.log" 2>&1 || { cat "$build.configure.log" >&2; log "configure failed"; exit 1; }
    grep -E "librdkafka|cnats|NATS" "$build.configure.log" >&2 || true
    # The targets the tests run (tests/trixie/CMakeLists.txt passes them), or everything.
    targets=()
    IFS=',' read -r -a targets <<<"${BROKERLOAD_TRIXIE_TARGETS:-all}"
    in_root cmake --build "$build" --target "${targets[@]}"
    "$build/service/brokerload" --version >&2
    ;;
  shell)
    shift
    make_root
    in_root "${@:-bash}"
    ;;
  *)
    log "usage: trixie.sh build BUILD_DIR | shell [CMD...]"
    exit 2
    ;;
esac
