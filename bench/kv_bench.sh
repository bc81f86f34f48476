#!/usr/bin/env bash
# Key-value operations per second: bench_kv_actor's wasmcloud:keyvalue Adds through a stratus host to the Redis
# provider, beside `redis-benchmark` sending INCR to the same redis-server in the same run (and the same Adds to
# the in-memory provider, for reference). See bench/README.md.
#
#   bench/kv_bench.sh <build dir> <results dir>
#
# The build dir must hold bench/stratus_kv_bench, providers/libstratus_redis.so, providers/libstratus_keyvalue.so
# and actors/bench_kv_actor.wasm (bench/run.sh builds them); redis-server and redis-benchmark must be installed
# (scripts/install-deps.sh --test).
# Environment: STRATUS_BENCH_KV_OPS (operations per measurement, default 200000).
# Output: <results>/kv.json, the table in <results>/kv.txt and on stdout. Exit status: 0 done; 1 the benchmark could not run or failed.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
ops="${STRATUS_BENCH_KV_OPS:-200000}"

kv_bench="$build/bench/stratus_kv_bench"
for f in "$kv_bench" "$build/providers/libstratus_redis.so" "$build/providers/libstratus_keyvalue.so" \
    "$build/actors/bench_kv_actor.wasm"; do
  [ -f "$f" ] || { echo "kv_bench.sh: missing $f (bench/run.sh builds it)" >&2; exit 1; }
done
for tool in redis-server redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || { echo "kv_bench.sh: $tool is not installed (scripts/install-deps.sh --test)" >&2
    exit 1; }
done

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
redis-server --port "$port" --save "" --appendonly no --bind 127.0.0.1 >"$tmp/redis.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  [ "$(redis-cli -p "$port" ping 2>/dev/null || true)" = PONG ] && break
  kill -0 "$server_pid" 2>/dev/null || { echo "redis-server exited:"; cat "$tmp/redis.log"; exit 1; }
  sleep 0.1
done
[ "$(redis-cli -p "$port" ping 2>/dev/null || true)" = PONG ] || { echo "redis-server not ready"; exit 1; }

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
# One connection, one request at a time (-c 1, no pipelining): what one actor instance making sequential host calls
# can do at best. Run before and after stratus, so drifting load on the shared cores shows instead of skewing one side.
bench_cmd=(redis-benchmark -p "$port" -c 1 -n "$ops" -t incr --csv)
echo "-- ${bench_cmd[*]}"
"${bench_cmd[@]}" >"$tmp/rb1.csv"
cat "$tmp/rb1.csv"
echo "-- $kv_bench redis://127.0.0.1:$port/0 $ops"
"$kv_bench" "redis://127.0.0.1:$port/0" "$ops" >"$tmp/stratus.json"
cat "$tmp/stratus.json"
echo "-- ${bench_cmd[*]} (again)"
"${bench_cmd[@]}" >"$tmp/rb2.csv"
cat "$tmp/rb2.csv"

python3 - "$results" "$tmp" "$ops" "$load_before" "$(nproc)" "${bench_cmd[*]}" "$(redis-server --version)" <<'EOF'
import csv
import json
import sys

results, tmp, ops, load_before, cores, bench_cmd, redis_version = sys.argv[1:]


def incr_rps(path):
    """requests/s of the INCR row of a `redis-benchmark --csv` report."""
    with open(path, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row.get("test") == "INCR":
                return float(row["rps"])
    raise SystemExit(f"no INCR row in {path}")


runs = [incr_rps(f"{tmp}/rb1.csv"), incr_rps(f"{tmp}/rb2.csv")]
baseline = sum(runs) / len(runs)
stratus = json.load(open(f"{tmp}/stratus.json", encoding="utf-8"))
redis_ops = stratus["redis"]["ops_per_s"]
memory_ops = stratus["in_memory"]["ops_per_s"]
report = {
    "redis_benchmark_incr": {"ops_per_s": baseline, "runs_ops_per_s": runs, "command": bench_cmd},
    "stratus_redis_add": stratus["redis"],
    "stratus_in_memory_add": stratus["in_memory"],
    "ratio_stratus_redis_to_redis_benchmark": redis_ops / baseline,
    "us_per_op": {"redis_benchmark_incr": 1e6 / baseline, "stratus_redis_add": 1e6 / redis_ops,
                  "stratus_in_memory_add": 1e6 / memory_ops},
    "config": {"ops": int(ops), "engine": stratus["engine"], "adds_per_call": stratus["adds_per_call"],
               "cores": int(cores), "load_before": load_before, "redis": redis_version},
}
with open(f"{results}/kv.json", "w", encoding="utf-8") as f:
    json.dump(report, f, indent=2)
    f.write("\n")

lines = [f"== key-value ops/s, one connection, sequential ({cores} cores, load before {load_before})",
         f"  {'path':<52} {'ops/s':>10} {'us/op':>8}"]
rows = (("redis-benchmark INCR (-c 1), mean of 2 runs", baseline),
        ("stratus: actor Add -> host -> Redis provider -> Redis", redis_ops),
        ("stratus: actor Add -> host -> in-memory provider", memory_ops))
for label, value in rows:
    lines.append(f"  {label:<52} {value:>10.0f} {1e6 / value:>8.2f}")
lines.append(f"  ratio stratus Redis / redis-benchmark: {report['ratio_stratus_redis_to_redis_benchmark']:.3f}")
with open(f"{results}/kv.txt", "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
print("\n".join(lines))
print(f"  written: {results}/kv.json, {results}/kv.txt")
EOF
