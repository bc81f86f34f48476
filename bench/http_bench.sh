#!/usr/bin/env bash
# HTTP requests/s and p50/p99 latency of the hello actor (bench/actors/http_hello.c) served by `stratus up` through
# the httpserver provider, once per engine (`stratus up --engine <name>`), beside a bare Boost.Beast server
# (bench/bare_http_server.cc) that sends the same bytes, all loaded by the same wrk command in the same run. See
# bench/README.md.
#
#   bench/http_bench.sh <build dir> <results dir>
#
# The build dir must hold: tools/stratus/stratus, providers/httpserver.par.gz, actors/bench_http_hello.wasm,
# bench/stratus_bare_http_server and bench/stratus_bench, which lists the engines (bench/run.sh builds them).
# Environment: STRATUS_BENCH_HTTP_SECONDS (wrk duration per server, default 10), STRATUS_BENCH_HTTP_WARMUP (an
# unreported wrk run before each measured one, default 2; 0 skips it), STRATUS_BENCH_HTTP_ENGINES (space-separated
# engines to run; default: every engine `stratus_bench --stratus_list_engines` prints).
# Output: <results>/http.json, the raw wrk reports <results>/wrk_stratus_<engine>.txt and wrk_bare_beast.txt, a
# table on stdout. Exit status: 0 valid; 1 the benchmark could not run; 2 it ran but the result is invalid (an engine
# did not start, a wrong response, non-2xx answers or socket errors during the run: http.json says which).
set -euo pipefail

. "$(dirname "$0")/lib.sh"
seconds="${STRATUS_BENCH_HTTP_SECONDS:-10}"
warmup="${STRATUS_BENCH_HTTP_WARMUP:-2}"
wrk_threads=2
wrk_connections=32

stratus="$build/tools/stratus/stratus"
archive="$build/providers/httpserver.par.gz"
actor_wasm="$build/actors/bench_http_hello.wasm"
bare="$build/bench/stratus_bare_http_server"
for f in "$stratus" "$archive" "$actor_wasm" "$bare"; do
  [ -f "$f" ] || { echo "http_bench.sh: missing $f (bench/run.sh builds it)" >&2; exit 1; }
done
if [ -n "${STRATUS_BENCH_HTTP_ENGINES:-}" ]; then
  read -r -a engines <<<"$STRATUS_BENCH_HTTP_ENGINES"
else
  [ -x "$build/bench/stratus_bench" ] || { echo "http_bench.sh: missing $build/bench/stratus_bench" >&2; exit 1; }
  mapfile -t engines < <("$build/bench/stratus_bench" --stratus_list_engines)
