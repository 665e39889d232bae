#!/usr/bin/env bash
# Builds the libFuzzer targets (preset fuzz: clang, ASan, UBSan) and runs each for SECONDS
# (default 20): the config loader from the project's own configs as seeds, the header decoder from
# nothing. Fails on a crash, a sanitizer report, a leak, a hang over 10 s on one input, or an
# input needing over 2 GB. A failing input is kept in $BROKERLOAD_FUZZ_DIR (default
# build/fuzz-runs) with the fuzzer's log; rerun it with: build/fuzz/tests/fuzz/<fuzzer> <file>.
# The test command runs it briefly (ctest fuzz.short); bench/fuzz.sh runs it long.
# usage: tests/fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
seconds=${1:-20}
out=${BROKERLOAD_FUZZ_DIR:-build/fuzz-runs}
command -v clang++ >/dev/null || { echo "fuzz: clang++ missing (scripts/install-deps.sh)" >&2; exit 3; }
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target config_fuzzer header_fuzzer >/dev/null
mkdir -p "$out"
status=0
for fuzzer in config_fuzzer header_fuzzer; do
  corpus="$out/$fuzzer-corpus"
  rm -rf "$corpus" && mkdir -p "$corpus"
  if [[ $fuzzer == config_fuzzer ]]; then
    for seed in config/*.yaml deploy/compose/*.yaml; do cp "$seed" "$corpus/${seed//\//_}"; done
  fi
  log="$out/$fuzzer.log"
  if build/fuzz/tests/fuzz/$fuzzer "$corpus" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -artifact_prefix="$out/$fuzzer-" -print_final_stats=1 >"$log" 2>&1; then
    echo "fuzz: $fuzzer: $(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" |
      grep -oE '[0-9]+$') inputs in ${seconds} s, no failure"
  else
    status=1
    echo "fuzz: $fuzzer FAILED; log $log, input(s):" >&2
    ls "$out/$fuzzer-"* >&2 2>/dev/null || true
    grep -E "ERROR|SUMMARY|==[0-9]+==" "$log" | head -20 >&2 || true
  fi
done
exit $status
