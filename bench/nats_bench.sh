#!/usr/bin/env bash
# NATS request/reply round trips per second: (a) libnats alone (stratus_nats_bench --serve: a libnats callback echoes
# each request to its reply subject) against (b) the same requests answered through stratus (`stratus up` with the
# messaging example manifest: the NATS provider delivers HandleMessage to the messaging_echo actor, which Publishes
# the body to replyTo), both measured by the same libnats client against one nats-server this script starts, in one
# run. See bench/README.md.
#
#   bench/nats_bench.sh <build dir> <results dir>
#
# The build dir must hold: tools/stratus/stratus, providers/nats.par.gz, examples/messaging/manifest.yaml (+ the
# signed actor) and bench/stratus_nats_bench (bench/run.sh builds them).
# Environment: STRATUS_BENCH_NATS_SECONDS (per measurement, default 5), STRATUS_BENCH_NATS_CONCURRENCY (requests in
# flight, a list, default "1 8"), STRATUS_BENCH_NATS_PAYLOAD (bytes, default 64), STRATUS_BENCH_NATS_DELIVERY_THREADS
# (the provider's DELIVERY_THREADS, default 1 like the libnats responder's one callback thread).
# Output: <results>/nats.json, a table on stdout. Exit status: 0 valid; 1 the benchmark could not run; 2 it ran but
# a measurement had errors (wrong replies, timeouts; nats.json says which).
set -euo pipefail

. "$(dirname "$0")/lib.sh"
seconds="${STRATUS_BENCH_NATS_SECONDS:-5}"
concurrency="${STRATUS_BENCH_NATS_CONCURRENCY:-1 8}"
payload="${STRATUS_BENCH_NATS_PAYLOAD:-64}"
delivery_threads="${STRATUS_BENCH_NATS_DELIVERY_THREADS:-1}"

stratus="$build/tools/stratus/stratus"
manifest="$build/examples/messaging/manifest.yaml"
bench="$build/bench/stratus_nats_bench"
for f in "$stratus" "$build/providers/nats.par.gz" "$manifest" "$build/examples/messaging_echo_s.wasm" "$bench"; do
  [ -f "$f" ] || { echo "nats_bench.sh: missing $f (bench/run.sh builds it)" >&2; exit 1; }
done
nats_server="$(command -v nats-server || ls /usr/sbin/nats-server 2>/dev/null || true)"
if [ -z "$nats_server" ]; then
  echo "nats_bench.sh: nats-server is not installed (scripts/install-deps.sh --test installs it)" >&2
  exit 1
fi

