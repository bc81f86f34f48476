#!/usr/bin/env bash
# Installs what stratus needs on Debian 12 (bookworm). Idempotent: does nothing when everything is present.
#   scripts/install-deps.sh          build + run dependencies
#   scripts/install-deps.sh --test   also the test tooling (npm packages for the compatibility tests)
#   scripts/install-deps.sh --bench  --test, plus Debian's Rust toolchain for wasm32 and the crates the Rust echo
#                                    actor of bench/ is built from (offline, from /usr/share/cargo/registry)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config clang lld
  wabt libsodium-dev libarchive-dev libmsgpack-cxx-dev nlohmann-json3-dev libyaml-cpp-dev
  libspdlog-dev libfmt-dev libcli11-dev libboost-dev libcurl4-openssl-dev libhiredis-dev libnats-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nodejs npm python3
)
# Servers the tests start themselves (on free loopback ports), skopeo to check what we push to a registry,
# htpasswd for a registry with Basic auth, and Debian's rustc (1.63), which builds the Rust-ABI test providers beside
# the rustup toolchain when there is one; installed with --test only.
test_packages=(redis-server nats-server docker-registry skopeo apache2-utils rustc)
bench_packages=(rustc cargo libstd-rust-dev-wasm32 librust-serde-dev librust-serde-derive-dev librust-serde-json-dev
  librust-rmp-serde-dev librust-serde-bytes-dev librust-lazy-static-dev)
mode="${1:-}"
if [[ "$mode" == "--test" || "$mode" == "--bench" ]]; then packages+=("${test_packages[@]}"); fi
if [[ "$mode" == "--bench" ]]; then packages+=("${bench_packages[@]}"); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A node from another source (e.g. nodesource) satisfies nodejs/npm.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]}")
fi

if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [[ "$mode" == "--test" || "$mode" == "--bench" ]]; then
  # @wapc/host (a third-party waPC host on Node, with prebuilt Rust guests), @wapc/as-guest + assemblyscript.
  (cd tests/compat && { [ -d node_modules/@wapc/host ] && [ -d node_modules/nats ] && [ -d node_modules/@msgpack/msgpack ] && [ -d node_modules/nats-jwt ] || npm ci --no-audit --no-fund --loglevel=error; })
  # s3rver, the fake S3 the blobstore tests run the S3 provider against.
  (cd tests/servers && { [ -d node_modules/s3rver ] || npm ci --no-audit --no-fund --loglevel=error; })
fi
