#!/usr/bin/env bash
# End-to-end checks of the `stratus` CLI: keys, claims sign/inspect (valid, tampered, expired), call.
# Usage: cli_test.sh <stratus binary> <actor dir> <signed hello example>
set -uo pipefail
stratus=$1 actors=$2 hello=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

check() {  # check <description> <command...>: the command must succeed
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}
contains() { grep -q -- "$2" <<<"$1"; }
containsi() { grep -qi -- "$2" <<<"$1"; }

# keys
json=$("$stratus" keys gen account -o json)
pub=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["public_key"])' <<<"$json")
seed=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["seed"])' <<<"$json")
check "account key starts with A" contains "$pub" '^A'
check "account seed starts with SA" contains "$seed" '^SA'
check "keys get returns the public key of a seed" test "$("$stratus" keys get "$seed")" = "$pub"
bad_seed="${seed:0:10}X${seed:11}"
out=$("$stratus" keys get "$bad_seed" 2>&1); rc=$?
check "keys get refuses a corrupted seed" test $rc -ne 0
check "corrupted seed error is clear" containsi "$out" 'checksum\|invalid'

# claims
"$stratus" claims sign "$actors/test_actor.wasm" -o "$work/ta.wasm" --name tester --cap wasmcloud:keyvalue \
  --rev 3 --ver 1.2.3 --call-alias tester --issuer "$seed" >"$work/sign.out" 2>&1
check "claims sign succeeds" test -s "$work/ta.wasm"
ins=$("$stratus" claims inspect "$work/ta.wasm" -o json); rc=$?
check "inspect of a valid module exits 0" test $rc -eq 0
for field in issuer subject name caps rev ver call_alias tags hash expires not_before valid; do
  check "inspect json has $field" python3 -c "import json,sys; assert '$field' in json.loads(sys.argv[1])" "$ins"
done
check "inspect json says valid" python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d['valid'] is True and d['issuer']=='$pub' and d['caps']==['wasmcloud:keyvalue'] and d['rev']==3" "$ins"

python3 - "$work/ta.wasm" "$work/tampered.wasm" <<'PY'
import sys
data = bytearray(open(sys.argv[1], 'rb').read())
data[len(data) // 3] ^= 1
open(sys.argv[2], 'wb').write(data)
PY
out=$("$stratus" claims inspect "$work/tampered.wasm" 2>&1); rc=$?
check "inspect of a tampered module exits non-zero" test $rc -ne 0
check "tampered module names the hash" containsi "$out" 'hash'

"$stratus" claims sign "$actors/test_actor.wasm" -o "$work/short.wasm" --name short --expires-in 1s >/dev/null 2>&1
sleep 2
out=$("$stratus" claims inspect "$work/short.wasm" -o json 2>&1); rc=$?
check "inspect of an expired module exits non-zero" test $rc -ne 0
check "expired module says expired" containsi "$out" 'expired'

# call
printf 'ping' >"$work/ping"
check "call Echo returns the payload" test "$("$stratus" call "$work/ta.wasm" Echo --payload-file "$work/ping" --raw)" = ping
out=$("$stratus" call "$work/ta.wasm" Fail --payload-file "$work/ping" 2>&1); rc=$?
check "call of a failing op exits non-zero" test $rc -ne 0
check "guest error text is shown" contains "$out" 'requested failure: ping'
out=$("$stratus" call "$work/ta.wasm" Loop --timeout-ms 200 2>&1); rc=$?
check "runaway call is stopped" test $rc -ne 0
check "deadline is named" contains "$out" 'deadline'
out=$("$stratus" call "$actors/test_actor.wasm" Echo 2>&1); rc=$?
check "unsigned module is refused" test $rc -ne 0
check "unsigned module error names the jwt section" contains "$out" 'jwt'
out=$("$stratus" call "$hello" SayHello --payload-json '{"name":"cli"}')
check "msgpack response printed as JSON" python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d['greeting']=='Hello, cli!'" "$out"
err=$("$stratus" call "$hello" SayHello --repeat 50 2>&1 >/dev/null)
check "--repeat prints mean, p50, p99" contains "$err" 'mean [0-9.]* [num]*s p50 .* p99 '
out=$("$stratus" call "$hello" SayHello --engine nope 2>&1); rc=$?
check "unknown engine is refused" test $rc -ne 0

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
