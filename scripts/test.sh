#!/usr/bin/env bash
# The project's test command: installs what is needed, builds (CMake preset `dev`) and runs every
# test: lint, unit, and integration tests against real brokers that the ctest fixture starts.
# Extra arguments go to ctest, e.g. scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev
ctest --preset dev "$@"
