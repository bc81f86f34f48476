#!/usr/bin/env bash
# Builds stratus_bench (Release, build-bench/), runs it, runs the same Echo round trip and the same HTTP echo actor
# HandleRequest on @wapc/host (Node/V8), runs the HTTP benchmark (http_bench.sh: the hello actor behind the httpserver
# provider, once per engine, beside a bare Boost.Beast server, under wrk), the key-value and NATS benchmarks, and
# prints a summary of the figures and ratios of this one run. See bench/README.md.
#
#   bench/run.sh [stratus_bench flags...]      e.g. bench/run.sh --benchmark_filter=roundtrip
#
# Environment: STRATUS_BENCH_JOBS (ninja -j, default 2), STRATUS_BENCH_NODE_CALLS (@wapc/host calls per run, default
# 200000), STRATUS_BENCH_HTTP (0 skips the HTTP benchmark), STRATUS_BENCH_HTTP_SECONDS (wrk duration per server,
# default 10), STRATUS_BENCH_HTTP_ENGINES (engines of the HTTP benchmark, default all),
# STRATUS_BENCH_KV (0 skips the key-value benchmark), STRATUS_BENCH_KV_OPS (operations per kv measurement, 200000).
# Output: bench/results/latest.json (Google Benchmark JSON), bench/results/node.json (@wapc/host figures) with
# echo_request.bin + echo_response.bin (the echo actor's request and expected response), bench/results/http.json (+
# the raw wrk reports), bench/results/kv.json + kv.txt (kv_bench.sh), bench/results/summary.txt; the console table
# on stdout. Exits non-zero when a benchmark failed or is invalid.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build-bench"
results="$root/bench/results"
jobs="${STRATUS_BENCH_JOBS:-2}"
node_calls="${STRATUS_BENCH_NODE_CALLS:-200000}"

"$root/scripts/install-deps.sh" --bench

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
# An empty, private cache directory (removed afterwards): compiled aot code is neither taken from nor left in the
# user's cache, so first_compile_ns is a cold compile.
bench_cache="$(mktemp -d)"
bench_status=0
XDG_CACHE_HOME="$bench_cache" "$build/bench/stratus_bench" --benchmark_out="$results/latest.json" \
  --benchmark_out_format=json "$@" || bench_status=$?
rm -rf "$bench_cache"
[ "$bench_status" -eq 0 ] || { echo "stratus_bench exited with status $bench_status"; exit 1; }