fi
((${#engines[@]} > 0)) || { echo "http_bench.sh: no engine to run" >&2; exit 1; }

if ! command -v wrk >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing wrk"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null
fi

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

json_field() {  # json_field <field>: the field of the JSON object on stdin
  python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# wait_for_line <log> <text> <what>: waits until <text> appears in <log> while server_pid runs (120 s at most: the
# aot engine compiles the actor before the manifest is applied). Returns 1 (the log printed) when it does not.
wait_for_line() {
  local log="$1" text="$2" what="$3"
  for _ in $(seq 1200); do
    grep -qF "$text" "$log" && return 0
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "$what exited before it was ready:"; cat "$log"; return 1
    fi
    sleep 0.1
  done
  echo "$what not ready after 120 s:"; cat "$log"; return 1
}

# stop_server <what>: SIGINT, then up to 20 s for a clean exit (SIGKILL after that, reported).
stop_server() {
  local what="$1" status=0
  kill -INT "$server_pid"
  for _ in $(seq 200); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$server_pid" 2>/dev/null; then
    echo "warning: $what did not stop within 20 s of SIGINT; killed"
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  wait "$server_pid" || status=$?
  [ "$status" -eq 0 ] || echo "warning: $what exited with status $status"
  server_pid=""
}

# measure <name> <url>: one curl answer kept in $tmp/<name>.curl, a warm-up, then the measured wrk run into
# $results/wrk_<name>.txt. Returns 1 (no wrk report) when curl gets no answer.
measure() {
  local name="$1" url="$2"
  curl -si --max-time 10 "$url" >"$tmp/$name.curl" || { echo "curl $url failed"; rm -f "$tmp/$name.curl"; return 1; }
  echo "-- $name: curl -si $url"
  sed 's/^/   | /' "$tmp/$name.curl"
  echo
  if [ "$warmup" != 0 ]; then
    wrk -t"$wrk_threads" -c"$wrk_connections" -d"${warmup}s" "$url" >/dev/null
  fi
  echo "-- $name: wrk -t$wrk_threads -c$wrk_connections -d${seconds}s --latency $url"
  wrk -t"$wrk_threads" -c"$wrk_connections" -d"${seconds}s" --latency "$url" | tee "$results/wrk_$name.txt"
}

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- stratus: the hello actor behind the httpserver provider, started from a manifest by `stratus up`, per engine ---
"$stratus" claims sign "$actor_wasm" -o "$tmp/http_hello_s.wasm" --name bench_http_hello \
  --cap wasmcloud:httpserver >"$tmp/sign.log"
actor_key="$("$stratus" claims inspect "$tmp/http_hello_s.wasm" -o json | json_field subject)"
provider_key="$("$stratus" par inspect "$archive" -o json | json_field subject)"
: >"$tmp/startup.txt"
for engine in "${engines[@]}"; do
  name="stratus_$engine"
  rm -f "$results/wrk_$name.txt"
  port="$(free_port)"
  cat >"$tmp/manifest_$engine.yaml" <<EOF
# Written by bench/http_bench.sh: the hello actor on 127.0.0.1:$port through the httpserver provider.
labels:
  bench: http
actors:
  - "$tmp/http_hello_s.wasm"
capabilities:
  - image_ref: "$archive"
links:
  - actor: $actor_key
    contract_id: wasmcloud:httpserver
    provider_id: $provider_key
    values:
      BIND: "127.0.0.1:$port"
EOF
  # A private cache per engine (providers, compiled code), so the run neither depends on nor leaves anything in the
  # user's cache: an AOT engine compiles the actor during this start-up.
  echo "-- $name: stratus up --engine $engine"
  started="$(date +%s.%N)"
  XDG_CACHE_HOME="$tmp/cache_$engine" "$stratus" up -m "$tmp/manifest_$engine.yaml" --engine "$engine" \
    >"$tmp/$name.log" 2>&1 &
  server_pid=$!
  if wait_for_line "$tmp/$name.log" "manifest applied" "stratus up --engine $engine"; then
    echo "$engine $(python3 -c 'import sys, time; print(f"{time.time() - float(sys.argv[1]):.2f}")' "$started")" \
      >>"$tmp/startup.txt"
    measure "$name" "http://127.0.0.1:$port/" || true
    stop_server "stratus up --engine $engine"
  else
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
  warnings="$(grep -ciE '\[(warning|error|critical)\]' "$tmp/$name.log" || true)"
  if [ "$warnings" != 0 ]; then
    echo "-- stratus up --engine $engine logged $warnings warning(s)/error(s); the first ones:"
    grep -iE '\[(warning|error|critical)\]' "$tmp/$name.log" | head -5
  fi
done

# --- bare Boost.Beast: the same bytes, no actor ---
bare_port="$(free_port)"
"$bare" "$bare_port" 2 127.0.0.1 >"$tmp/bare.log" 2>&1 &
server_pid=$!
wait_for_line "$tmp/bare.log" "listening on" "stratus_bare_http_server" || exit 1
measure bare_beast "http://127.0.0.1:$bare_port/" || exit 1
stop_server "stratus_bare_http_server"

# --- the result ---
for engine in "${engines[@]}"; do
  if [ -f "$tmp/stratus_$engine.curl" ] && ! cmp -s "$tmp/stratus_$engine.curl" "$tmp/bare_beast.curl"; then
    echo "-- stratus $engine and bare Beast answered different bytes (cat -A; < stratus, > bare Beast):"
    diff <(cat -A "$tmp/stratus_$engine.curl") <(cat -A "$tmp/bare_beast.curl") || true
  fi
done

python3 - "$results" "$tmp" "$seconds" "$wrk_threads" "$wrk_connections" "$load_before" "$(nproc)" \
  "${engines[@]}" <<'PYTHON'
import json
import os
import re
import sys

results, tmp, seconds, threads, connections, load_before, cores = sys.argv[1:8]
engines = sys.argv[8:]
TO_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def parse_wrk(path):
    """The figures of one `wrk --latency` report, with every problem wrk reported."""
    out = {"rps": None, "p50_ms": None, "p99_ms": None, "requests": None, "non_2xx": 0, "socket_errors": None}
    if not os.path.exists(path):
        out["valid"] = False
        out["problems"] = ["did not start or did not answer (no wrk report; see the output above)"]
        return out
    text = open(path, encoding="utf-8").read()
    problems = []
    m = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    if m:
        out["rps"] = float(m.group(1))
    for pct, key in (("50", "p50_ms"), ("99", "p99_ms")):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M)
        if m:
            out[key] = float(m.group(1)) * TO_MS[m.group(2)]
    m = re.search(r"^\s+(\d+) requests in", text, re.M)
    if m:
        out["requests"] = int(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if m:
        out["non_2xx"] = int(m.group(1))
        problems.append(f"{out['non_2xx']} non-2xx/3xx responses")
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        out["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"), map(int, m.groups())))
        if any(out["socket_errors"].values()):
            problems.append("socket errors: " + ", ".join(f"{k} {v}" for k, v in out["socket_errors"].items()))
    for key in ("rps", "p50_ms", "p99_ms", "requests"):
        if out[key] is None:
            problems.append(f"no {key} in the wrk report")
    if out["requests"] == 0:
        problems.append("no request completed")
    out["valid"] = not problems
    out["problems"] = problems
    return out


def read(path):
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        return f.read()


startup = {}
with open(f"{tmp}/startup.txt", encoding="utf-8") as f:
    for line in f:
        engine, secs = line.split()
        startup[engine] = float(secs)

bare = parse_wrk(f"{results}/wrk_bare_beast.txt")
bare_reply = read(f"{tmp}/bare_beast.curl")
servers = {}
same_bytes = {}
for e in engines:
    s = parse_wrk(f"{results}/wrk_stratus_{e}.txt")
    s["startup_s"] = startup.get(e)
    reply = read(f"{tmp}/stratus_{e}.curl")
    if reply is not None:
        if not reply.startswith(b"HTTP/1.1 200 ") or not reply.endswith(b"\r\n\r\nHello from stratus\n"):
            s["problems"].append("did not answer 200 with the body 'Hello from stratus\\n'")
        same_bytes[e] = reply == bare_reply
        if not same_bytes[e]:
            s["problems"].append("its response differs from bare Beast's (headers or body)")
    s["valid"] = not s["problems"]
    servers[e] = s

problems = [f"stratus {e}: {p}" for e, s in servers.items() for p in s["problems"]]
problems += [f"bare Beast: {p}" for p in bare["problems"]]
valid = not problems


def ratio(a, b, key):
    """a[key] / b[key] when both results are valid."""
    return a[key] / b[key] if a["valid"] and b["valid"] and a[key] and b[key] else None


def ratios(a, b):
    return {"rps": ratio(a, b, "rps"), "p50": ratio(a, b, "p50_ms"), "p99": ratio(a, b, "p99_ms")}


base = engines[0]
report = {
    "engines": engines,
    "stratus": servers,
    "bare_beast": bare,
    "ratios_to_bare": {e: ratios(s, bare) for e, s in servers.items()},
    "base_engine": base,
    "ratios_to_base_engine": {e: ratios(servers[e], servers[base]) for e in engines[1:]},
    "same_response_bytes": same_bytes,
    "valid": valid,
    "problems": problems,
    "config": {"wrk": f"-t{threads} -c{connections} -d{seconds}s --latency", "duration_s": float(seconds),
               "threads": int(threads), "connections": int(connections), "cores": int(cores),
               "load_before": load_before},
}
with open(f"{results}/http.json", "w", encoding="utf-8") as f:
    json.dump(report, f, indent=2)
    f.write("\n")


def num(value, fmt):
    return "n/a" if value is None else format(value, fmt)


print(f"== HTTP hello, wrk -t{threads} -c{connections} -d{seconds}s ({cores} cores, load before {load_before})")
print(f"  {'server':<36} {'requests/s':>11} {'p50':>10} {'p99':>10} {'rps/bare':>9} {'start-up':>9}")
rows = [(f"stratus {e} (actor, httpserver)", servers[e], report["ratios_to_bare"][e]["rps"]) for e in engines]
rows.append(("bare Boost.Beast", bare, None))
for label, s, r in rows:
    start = s.get("startup_s")
    print(f"  {label:<36} {num(s['rps'], '.0f'):>11} {num(s['p50_ms'], '.3f') + ' ms':>10} "
          f"{num(s['p99_ms'], '.3f') + ' ms':>10} {num(r, '.3f'):>9} "
          f"{'' if start is None else num(start, '.1f') + ' s':>9}{'' if s['valid'] else '   INVALID'}")
for e, r in report["ratios_to_base_engine"].items():
    print(f"  {'ratio ' + e + ' / ' + base:<36} {num(r['rps'], '.2f'):>11} {num(r['p50'], '.2f'):>10} "
          f"{num(r['p99'], '.2f'):>10}")
for p in problems:
    print(f"  INVALID: {p}")
print(f"  written: {results}/http.json")
sys.exit(0 if valid else 2)
PYTHON
