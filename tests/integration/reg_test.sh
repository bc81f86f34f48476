#!/usr/bin/env bash
# `stratus reg` end to end against a real registry (docker-registry on a free loopback port, plain HTTP): push an
# actor and a provider archive and check with skopeo that they are stored as wash stores them (OCI manifest, the
# wasmCloud config and layer media types, the layer's digest); pull them back byte for byte; inspect -o json; the
# errors of HTTPS to an HTTP registry, ':latest' and a file that is no artifact. Then the consumers of references:
# `stratus call REF`, and `stratus up` with a manifest naming the references (refused without --allowed-insecure).
# Usage: reg_test.sh <stratus binary> <actor dir> <provider dir>. Fails when docker-registry or skopeo is missing.
set -uo pipefail
stratus=$1 actors=$2 providers=$3
for tool in docker-registry skopeo; do
  command -v "$tool" >/dev/null || { echo "reg_test: $tool not installed (scripts/install-deps.sh --test)"; exit 1; }
done
source "$(dirname "$0")/lib.sh"
contains() { grep -q -- "$2" <<<"$1"; }
sha256() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }
# Every stratus run keeps its caches (OCI artifacts, compiled actors, provider libraries) in the work dir.
st() { XDG_CACHE_HOME="$work/cache" "$stratus" "$@"; }

port=$(free_port)
reg=127.0.0.1:$port
cat >"$work/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $work/storage
http:
  addr: $reg
YAML
docker-registry serve "$work/config.yml" >"$work/registry.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://$reg/v2/', timeout=0.5)" 2>/dev/null && break
  sleep 0.1
done
check "the registry answers on $reg" python3 -c "import urllib.request; urllib.request.urlopen('http://$reg/v2/')"

st claims sign "$actors/test_actor.wasm" -o "$work/actor.wasm" --name reg-shell --ver 0.1.0 >/dev/null
par=$providers/logging.par.gz
actor_ref=$reg/test/actor:0.1.0
provider_ref=$reg/test/logging:0.1.0

# push, checked with skopeo
out=$(st reg push "$actor_ref" "$work/actor.wasm" --insecure); rc=$?
check "push of an actor succeeds" test $rc -eq 0
check "push names the reference and the size" \
  contains "$out" "^Pushed $actor_ref (digest sha256:[0-9a-f]\{64\}, $(stat -c %s "$work/actor.wasm") bytes)$"
raw=$(skopeo inspect --raw --tls-verify=false "docker://$actor_ref"); rc=$?
check "skopeo reads the actor's manifest" test $rc -eq 0
check "the actor's manifest is an OCI image manifest" \
  test "$(json 'd["mediaType"]' <<<"$raw")" = application/vnd.oci.image.manifest.v1+json
check "the actor's config media type is wasmCloud's" \
  test "$(json 'd["config"]["mediaType"]' <<<"$raw")" = application/vnd.wasmcloud.actor.archive.config
check "the actor's manifest has one wasm layer" \
  test "$(json '",".join(l["mediaType"] for l in d["layers"])' <<<"$raw")" = \
  application/vnd.module.wasm.content.layer.v1+wasm
check "the wasm layer's digest is the file's" \
  test "$(json 'd["layers"][0]["digest"]' <<<"$raw")" = "$(sha256 "$work/actor.wasm")"
check "push -o json gives the manifest's digest" test "$(st reg push "$actor_ref" "$work/actor.wasm" --insecure \
  -o json | json 'd["digest"]')" = "sha256:$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)"

check "push of a provider archive succeeds" quiet st reg push "$provider_ref" "$par" --insecure
raw_provider=$(skopeo inspect --raw --tls-verify=false "docker://$provider_ref")
check "the provider's manifest is an OCI image manifest" \
  test "$(json 'd["mediaType"]' <<<"$raw_provider")" = application/vnd.oci.image.manifest.v1+json
check "the provider's config media type is wasmCloud's" \
  test "$(json 'd["config"]["mediaType"]' <<<"$raw_provider")" = application/vnd.wasmcloud.provider.archive.config
check "the provider's manifest has one par layer" \
  test "$(json '",".join(l["mediaType"] for l in d["layers"])' <<<"$raw_provider")" = \
  application/vnd.wasmcloud.provider.archive.layer.v1+par
check "the par layer's digest is the file's" \
  test "$(json 'd["layers"][0]["digest"]' <<<"$raw_provider")" = "$(sha256 "$par")"

# pull and inspect
out=$(st reg pull "$actor_ref" -o "$work/pulled.wasm" --insecure); rc=$?
check "pull of the actor succeeds" test $rc -eq 0
check "the pulled actor is byte-identical" cmp -s "$work/actor.wasm" "$work/pulled.wasm"
check "pull names the reference, the digest and the file" \
  contains "$out" "^Pulled $actor_ref (sha256:[0-9a-f]\{64\}) to $work/pulled.wasm$"
