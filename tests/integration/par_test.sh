#!/usr/bin/env bash
# End-to-end checks of `stratus par`: create, inspect (text and JSON), insert, tampering, bad targets and keys.
# Usage: par_test.sh <stratus binary>
set -uo pipefail
stratus=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

check() {  # check <description> <command...>: the command must succeed
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}
contains() { grep -q -- "$2" <<<"$1"; }
containsi() { grep -qi -- "$2" <<<"$1"; }
jq_py() {  # jq_py <json> <python expression over d>: succeeds when the expression is true
  python3 -c "import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if ($2) else 1)" "$1"
}
seed_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["seed"])'; }
pub_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["public_key"])'; }

account_json=$("$stratus" keys gen account -o json)
service_json=$("$stratus" keys gen service -o json)
account=$(seed_of <<<"$account_json") account_pub=$(pub_of <<<"$account_json")
service=$(seed_of <<<"$service_json") service_pub=$(pub_of <<<"$service_json")
head -c 5000 /dev/urandom >"$work/x86.so"
head -c 3000 /dev/urandom >"$work/arm.so"
x86_hash=$(sha256sum "$work/x86.so" | cut -d' ' -f1 | tr a-f A-F)
arm_hash=$(sha256sum "$work/arm.so" | cut -d' ' -f1 | tr a-f A-F)

# create (gzip because of the .gz name)
"$stratus" par create --capid wasmcloud:keyvalue --name "Test KV" --vendor stratus --rev 2 --ver 0.2.0 \
  --arch x86_64-linux --binary "$work/x86.so" --issuer "$account" --subject "$service" \
  -o "$work/kv.par.gz" >"$work/create.out" 2>&1
check "par create succeeds" test -s "$work/kv.par.gz"
check "output ending in .gz is gzip" test "$(head -c 2 "$work/kv.par.gz" | od -An -tx1 | tr -d ' ')" = 1f8b
check "system tar lists claims.jwt first" test "$(tar -tzf "$work/kv.par.gz" | head -1)" = claims.jwt
check "system tar extracts the library unchanged" \
  bash -c "tar -xzOf '$work/kv.par.gz' x86_64-linux.bin | cmp -s - '$work/x86.so'"

ins=$("$stratus" par inspect "$work/kv.par.gz" -o json); rc=$?
check "inspect of a valid archive exits 0" test $rc -eq 0
for field in subject issuer capid name vendor rev ver targets valid; do
  check "inspect json has $field" jq_py "$ins" "'$field' in d"
done
check "inspect json values" jq_py "$ins" "d['valid'] is True and d['issuer']=='$account_pub' and \
d['subject']=='$service_pub' and d['capid']=='wasmcloud:keyvalue' and d['name']=='Test KV' and \
d['vendor']=='stratus' and d['rev']==2 and d['ver']=='0.2.0' and d['targets']==['x86_64-linux'] and \
d['target_hashes']=={'x86_64-linux':'$x86_hash'} and 'error' not in d"
text=$("$stratus" par inspect "$work/kv.par.gz"); rc=$?
check "text inspect exits 0" test $rc -eq 0
check "text inspect shows the service key" contains "$text" "$service_pub"
check "text inspect says valid" contains "$text" 'Valid *yes'

# insert a second target
"$stratus" par insert "$work/kv.par.gz" --arch aarch64-linux --binary "$work/arm.so" --issuer "$account" \
  >"$work/insert.out" 2>&1; rc=$?
check "par insert succeeds" test $rc -eq 0
check "insert keeps gzip" test "$(head -c 2 "$work/kv.par.gz" | od -An -tx1 | tr -d ' ')" = 1f8b
ins=$("$stratus" par inspect "$work/kv.par.gz" -o json); rc=$?
check "inspect after insert exits 0" test $rc -eq 0
check "both targets, both hashes, same subject" jq_py "$ins" "d['valid'] is True and \
d['targets']==['aarch64-linux','x86_64-linux'] and d['target_hashes']['aarch64-linux']=='$arm_hash' and \
d['target_hashes']['x86_64-linux']=='$x86_hash' and d['subject']=='$service_pub'"

