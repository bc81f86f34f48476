#!/usr/bin/env bash
# HTTP requests/s and p50/p99 latency of the hello actor (bench/actors/http_hello.c) served by `stratus up` through
# the httpserver provider, beside a bare Boost.Beast server (bench/bare_http_server.cc) that sends the same bytes,
# both loaded by the same wrk command in the same run. See bench/README.md.
#
#   bench/http_bench.sh <build dir> <results dir>
#
# The build dir must hold: tools/stratus/stratus, providers/httpserver.par.gz, actors/bench_http_hello.wasm and
# bench/stratus_bare_http_server (bench/run.sh builds them).
# Environment: STRATUS_BENCH_HTTP_SECONDS (wrk duration per server, default 10), STRATUS_BENCH_HTTP_WARMUP (an
# unreported wrk run before each measured one, default 2; 0 skips it).
# Output: <results>/http.json, the raw wrk reports <results>/wrk_stratus.txt and wrk_bare_beast.txt, a table on
# stdout. Exit status: 0 valid; 1 the benchmark could not run; 2 it ran but the result is invalid (wrong response,
# non-2xx answers or socket errors during the run: http.json says which).
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 <build dir> <results dir>" >&2
  exit 1
fi
build="$(cd "$1" && pwd)"
mkdir -p "$2"
results="$(cd "$2" && pwd)"
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

# wait_for_line <log> <text> <what>: waits until <text> appears in <log> while server_pid runs (60 s at most).
wait_for_line() {
  local log="$1" text="$2" what="$3"
  for _ in $(seq 600); do
    grep -qF "$text" "$log" && return 0
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "$what exited before it was ready:"; cat "$log"; exit 1
    fi
    sleep 0.1
  done
  echo "$what not ready after 60 s:"; cat "$log"; exit 1
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

# measure <name> <url>: one curl answer kept in $tmp/<name>.curl, a warm-up, then the measured wrk run.
measure() {
  local name="$1" url="$2"
  curl -si --max-time 10 "$url" >"$tmp/$name.curl" || { echo "curl $url failed"; exit 1; }
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

# --- stratus: the hello actor behind the httpserver provider, started from a manifest by `stratus up` ---
"$stratus" claims sign "$actor_wasm" -o "$tmp/http_hello_s.wasm" --name bench_http_hello \
  --cap wasmcloud:httpserver >"$tmp/sign.log"
actor_key="$("$stratus" claims inspect "$tmp/http_hello_s.wasm" -o json | json_field subject)"
provider_key="$("$stratus" par inspect "$archive" -o json | json_field subject)"
stratus_port="$(free_port)"
cat >"$tmp/manifest.yaml" <<EOF
# Written by bench/http_bench.sh: the hello actor on 127.0.0.1:$stratus_port through the httpserver provider.
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
      BIND: "127.0.0.1:$stratus_port"
EOF
# A private provider cache, so the run neither depends on nor leaves anything in the user's cache.
XDG_CACHE_HOME="$tmp/cache" "$stratus" up -m "$tmp/manifest.yaml" >"$tmp/stratus_up.log" 2>&1 &
server_pid=$!
wait_for_line "$tmp/stratus_up.log" "manifest applied" "stratus up"
measure stratus "http://127.0.0.1:$stratus_port/"
stop_server "stratus up"
warnings="$(grep -ciE '\[(warning|error|critical)\]' "$tmp/stratus_up.log" || true)"
if [ "$warnings" != 0 ]; then
  echo "-- stratus up logged $warnings warning(s)/error(s); the first ones:"
  grep -iE '\[(warning|error|critical)\]' "$tmp/stratus_up.log" | head -5
fi

# --- bare Boost.Beast: the same bytes, no actor ---
bare_port="$(free_port)"
"$bare" "$bare_port" 2 127.0.0.1 >"$tmp/bare.log" 2>&1 &
server_pid=$!
wait_for_line "$tmp/bare.log" "listening on" "stratus_bare_http_server"
measure bare_beast "http://127.0.0.1:$bare_port/"
stop_server "stratus_bare_http_server"

# --- the result ---
same_bytes=true
if ! cmp -s "$tmp/stratus.curl" "$tmp/bare_beast.curl"; then
  same_bytes=false
  echo "-- the two servers answered different bytes (cat -A; < stratus, > bare Beast):"
  diff <(cat -A "$tmp/stratus.curl") <(cat -A "$tmp/bare_beast.curl") || true
fi

python3 - "$results" "$same_bytes" "$tmp/stratus.curl" "$seconds" "$wrk_threads" "$wrk_connections" \
  "$load_before" "$(nproc)" <<'EOF'
import json
import re
import sys

results, same_bytes, stratus_curl, seconds, threads, connections, load_before, cores = sys.argv[1:]
TO_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def parse_wrk(path):
    """The figures of one `wrk --latency` report, with every problem wrk reported."""
    text = open(path, encoding="utf-8").read()
    out = {"rps": None, "p50_ms": None, "p99_ms": None, "requests": None, "non_2xx": 0, "socket_errors": None}
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


servers = {name: parse_wrk(f"{results}/wrk_{name}.txt") for name in ("stratus", "bare_beast")}
problems = [f"{name}: {p}" for name, s in servers.items() for p in s["problems"]]
reply = open(stratus_curl, "rb").read()
if not reply.startswith(b"HTTP/1.1 200 ") or not reply.endswith(b"\r\n\r\nHello from stratus\n"):
    problems.append("stratus did not answer 200 with the body 'Hello from stratus\\n'")
if same_bytes != "true":
    problems.append("the two servers' responses differ (headers or body)")
valid = not problems


def ratio(key):
    a, b = servers["stratus"][key], servers["bare_beast"][key]
    return a / b if valid and a and b else None


report = {
    "stratus": servers["stratus"],
    "bare_beast": servers["bare_beast"],
    "ratio_rps": ratio("rps"),
    "ratio_p50": ratio("p50_ms"),
    "ratio_p99": ratio("p99_ms"),
    "same_response_bytes": same_bytes == "true",
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
print(f"  {'server':<28} {'requests/s':>12} {'p50':>10} {'p99':>10}")
for name, label in (("stratus", "stratus (actor, httpserver)"), ("bare_beast", "bare Boost.Beast")):
    s = servers[name]
    mark = "" if s["valid"] else "   INVALID"
    print(f"  {label:<28} {num(s['rps'], '.0f'):>12} {num(s['p50_ms'], '.3f') + ' ms':>10} "
          f"{num(s['p99_ms'], '.3f') + ' ms':>10}{mark}")
print(f"  {'ratio stratus / bare':<28} {num(report['ratio_rps'], '.3f'):>12} {num(report['ratio_p50'], '.2f'):>10} "
      f"{num(report['ratio_p99'], '.2f'):>10}")
for p in problems:
    print(f"  INVALID: {p}")
print(f"  written: {results}/http.json")
sys.exit(0 if valid else 2)
EOF
