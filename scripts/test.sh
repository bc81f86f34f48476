#!/usr/bin/env bash
# Installs everything, builds stratus with the tests, and runs them all. Used by CI (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
build=${STRATUS_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATUS_WERROR=ON -DSTRATUS_BUILD_TESTS=ON -DSTRATUS_BUILD_BENCH=ON
cmake --build "$build"
ctest --test-dir "$build" --output-on-failure -j2
