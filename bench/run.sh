#!/usr/bin/env bash
# Builds stratus_bench (Release, build-bench/), runs it, runs the same Echo round trip on @wapc/host (Node/V8), runs
# the HTTP benchmark (http_bench.sh: the hello actor behind the httpserver provider beside a bare Boost.Beast server,
# under wrk), and prints a summary of the figures and ratios of this one run. See bench/README.md.
#
#   bench/run.sh [stratus_bench flags...]      e.g. bench/run.sh --benchmark_filter=roundtrip
#
# Environment: STRATUS_BENCH_JOBS (ninja -j, default 2), STRATUS_BENCH_NODE_CALLS (@wapc/host calls, default 200000),
# STRATUS_BENCH_HTTP (0 skips the HTTP benchmark), STRATUS_BENCH_HTTP_SECONDS (wrk duration per server, default 10),
# STRATUS_BENCH_KV (0 skips the key-value benchmark), STRATUS_BENCH_KV_OPS (operations per kv measurement, 200000).
# Output: bench/results/latest.json (Google Benchmark JSON), bench/results/http.json (+ the raw wrk reports),
# bench/results/kv.json + kv.txt (kv_bench.sh), bench/results/summary.txt; the console table on stdout. Exits
# non-zero when a benchmark failed or is invalid.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build-bench"
results="$root/bench/results"
jobs="${STRATUS_BENCH_JOBS:-2}"
node_calls="${STRATUS_BENCH_NODE_CALLS:-200000}"

"$root/scripts/install-deps.sh" --test

echo "== build (Release, $build)"
mkdir -p "$build"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRATUS_BUILD_TESTS=ON -DSTRATUS_BUILD_BENCH=ON \
  >"$build/configure.log" 2>&1 || { cat "$build/configure.log"; exit 1; }
# The HTTP benchmark also needs the CLI (`stratus up`, signing), the httpserver archive, its actor and the bare server.
http="${STRATUS_BENCH_HTTP:-1}"
targets=(stratus_bench)
[ "$http" = 0 ] || targets+=(stratus provider_par_httpserver actor_bench_http_hello stratus_bare_http_server)
# The key-value benchmark (kv_bench.sh) needs stratus_kv_bench (it depends on its actor and both keyvalue providers).
kv="${STRATUS_BENCH_KV:-1}"
[ "$kv" = 0 ] || targets+=(stratus_kv_bench)
ninja -C "$build" -j "$jobs" "${targets[@]}"

mkdir -p "$results"
echo "== stratus_bench"
"$build/bench/stratus_bench" --benchmark_out="$results/latest.json" --benchmark_out_format=json "$@"

# The same round trip on the reference waPC host: test_actor's Echo with the same 64 bytes on one instance. Three
# runs, the median kept: V8's tier-up and GC make single runs vary more than stratus_bench's figures.
echo "== @wapc/host (Node/V8): Echo 64 B on test_actor.wasm, 3 runs of $node_calls calls"
node_ns=""
node_call="$root/tests/compat/wapc_node_call.mjs"
if command -v node >/dev/null && [ -d "$root/tests/compat/node_modules/@wapc/host" ]; then
  # The payload stratus_bench echoes (bench_support.cc patternBytes(64, 1)).
  payload_hex="$(python3 -c '
x = 0x9E3779B9 ^ 1
out = bytearray()
for _ in range(64):
    x = (x * 1664525 + 1013904223) & 0xFFFFFFFF
    out.append(x >> 24)