other=$("$stratus" keys gen account -o json | seed_of)
out=$("$stratus" par insert "$work/kv.par.gz" --arch arm-linux --binary "$work/arm.so" --issuer "$other" 2>&1); rc=$?
check "insert with another account is refused" test $rc -ne 0
check "refusal names the issuer" contains "$out" "not the archive's issuer"

# tampering: swap the x86 library for other bytes inside an otherwise intact tar
mkdir -p "$work/unpacked"
tar -xzf "$work/kv.par.gz" -C "$work/unpacked"
printf 'evil' >>"$work/unpacked/x86_64-linux.bin"
tar --format=gnu -cf "$work/tampered.par" -C "$work/unpacked" claims.jwt aarch64-linux.bin x86_64-linux.bin
out=$("$stratus" par inspect "$work/tampered.par" -o json 2>"$work/tampered.err"); rc=$?
err=$(cat "$work/tampered.err")
check "inspect of a tampered archive exits non-zero" test $rc -ne 0
check "tampered archive json says invalid" jq_py "$out" "d['valid'] is False and 'hash mismatch' in d['error']"
check "stderr names the hash mismatch and target" contains "$err" 'x86_64-linux: hash mismatch'

printf 'not an archive at all' >"$work/garbage.par"
out=$("$stratus" par inspect "$work/garbage.par" 2>&1); rc=$?
check "inspect of garbage exits non-zero" test $rc -ne 0
check "garbage is named as not a tar" contains "$out" 'neither a tar archive'

# bad --arch, wrong key types, plain tar output, generated keys
out=$("$stratus" par create --capid wasmcloud:keyvalue --name x --vendor v --arch x86-64-linux \
  --binary "$work/x86.so" --issuer "$account" --subject "$service" -o "$work/bad.par" 2>&1); rc=$?
check "a typo in --arch is rejected" test $rc -ne 0
check "bad --arch message lists the known targets" contains "$out" 'x86_64-linux'
check "no file written for a bad --arch" test ! -e "$work/bad.par"
out=$("$stratus" par insert "$work/kv.par.gz" --arch arm64-linux --binary "$work/arm.so" --issuer "$account" 2>&1)
rc=$?
check "insert rejects an unknown --arch" test $rc -ne 0
out=$("$stratus" par create --capid c:d --name x --vendor v --arch x86_64-linux --binary "$work/x86.so" \
  --issuer "$service" --subject "$service" -o "$work/bad.par" 2>&1); rc=$?
check "a service seed as issuer is rejected" test $rc -ne 0
check "issuer error says account" containsi "$out" 'account'

"$stratus" par create --capid c:d --name plain --vendor v --arch x86_64-linux --binary "$work/x86.so" \
  -o "$work/plain.par" >"$work/plain.out" 2>"$work/plain.err"; rc=$?
check "create with generated keys succeeds" test $rc -eq 0
check "plain output is a tar file" bash -c "tar -tf '$work/plain.par' >/dev/null"
check "generated seeds are printed on stderr" bash -c "grep -q 'seed: SA' '$work/plain.err' && grep -q 'seed: SV' '$work/plain.err'"
check "generated archive verifies" "$stratus" par inspect "$work/plain.par"
out=$("$stratus" par create --capid c:d --name x --vendor v --arch x86_64-linux --binary "$work/x86.so" \
  --disable-keygen -o "$work/nokeys.par" 2>&1); rc=$?
check "--disable-keygen requires the keys" test $rc -ne 0
check "--disable-keygen names --issuer" contains "$out" '--issuer'

"$stratus" par create --capid c:d --name x --vendor v --arch x86_64-linux --binary "$work/x86.so" \
  --issuer "$account" --subject "$service" --expires-in 1s -o "$work/short.par" >/dev/null 2>&1
sleep 2
out=$("$stratus" par inspect "$work/short.par" 2>&1); rc=$?
check "inspect of an expired archive exits non-zero" test $rc -ne 0
check "expired archive says expired" containsi "$out" 'expired'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
