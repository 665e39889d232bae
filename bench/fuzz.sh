#!/usr/bin/env bash
# The long fuzzing run: each libFuzzer target (config loader, header decoder) for SECONDS
# (default 600), with ASan and UBSan. The test command runs the same for 20 s (ctest fuzz.short).
# usage: bench/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec tests/fuzz/run.sh "${1:-600}"
