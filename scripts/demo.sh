#!/usr/bin/env bash
# The main job: installs what is needed, builds stratus with its providers and example actors, and runs a standalone
# host with the built-in example manifest: an HTTP counter (examples/counter, a C actor built and signed during the
# build) behind the httpserver provider, keeping its counts in the in-memory key-value provider. No external server.
#   scripts/demo.sh                 serve on port 8080 until Ctrl-C; try: curl localhost:8080/hello
#   PORT=9090 scripts/demo.sh       another port
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${STRATUS_BUILD_DIR:-build-demo}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRATUS_WERROR=OFF -DSTRATUS_BUILD_TESTS=OFF \
  -DSTRATUS_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target stratus example_actors provider_par_httpserver provider_par_keyvalue
echo "== stratus up: the HTTP counter on port ${PORT:-8080} (curl localhost:${PORT:-8080}/hello); Ctrl-C stops it"
exec "$build/tools/stratus/stratus" up