# The same calls on the reference waPC host, one instance each: test_actor's Echo with the same 64 bytes, and the
# HTTP echo actor's HandleRequest with the same request bytes (stratus_bench writes them and the expected response).
# Three runs each, the median kept: V8's tier-up and GC make single runs vary more than stratus_bench's figures.
node_call="$root/tests/compat/wapc_node_call.mjs"
# node_median <label> <module> <operation> <payload> <expected result | check-echo>: sets node_runs (space-separated)
# and node_ns (empty when a run failed or answered a wrong result). check-echo: the answer is checked as a value by
# `stratus_bench --stratus_check_echo_response` (the Rust echo actor's header order varies from call to call).
node_median() {
  local label="$1" module="$2" op="$3" payload="$4" expected="$5" err out runs=() expect_args=()
  node_runs="" node_ns=""
  [ "$expected" = check-echo ] || expect_args=(--expect "$expected")
  echo "-- $label: 3 runs of $node_calls calls"
  err="$(mktemp)" out="$(mktemp)"
  for _ in 1 2 3; do
    if node "$node_call" "$module" "$op" "$payload" --repeat "$node_calls" "${expect_args[@]}" >"$out" 2>"$err" &&
      { [ "$expected" != check-echo ] || "$build/bench/stratus_bench" --stratus_check_echo_response="$out" 2>>"$err"; }
    then
      runs+=("$(sed -n 's/^mean_ns_per_call=\([0-9.]*\).*/\1/p' "$err")")
    else
      echo "node peer failed or answered a wrong result:"; cat "$err"; runs=(); break
    fi
  done
  rm -f "$err" "$out"
  if ((${#runs[@]} == 3)); then
    node_runs="${runs[*]}"
    node_ns="$(printf '%s\n' "${runs[@]}" | sort -g | sed -n 2p)"
    echo "mean_ns_per_call per run: $node_runs -> median $node_ns"
  fi
}
# node_entry <median ns> <runs> <what>: one figure of node.json (null when not measured).
node_entry() {
  python3 -c '
import json, sys
ns, runs, calls, what = sys.argv[1:]
print(json.dumps({"ns": float(ns), "runs_ns": [float(r) for r in runs.split()], "calls": int(calls), "what": what}
                 if ns else None))' "$1" "$2" "$node_calls" "$3"
}

echo "== @wapc/host (Node/V8): the same calls as stratus_bench"
rm -f "$results/node.json"
if command -v node >/dev/null && [ -d "$root/tests/compat/node_modules/@wapc/host" ]; then
  # The payload stratus_bench echoes (bench_support.cc patternBytes(64, 1)).
  payload_hex="$(python3 -c '
x = 0x9E3779B9 ^ 1
out = bytearray()
for _ in range(64):
    x = (x * 1664525 + 1013904223) & 0xFFFFFFFF
    out.append(x >> 24)
print(out.hex())')"
  node_median "Echo 64 B on test_actor.wasm" "$build/actors/test_actor.wasm" Echo "$payload_hex" "$payload_hex"
  echo64_ns="$node_ns" echo64_runs="$node_runs"
  "$build/bench/stratus_bench" --stratus_write_echo_fixture="$results"
  node_median "HandleRequest on bench_http_echo.wasm ($(stat -c %s "$results/echo_request.bin") B request)" \
    "$build/actors/bench_http_echo.wasm" HandleRequest "@$results/echo_request.bin" "@$results/echo_response.bin"
  http_echo_ns="$node_ns" http_echo_runs="$node_runs"
  rust_echo_ns="" rust_echo_runs=""
  if [ -f "$build/actors/bench_rust_echo.wasm" ]; then
    node_median "HandleRequest on bench_rust_echo.wasm (wasmCloud's echo actor in Rust)" \
      "$build/actors/bench_rust_echo.wasm" HandleRequest "@$results/echo_request.bin" check-echo
    rust_echo_ns="$node_ns" rust_echo_runs="$node_runs"
  else
    echo "-- bench_rust_echo.wasm was not built (no Debian Rust wasm32 toolchain): its @wapc/host figure is skipped"
  fi
  wapc_version="$(cd "$root/tests/compat" && node -p 'require("@wapc/host/package.json").version')"
  cat >"$results/node.json" <<EOF
{
  "host": "@wapc/host $wapc_version on node $(node --version)",
  "echo64": $(node_entry "$echo64_ns" "$echo64_runs" "test_actor.wasm Echo, 64 bytes (patternBytes(64, 1))"),
  "http_echo": $(node_entry "$http_echo_ns" "$http_echo_runs" "bench_http_echo.wasm HandleRequest of echo_request.bin"),
  "rust_echo": $(node_entry "$rust_echo_ns" "$rust_echo_runs" "bench_rust_echo.wasm HandleRequest of echo_request.bin")
}
EOF
else
  echo "skipped: node or tests/compat/node_modules missing (scripts/install-deps.sh --test installs them)"
fi

# HTTP: the same wrk load on stratus (hello actor via httpserver), once per engine, and on a bare Boost.Beast server,
# one after the other. http_bench.sh writes http.json even when the run is invalid (the summary then says why).
http_status=0
rm -f "$results/http.json" "$results"/wrk_*.txt
if [ "$http" != 0 ]; then
  echo "== HTTP: hello actor through httpserver, per engine, vs bare Boost.Beast (wrk)"
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
[ -f "$results/node.json" ] && summary_args+=(--node "$results/node.json")
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

# The lattice: calls between two hosts over one nats-server vs bare libnats request/reply, 64 in flight, and a
# joining host learning 10,000 links (stratus_lattice_bench; writes lattice.json). STRATUS_BENCH_LATTICE=0 skips it;
# STRATUS_BENCH_LATTICE_SECONDS (per round, default 3) and STRATUS_BENCH_LATTICE_LINKS (default 10000) tune it.
lattice_status=0
rm -f "$results/lattice.json" "$results/lattice.txt"
if [ "${STRATUS_BENCH_LATTICE:-1}" != 0 ]; then
  echo "== lattice: calls between two hosts vs bare libnats request/reply"
  ninja -C "$build" -j "$jobs" stratus_lattice_bench
  "$build/bench/stratus_lattice_bench" --seconds "${STRATUS_BENCH_LATTICE_SECONDS:-3}" \
    --links "${STRATUS_BENCH_LATTICE_LINKS:-10000}" --json "$results/lattice.json" 2>"$results/lattice.log" \
    | tee "$results/lattice.txt" || lattice_status=$?
  tee -a "$results/summary.txt" <"$results/lattice.txt" >/dev/null
else
  echo "== lattice: skipped (STRATUS_BENCH_LATTICE=0)"
fi

# OCI: starting an actor from a local registry (docker-registry), cold and cached, beside starting it from its file
# (stratus_oci_bench; writes oci.json). STRATUS_BENCH_OCI=0 skips it; STRATUS_BENCH_OCI_ROUNDS (default 30).
oci_status=0
rm -f "$results/oci.json" "$results/oci.txt"
if [ "${STRATUS_BENCH_OCI:-1}" != 0 ]; then
  echo "== OCI: start from a registry, cold and cached, vs from a file"
  ninja -C "$build" -j "$jobs" stratus_oci_bench
  XDG_CACHE_HOME="$(mktemp -d)" "$build/bench/stratus_oci_bench" --rounds "${STRATUS_BENCH_OCI_ROUNDS:-30}" \
    --json "$results/oci.json" 2>"$results/oci.log" | tee "$results/oci.txt" || oci_status=$?
  tee -a "$results/summary.txt" <"$results/oci.txt" >/dev/null
else
  echo "== OCI: skipped (STRATUS_BENCH_OCI=0)"
fi
# Process isolation: a provider call in process vs in a child process, and a restart (stratus_isolation_bench;
# writes isolation.json). STRATUS_BENCH_ISOLATION=0 skips it.
isolation_status=0
rm -f "$results/isolation.json" "$results/isolation.txt"
if [ "${STRATUS_BENCH_ISOLATION:-1}" != 0 ]; then
  echo "== Isolation: provider calls in process vs in a child process, restart time"
  ninja -C "$build" -j "$jobs" stratus_isolation_bench
  rust_kv=$(ls "$build"/tests/providers/rust/libkv_provider-*.so 2>/dev/null | sort -V | tail -1)
  "$build/bench/stratus_isolation_bench" --stratus "$build/tools/stratus/stratus" \
    --ping "$build/providers/libstratus_bench_ping.so" \
    --test-provider "$build/tests/providers/libstratus_test_provider.so" ${rust_kv:+--rust-kv "$rust_kv"} \
    --json "$results/isolation.json" 2>"$results/isolation.log" | tee "$results/isolation.txt" || isolation_status=$?
  tee -a "$results/summary.txt" <"$results/isolation.txt" >/dev/null
else
  echo "== Isolation: skipped (STRATUS_BENCH_ISOLATION=0)"
fi
[ "$summary_status" -eq 0 ] && [ "$http_status" -eq 0 ] && [ "${kv_status:-0}" -eq 0 ] && [ "$nats_status" -eq 0 ] &&
  [ "$lattice_status" -eq 0 ] && [ "$oci_status" -eq 0 ] && [ "$isolation_status" -eq 0 ]
