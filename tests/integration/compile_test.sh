#!/usr/bin/env bash
# `stratus compile` and the aot engine's disk cache across processes: an actor compiled ahead of time is found by
# the next process (`call --engine auto` starts it on native code at once); a corrupt or truncated cache entry is
# reported and rebuilt; a module that is not wasm is refused naming the file.
# Usage: compile_test.sh <stratus binary> <signed actor .wasm>
set -uo pipefail
stratus=$1 actor=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CACHE_HOME="$work/cache"
passed=0 failed=0
check() {  # check <description> <command...>
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}
contains() { grep -q -- "$2" <<<"$1"; }

out=$("$stratus" call "$actor" SayHello --payload-json '{"name":"a"}' --engine auto -v 2>&1)
check "auto without cached code starts on the interpreter" contains "$out" "actor started: .* on interp"

out=$("$stratus" compile "$actor" 2>&1); rc=$?
check "compile succeeds" test $rc -eq 0
check "compile reports the time and the cache entry" contains "$out" "compiled in [0-9.]* s: $work/cache/stratus/aot/"
entry=$(find "$work/cache/stratus/aot" -name '*.entry')
check "one cache entry exists" test "$(wc -l <<<"$entry")" -eq 1 -a -s "$entry"
out=$("$stratus" compile "$actor" 2>&1)
check "a second compile finds the entry" contains "$out" "already compiled: $entry"

out=$("$stratus" call "$actor" SayHello --payload-json '{"name":"b"}' --engine auto -v 2>&1); rc=$?
check "auto with cached code starts on native code at once" contains "$out" "actor started: .* on aot"
check "and answers" contains "$out" "Hello, b!"

python3 - "$entry" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[-200] ^= 0xFF
open(sys.argv[1], "wb").write(data)
PY
out=$("$stratus" call "$actor" SayHello --payload-json '{"name":"c"}' --engine aot -v 2>&1); rc=$?
check "a flipped byte is detected" contains "$out" "unusable entry .*SHA-256 does not match"
check "the actor still runs (rebuilt)" contains "$out" "Hello, c!"
out=$("$stratus" compile "$actor" 2>&1)
check "the rebuilt entry is valid" contains "$out" "already compiled"

truncate -s 2000 "$entry"
out=$("$stratus" compile "$actor" 2>&1); rc=$?
check "a truncated entry is detected" contains "$out" "unusable entry .*truncated"
check "and rebuilt by compile" contains "$out" "compiled in"
out=$("$stratus" compile --force "$actor" 2>&1)
check "--force rebuilds a valid entry" contains "$out" "compiled in"

printf 'not wasm' >"$work/junk.wasm"
out=$("$stratus" compile "$work/junk.wasm" 2>&1); rc=$?
check "a file that is not wasm is refused" test $rc -ne 0
check "the error names the file" contains "$out" "junk.wasm"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