print(out.hex())')"
  node_err="$(mktemp)"
  runs=()
  for _ in 1 2 3; do
    if node_out="$(node "$node_call" "$build/actors/test_actor.wasm" Echo "$payload_hex" --repeat "$node_calls" \
        2>"$node_err")" && [ "$node_out" = "$payload_hex" ]; then
      runs+=("$(sed -n 's/^mean_ns_per_call=\([0-9.]*\).*/\1/p' "$node_err")")
    else
      echo "node peer failed or echoed wrong bytes:"; cat "$node_err"; runs=(); break
    fi
  done
  rm -f "$node_err"
  if ((${#runs[@]} == 3)); then
    node_ns="$(printf '%s\n' "${runs[@]}" | sort -g | sed -n 2p)"
    echo "mean_ns_per_call per run: ${runs[*]} -> median $node_ns"
  fi
else
  echo "skipped: node or tests/compat/node_modules missing (scripts/install-deps.sh --test installs them)"
fi

# HTTP: the same wrk load on stratus (hello actor via httpserver) and on a bare Boost.Beast server, one after the
# other. http_bench.sh writes http.json even when the run is invalid (the summary then says why).
http_status=0
rm -f "$results/http.json"
if [ "$http" != 0 ]; then
  echo "== HTTP: hello actor through httpserver vs bare Boost.Beast (wrk)"
  "$root/bench/http_bench.sh" "$build" "$results" || http_status=$?
else
  echo "== HTTP: skipped (STRATUS_BENCH_HTTP=0)"
fi

# Key-value: actor Adds through the host to the Redis provider vs redis-benchmark on the same redis-server.
kv_status=0
rm -f "$results/kv.json" "$results/kv.txt"
if [ "$kv" != 0 ]; then
  echo "== key-value: actor -> Redis provider vs redis-benchmark"
  "$root/bench/kv_bench.sh" "$build" "$results" || kv_status=$?
else
  echo "== key-value: skipped (STRATUS_BENCH_KV=0)"
fi

echo "== summary (ratios from this run only; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
summary_args=("$results/latest.json")
[ -n "$node_ns" ] && summary_args+=(--node-echo-ns "$node_ns")
[ -f "$results/http.json" ] && summary_args+=(--http "$results/http.json")
summary_status=0
python3 "$root/bench/summarize.py" "${summary_args[@]}" | tee "$results/summary.txt" || summary_status=$?
if [ "$http_status" -ne 0 ] && [ ! -f "$results/http.json" ]; then
  echo "HTTP benchmark failed before producing a result (see its output above)" | tee -a "$results/summary.txt"
fi
if [ -f "$results/kv.txt" ]; then
  tee -a "$results/summary.txt" <"$results/kv.txt"
elif [ "$kv" != 0 ]; then
  echo "key-value benchmark failed (see its output above)" | tee -a "$results/summary.txt"
fi

# NATS messaging: request/reply round trips answered through the NATS provider and the messaging example actor vs
# by libnats alone, same client and nats-server (nats_bench.sh; writes nats.json). STRATUS_BENCH_NATS=0 skips it;
# STRATUS_BENCH_NATS_SECONDS / _CONCURRENCY / _PAYLOAD / _DELIVERY_THREADS tune it (see bench/README.md).
nats_status=0
rm -f "$results/nats.json" "$results/nats.txt"
if [ "${STRATUS_BENCH_NATS:-1}" != 0 ]; then
  echo "== NATS: request/reply through the NATS provider + messaging_echo actor vs libnats alone"
  ninja -C "$build" -j "$jobs" stratus provider_par_nats example_messaging stratus_nats_bench
  "$root/bench/nats_bench.sh" "$build" "$results" | tee "$results/nats.txt" || nats_status=$?
  if [ -f "$results/nats.json" ]; then
    sed -n '/^== NATS request\/reply/,$p' "$results/nats.txt" >>"$results/summary.txt"
  else
    echo "NATS benchmark failed before producing a result (see its output above)" | tee -a "$results/summary.txt"
  fi
else
  echo "== NATS: skipped (STRATUS_BENCH_NATS=0)"
fi
[ "$summary_status" -eq 0 ] && [ "$http_status" -eq 0 ] && [ "${kv_status:-0}" -eq 0 ] && [ "$nats_status" -eq 0 ]
