#!/usr/bin/env bash
# Installs what is needed, builds stratus, and runs the demo: a standalone host loads the signed example actor
# (examples/hello, built from C and signed during the build) and calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${STRATUS_BUILD_DIR:-build-demo}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRATUS_WERROR=OFF -DSTRATUS_BUILD_TESTS=OFF -DSTRATUS_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target stratus example_actors
stratus="$build/tools/stratus/stratus"
actor="$build/examples/hello_s.wasm"
echo "== claims of the example actor"
"$stratus" claims inspect "$actor"
echo "== calling SayHello"
"$stratus" call "$actor" SayHello --payload-json '{"name":"stratus"}' -v
echo "== 10000 calls"
"$stratus" call "$actor" SayHello --payload-json '{"name":"stratus"}' --repeat 10000 >/dev/null