tmp="$(mktemp -d)"
nats_pid="" up_pid=""
cleanup() {
  for pid in "$up_pid" "$nats_pid"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="nats://127.0.0.1:$port"
"$nats_server" -a 127.0.0.1 -p "$port" >"$tmp/nats.log" 2>&1 &
nats_pid=$!
for _ in $(seq 100); do
  python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' "$port" \
    2>/dev/null && break
  sleep 0.05
done
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

# (b) first starts the host; (a) runs against the same server while the host idles, so both see the same machine.
NATS_URL="$url" SUBSCRIPTION=bench.stratus DELIVERY_THREADS="$delivery_threads" XDG_CACHE_HOME="$tmp/cache" \
  "$stratus" up -m "$manifest" >"$tmp/stratus_up.log" 2>&1 &
up_pid=$!
for _ in $(seq 600); do
  grep -q "manifest applied" "$tmp/stratus_up.log" && break
  kill -0 "$up_pid" 2>/dev/null || { echo "stratus up exited:"; cat "$tmp/stratus_up.log"; exit 1; }
  sleep 0.1
done
grep -q "manifest applied" "$tmp/stratus_up.log" || { echo "stratus up not ready:"; cat "$tmp/stratus_up.log"; exit 1; }

runs=()
for c in $concurrency; do
  echo "-- concurrency $c: libnats alone (responder in stratus_nats_bench), ${seconds}s"
  "$bench" --url "$url" --subject bench.libnats --serve --seconds "$seconds" --concurrency "$c" --payload "$payload" \
    --label "libnats_c$c" | tee "$tmp/libnats_c$c.json" || true
  echo "-- concurrency $c: through stratus (NATS provider + messaging_echo actor), ${seconds}s"
  "$bench" --url "$url" --subject bench.stratus --seconds "$seconds" --concurrency "$c" --payload "$payload" \
    --label "stratus_c$c" | tee "$tmp/stratus_c$c.json" || true
  runs+=("$c")
done

kill -INT "$up_pid"
for _ in $(seq 200); do kill -0 "$up_pid" 2>/dev/null || break; sleep 0.1; done
wait "$up_pid" 2>/dev/null || echo "warning: stratus up exited with status $?"
up_pid=""
warnings="$(grep -ciE '\[(warning|error|critical)\]' "$tmp/stratus_up.log" || true)"
if [ "$warnings" != 0 ]; then
  echo "-- stratus up logged $warnings warning(s)/error(s); the first ones:"
  grep -iE '\[(warning|error|critical)\]' "$tmp/stratus_up.log" | head -5
fi

python3 - "$results" "$tmp" "$seconds" "$payload" "$delivery_threads" "$load_before" "$(nproc)" "${runs[@]}" <<'EOF'
import json
import sys

results, tmp, seconds, payload, delivery_threads, load_before, cores, *runs = sys.argv[1:]


def load(name):
    try:
        with open(f"{tmp}/{name}.json", encoding="utf-8") as f:
            return json.loads(f.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError) as e:
        return {"label": name, "rps": None, "errors": None, "problem": f"no result ({e})"}


report = {"runs": [], "valid": True, "problems": []}
for c in runs:
    lib, st = load(f"libnats_c{c}"), load(f"stratus_c{c}")
    for r in (lib, st):
        if r.get("problem") or r.get("errors") or not r.get("requests"):
            report["valid"] = False
            report["problems"].append(f"{r['label']}: " + (r.get("problem") or
                                      f"{r.get('errors')} errors (first: {r.get('first_error') or '-'})"))
    ok = lib.get("rps") and st.get("rps") and not lib.get("errors") and not st.get("errors")
    report["runs"].append({
        "concurrency": int(c),
        "libnats": lib,
        "stratus": st,
        "ratio_rps": st["rps"] / lib["rps"] if ok else None,
        "ratio_p50": st["p50_us"] / lib["p50_us"] if ok and lib.get("p50_us") else None,
    })
report["config"] = {"seconds": float(seconds), "payload_bytes": int(payload),
                    "delivery_threads": int(delivery_threads), "cores": int(cores), "load_before": load_before}
with open(f"{results}/nats.json", "w", encoding="utf-8") as f:
    json.dump(report, f, indent=2)
    f.write("\n")


def num(v, fmt):
    return "n/a" if v is None else format(v, fmt)


print(f"== NATS request/reply, {payload} B, {seconds}s per run ({cores} cores, load before {load_before}, "
      f"DELIVERY_THREADS={delivery_threads})")
print(f"  {'in flight':>9} {'libnats rps':>12} {'stratus rps':>12} {'ratio':>7} {'p50 libnats':>12} "
      f"{'p50 stratus':>12} {'p99 stratus':>12}")
for r in report["runs"]:
    lib, st = r["libnats"], r["stratus"]
    print(f"  {r['concurrency']:>9} {num(lib.get('rps'), '.0f'):>12} {num(st.get('rps'), '.0f'):>12} "
          f"{num(r['ratio_rps'], '.3f'):>7} {num(lib.get('p50_us'), '.0f') + ' us':>12} "
          f"{num(st.get('p50_us'), '.0f') + ' us':>12} {num(st.get('p99_us'), '.0f') + ' us':>12}")
for p in report["problems"]:
    print(f"  INVALID: {p}")
print(f"  ratio = stratus rps / libnats rps; written: {results}/nats.json")
sys.exit(0 if report["valid"] else 2)
EOF
