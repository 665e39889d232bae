#!/usr/bin/env bash
# Builds the daemon alone with AddressSanitizer and UBSan (the flags of the `asan` preset) into
# $2, from the source tree $1, for the tests that run it (tests/asan/CMakeLists.txt).
set -euo pipefail
source_dir=$1
binary_dir=$2
cmake -S "$source_dir" -B "$binary_dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DBROKERLOAD_BUILD_TESTS=OFF \
  "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
  -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined >/dev/null
cmake --build "$binary_dir" --target brokerload
