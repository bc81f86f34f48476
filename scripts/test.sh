#!/usr/bin/env bash
# Installs everything, builds stratus with the tests, runs the concurrency checks (clang's thread-safety analysis,
# ThreadSanitizer on the host's tests), then the whole test suite. Used by CI (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
build=${STRATUS_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATUS_WERROR=ON -DSTRATUS_BUILD_TESTS=ON -DSTRATUS_BUILD_BENCH=ON \
  -DSTRATUS_REQUIRE_COMPAT=ON
cmake --build "$build"
scripts/concurrency-checks.sh
ctest --test-dir "$build" --output-on-failure -j2
