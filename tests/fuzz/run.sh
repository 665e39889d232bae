#!/usr/bin/env bash
# Builds the libFuzzer targets (preset fuzz: clang, ASan, UBSan) and runs each for SECONDS
# (default 20): the config loader from the project's own configs as seeds, the header decoder from
# nothing. Fails on a crash, a sanitizer report, a leak, a hang over 10 s on one input, or an
# input needing over 2 GB. A failing input is kept in $BROKERLOAD_FUZZ_DIR (default
# build/fuzz-runs) with the fuzzer's log; rerun it with: build/fuzz/tests/fuzz/<fuzzer> <file>.
# Inputs that once failed (tests/fuzz/regressions/<fuzzer>/) are seeds too, so they run first.
# The test command runs it briefly with a fixed seed (ctest fuzz.short: BROKERLOAD_FUZZ_SEED=1,
# the same inputs on every machine); bench/fuzz.sh runs it long with a random seed.
# usage: [BROKERLOAD_FUZZ_SEED=N] tests/fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
seconds=${1:-20}
out=${BROKERLOAD_FUZZ_DIR:-build/fuzz-runs}
seed=${BROKERLOAD_FUZZ_SEED:-0}  # 0: libFuzzer picks one
command -v clang++ >/dev/null || { echo "fuzz: clang++ missing (scripts/install-deps.sh)" >&2; exit 3; }
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target config_fuzzer header_fuzzer >/dev/null
mkdir -p "$out"
status=0
for fuzzer in config_fuzzer header_fuzzer; do
  corpus="$out/$fuzzer-corpus"
  rm -rf "$corpus" && mkdir -p "$corpus"
  if [[ $fuzzer == config_fuzzer ]]; then
    for input in config/*.yaml deploy/compose/*.yaml; do cp "$input" "$corpus/${input//\//_}"; done
  fi
  if [[ -d tests/fuzz/regressions/$fuzzer ]]; then cp tests/fuzz/regressions/$fuzzer/* "$corpus/"; fi
  rm -f "$out/$fuzzer-"{crash,leak,timeout,oom,slow-unit}-*
  log="$out/$fuzzer.log"
  if build/fuzz/tests/fuzz/$fuzzer "$corpus" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -seed="$seed" -artifact_prefix="$out/$fuzzer-" -print_final_stats=1 \
      >"$log" 2>&1; then
    echo "fuzz: $fuzzer: $(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" |
      grep -oE '[0-9]+$') inputs in ${seconds} s, no failure"
  else
    status=1
    echo "fuzz: $fuzzer FAILED; log $log; the failing input, shown with cat -v:" >&2
    for input in "$out/$fuzzer-"{crash,leak,timeout,oom}-*; do
      [[ -f $input ]] || continue
      echo "--- $input" >&2
      head -c 4000 "$input" | cat -v >&2
      echo >&2
    done
    # The failure and its stack, from the first report line on.
    sed -n '/^==[0-9]*==\|^terminate called\|runtime error/,$p' "$log" | head -40 >&2
  fi
done
exit $status
