#!/usr/bin/env bash
# `stratus ctl` end to end: a nats-server with JetStream on a free loopback port, `stratus up` joined to it with the
# lattice flags, then the ctl verbs against that host: get hosts / inventory / links / claims (text and json), start
# actor by auction with a constraint, call (text payload and file), link put / del, update actor (a refused and an
# accepted live update), stop actor, and the errors of a missing file, an empty namespace and a server that is not
# there.
# Usage: ctl_test.sh <stratus binary> <actor dir>. Fails when nats-server is not installed.
set -uo pipefail
stratus=$1 actors=$2
command -v nats-server >/dev/null || { echo "ctl_test: nats-server not installed (scripts/install-deps.sh --test)"; exit 1; }
source "$(dirname "$0")/lib.sh"

port=$(free_port)
nats-server -a 127.0.0.1 -p "$port" -js -sd "$work/jetstream" >"$work/nats.log" 2>&1 &
server_pid=$!
wait_port "$port"

printf 'labels:\n  zone: ctltest\n' >"$work/manifest.yaml"
XDG_CACHE_HOME="$work/cache" "$stratus" up -m "$work/manifest.yaml" --rpc-port "$port" --control-port "$port" \
  --nsprefix ctlsh --allow-live-updates >"$work/up.log" 2>&1 &
up_pid=$!
for _ in $(seq 1 100); do grep -q "manifest applied" "$work/up.log" && break; sleep 0.1; done
check "the host joins the lattice" grep -q "manifest applied" "$work/up.log"

ctl() { "$stratus" ctl "$@" --ctl-port "$port" --nsprefix ctlsh --timeout 1000; }
module_seed=$("$stratus" keys gen module | sed -n 's/^Seed: //p')
sign() {  # sign <revision> <output>: the same actor (module key), another revision
  "$stratus" claims sign "$actors/test_actor.wasm" -o "$2" --name ctl-shell --ver 1.2.3 -r "$1" -u "$module_seed" >/dev/null
}
sign 7 "$work/actor.wasm"
sign 8 "$work/actor-r8.wasm"

hosts=$(ctl get hosts -o json)
host=$(json 'd["hosts"][0]["id"]' <<<"$hosts")
check "get hosts -o json lists the host" test "$(json 'len(d["hosts"])' <<<"$hosts")" = 1
check "the host id is a server key" grep -Eq '^N[A-Z2-7]{55}$' <<<"$host"
check "get hosts prints a table" grep -q "^Host ID  *Uptime (seconds)" <<<"$(ctl get hosts)"
check "a verb that succeeds writes nothing to stderr" test -z "$(ctl get hosts 2>&1 >/dev/null)"

out=$(ctl start actor -c zone=ctltest "$work/actor.wasm"); rc=$?
check "start actor by auction with a constraint succeeds" test $rc -eq 0
check "start actor names the host it chose" grep -q "$host" <<<"$out"
inventory=$(ctl get inventory "$host" -o json)
actor=$(json 'd["inventory"]["actors"][0]["id"]' <<<"$inventory")
check "the inventory shows the actor with its path" \
  test "$(json 'd["inventory"]["actors"][0]["image_ref"]' <<<"$inventory")" = "$work/actor.wasm"
check "the inventory shows the host's label" test "$(json 'd["inventory"]["labels"]["zone"]' <<<"$inventory")" = ctltest
check "the text inventory lists the actor by name" grep -q "$actor  *ctl-shell" <<<"$(ctl get inventory "$host")"

check "call returns the echoed payload" test "$(ctl call "$actor" Echo --payload "hello, lattice")" = "hello, lattice"
printf 'from a file' >"$work/payload.bin"
check "call --payload-file sends the file" test "$(ctl call "$actor" Echo --payload-file "$work/payload.bin")" = "from a file"
check "call -o json carries the response" \
  test "$(ctl call "$actor" Echo --payload x -o json | json 'd["response"]')" = x
err=$(ctl call "$actor" Fail --payload boom 2>&1 >/dev/null); rc=$?
check "a failing call exits non-zero with the actor's error" \
  test $rc -ne 0 -a -n "$(grep "requested failure: boom" <<<"$err")"

check "get claims -o json holds the actor" \
  test "$(ctl get claims -o json | json '[c["version"] for c in d["claims"] if c["sub"] == "'"$actor"'"][0]')" = 1.2.3

provider=VAG3QITQQ2ODAOWB5TTQSDJ53XK3SHBEIFNK4AYJ5RKAX2UNSCAPHA5M
check "link put succeeds" quiet ctl link put "$actor" "$provider" wasmcloud:keyvalue --link-name cache URL=redis://x
links=""
for _ in $(seq 1 50); do links=$(ctl get links -o json); grep -q cache <<<"$links" && break; sleep 0.1; done
check "get links shows the link with its values" \
  test "$(json '[l["values"]["URL"] for l in d["links"] if l["link_name"] == "cache"][0]' <<<"$links")" = redis://x
check "link del succeeds" quiet ctl link del "$actor" wasmcloud:keyvalue --link-name cache
for _ in $(seq 1 50); do links=$(ctl get links -o json); grep -q cache <<<"$links" || break; sleep 0.1; done
check "the link is gone" test "$(json 'len(d["links"])' <<<"$links")" = 0

err=$(ctl update actor "$host" "$actor" "$work/actor.wasm" 2>&1); rc=$?
check "an update to the same revision is refused" test $rc -ne 0
check "the refusal names the host and the actor" grep -q "host $host refused to update actor $actor" <<<"$err"
check "the host logs why" grep -q "revision 7 is not higher than the running revision 7" "$work/up.log"
check "update actor to a newer revision succeeds" quiet ctl update actor "$host" "$actor" "$work/actor-r8.wasm"
inventory=$(ctl get inventory "$host" -o json)
check "the inventory shows the new revision" test "$(json 'd["inventory"]["actors"][0]["revision"]' <<<"$inventory")" = 8
check "and the new reference" \
  test "$(json 'd["inventory"]["actors"][0]["image_ref"]' <<<"$inventory")" = "$work/actor-r8.wasm"
check "the updated actor answers" grep -q pong <<<"$(ctl call "$actor" Echo --payload pong)"

check "stop actor succeeds" quiet ctl stop actor "$host" "$actor"
check "the inventory is empty again" test "$(ctl get inventory "$host" -o json | json 'len(d["inventory"]["actors"])')" = 0

err=$(ctl start actor "$work/missing.wasm" --host-id "$host" 2>&1); rc=$?
check "starting a missing file fails" test $rc -ne 0
check "the error names the host and the file" grep -q "host $host refused to start actor $work/missing.wasm" <<<"$err"
err=$("$stratus" ctl get hosts --ctl-port "$port" --nsprefix nobody --timeout 300 2>&1); rc=$?
check "an empty namespace is an error" test $rc -ne 0
check "the error says no host answered" grep -q "no host answered get.hosts within 300 ms" <<<"$err"
err=$("$stratus" ctl get hosts --ctl-port "$(free_port)" 2>&1); rc=$?
check "a server that is not there is an error naming it" test $rc -ne 0 -a -n "$(grep "nats://127.0.0.1:" <<<"$err")"

kill -INT "$up_pid"
wait "$up_pid"; rc=$?; up_pid=""
check "the host stops with exit 0" test $rc -eq 0

echo "ctl_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
