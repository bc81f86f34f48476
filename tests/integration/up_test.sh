#!/usr/bin/env bash
# `stratus up` end to end: the built-in example manifest serves HTTP, counts per path, and stops cleanly on SIGINT
# (exit 0, port closed), moving the actor from the interpreter to native code on the way; a bad manifest fails with a message naming the entry; the example keys match their seeds.
# Also the pingpong example: actor-to-actor by call alias and the built-in extras provider.
# Usage: up_test.sh <stratus binary> <source dir>
set -uo pipefail
stratus=$1 src=$2
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"' EXIT
passed=0 failed=0
check() {  # check <description> <command...>
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
get() { python3 - "$port" "$1" <<'PY'
import sys, urllib.request
try:
    print(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}{sys.argv[2]}", timeout=5).read().decode())
except Exception as e:
    print(f"ERROR {e}")
PY
}

PORT=$port XDG_CACHE_HOME="$work/cache" "$stratus" up >"$work/up.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q "manifest applied" "$work/up.log" && break; sleep 0.1; done
check "up applies the built-in manifest" grep -q "manifest applied: 1 actor(s), 3 provider(s), 2 link(s)" "$work/up.log"
check "first request counts 1" test "$(get /visits)" = '{"counter":1}'
check "second request counts 2" test "$(get /visits)" = '{"counter":2}'
check "another path counts on its own" test "$(get /other)" = '{"counter":1}'
# `up` runs actors on `auto`: the interpreter at once, native code once the background compile finishes.
check "the actor starts on the interpreter (auto)" grep -q "actor started: .* on interp" "$work/up.log"
for _ in $(seq 1 300); do grep -q "now runs native code" "$work/up.log" && break; sleep 0.1; done
check "the actor moves to native code (auto)" grep -q "counter .* now runs native code" "$work/up.log"
check "requests go on counting on native code" test "$(get /visits)" = '{"counter":3}'
kill -INT "$pid"
wait "$pid"; rc=$?; pid=""
check "SIGINT stops the host with exit 0" test $rc -eq 0
check "shutdown stops the providers" grep -q "provider stopped: stratus httpserver" "$work/up.log"
check "the port is closed after shutdown" grep -q "ERROR" <<<"$(get /visits)"

# Actor-to-actor by call alias and the built-in extras provider, from the pingpong example manifest.
examples=$(dirname "$stratus")/../../examples
PORT=$port XDG_CACHE_HOME="$work/cache" "$stratus" up -m "$examples/pingpong/manifest.yaml" >"$work/ping.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q "manifest applied" "$work/ping.log" && break; sleep 0.1; done
reply=$(get /hello)
check "pinger relays ponger's answer (called by alias)" \
  python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d['reply']=='pong: /hello', d" "$reply"
check "pinger got a GUID from wasmcloud:extras" \
  python3 -c "import json,sys,uuid; d=json.loads(sys.argv[1]); assert uuid.UUID(d['guid']).version==4, d" "$reply"
kill -INT "$pid"
wait "$pid"; rc=$?; pid=""
check "pingpong host stops with exit 0" test $rc -eq 0

cat >"$work/bad.yaml" <<YAML
actors:
  - ./missing_s.wasm
YAML
out=$("$stratus" up -m "$work/bad.yaml" 2>&1); rc=$?
check "a manifest with a missing actor fails" test $rc -ne 0
check "the error names the file and entry" grep -q "bad.yaml: actors\[0\] (./missing_s.wasm)" <<<"$out"
out=$("$stratus" up -m "$work/nope.yaml" 2>&1); rc=$?
check "a missing manifest fails" test $rc -ne 0

# The keys in the example manifest and CMake are those of the committed development seeds.
for pair in counter:examples/keys/counter.nk counter:providers/keys/httpserver.nk counter:providers/keys/keyvalue.nk \
            pingpong:examples/keys/pinger.nk pingpong:providers/keys/httpserver.nk; do
  key=$("$stratus" keys get "$(cat "$src/${pair#*:}")")
  check "${pair#*:}'s key appears in the ${pair%%:*} manifest" grep -q "$key" "$examples/${pair%%:*}/manifest.yaml"
done

echo "up_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