(cd "$work" && st reg pull "$provider_ref" --insecure >/dev/null)
check "pull without -o writes <repository>.par.gz here" cmp -s "$par" "$work/logging.par.gz"

inspected=$(st reg inspect "$actor_ref" --insecure -o json); rc=$?
check "inspect -o json succeeds" test $rc -eq 0
check "inspect's digest is the sha256 of the manifest skopeo reads" \
  test "$(json 'd["digest"]' <<<"$inspected")" = "sha256:$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)"
check "inspect lists the wasm layer" \
  test "$(json 'd["layers"][0]["mediaType"]' <<<"$inspected")" = application/vnd.module.wasm.content.layer.v1+wasm
check "inspect gives the layer's size" test "$(json 'd["layers"][0]["size"]' <<<"$inspected")" = \
  "$(stat -c %s "$work/actor.wasm")"
check "inspect carries the raw manifest" \
  test "$(json 'd["manifest"]["config"]["digest"] == d["config"]["digest"]' <<<"$inspected")" = True
check "inspect's text output shows the config" \
  contains "$(st reg inspect "$actor_ref" --insecure)" "Config *application/vnd.wasmcloud.actor.archive.config"

# errors
err=$(st reg push "$actor_ref" "$work/actor.wasm" 2>&1 >/dev/null); rc=$?
check "push over HTTPS to a plain-HTTP registry fails" test $rc -eq 1
check "the error names the reference and https" contains "$err" "error: cannot push $actor_ref: .*https://$reg/"
err=$(st reg push "$reg/test/actor:latest" "$work/actor.wasm" --insecure 2>&1 >/dev/null); rc=$?
check "a :latest push fails" test $rc -eq 1
check "the error names :latest and the reference" contains "$err" "cannot push $reg/test/actor:latest: .*latest"
check "a :latest push succeeds with --allow-latest" \
  quiet st reg push "$reg/test/actor:latest" "$work/actor.wasm" --insecure --allow-latest
err=$(st reg push "$reg/test/other:0.1.0" "$work/config.yml" --insecure 2>&1 >/dev/null); rc=$?
check "pushing a file that is neither wasm nor par fails" test $rc -eq 1
check "the error names the file" contains "$err" "$work/config.yml is neither a wasm module nor a provider archive"
err=$(st reg pull "$reg/test/missing:0.1.0" --insecure 2>&1 >/dev/null); rc=$?
check "pulling a reference the registry lacks fails" test $rc -eq 1
check "the error names the reference and the 404" contains "$err" "cannot pull $reg/test/missing:0.1.0: .*404"

# `stratus up` without --allowed-insecure: refused (before anything has put the actor in the host's cache).
printf 'actors:\n  - %s\ncapabilities:\n  - image_ref: %s\n    link_name: default\n' "$actor_ref" "$provider_ref" \
  >"$work/manifest.yaml"
err=$(timeout 30 env XDG_CACHE_HOME="$work/cache" "$stratus" up -m "$work/manifest.yaml" 2>&1); rc=$?
check "up without --allowed-insecure fails" test $rc -eq 1
check "the error names the manifest entry and the reference" \
  contains "$err" "error: manifest not applied: .*manifest.yaml: actors\[0\] ($actor_ref): .*https://"

# `stratus call` with a reference
printf 'ping' >"$work/ping"
check "call REF --insecure returns the payload" \
  test "$(st call "$actor_ref" Echo --payload-file "$work/ping" --raw --insecure)" = ping

# `stratus up` with --allowed-insecure: the actor and the provider start from the registry
XDG_CACHE_HOME="$work/cache" "$stratus" up -m "$work/manifest.yaml" --allowed-insecure "example.com,$reg" \
  >"$work/up.log" 2>&1 &
up_pid=$!
for _ in $(seq 1 150); do grep -q "manifest applied\|error:" "$work/up.log" && break; sleep 0.1; done
check "up applies a manifest of references" grep -q "manifest applied: 1 actor(s), 2 provider(s)" "$work/up.log"
check "the actor started from the registry" grep -q "actor started: reg-shell" "$work/up.log"
check "the provider started from the registry" grep -q "provider started: .* for wasmcloud:logging" "$work/up.log"
kill -INT "$up_pid"
wait "$up_pid"; rc=$?; up_pid=""
check "the host stops with exit 0" test $rc -eq 0
[ "$failed" -eq 0 ] || { echo "--- up.log"; cat "$work/up.log"; }

echo "reg_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
