// wasmCloud's echo example actor in Rust (actors/rust_echo) compiled natively, called the way a waPC host calls the
// wasm build: the same crate, glue and release profile, without a sandbox. Its speed is the ceiling of any engine
// running that actor (bench/README.md, "The Rust echo actor natively").
#pragma once

#include <span>
#include <string_view>

#include "stratus/common/expected.h"

namespace stratus::bench {

/// Calls the actor's `__guest_call` for `operation` with `payload` on this thread, answering its
/// `__guest_request` and collecting its `__guest_response` or `__guest_error` (the waPC host's part). Returns the
/// response; kGuestError with the actor's error text; kUnavailable, with the reason, when this build did not link
/// the native build (no Rust toolchain). The actor's `wapc_init` runs once, on the first call. Thread-safe (the
/// actor's handler registry is behind a lock).
Expected<Bytes> nativeRustEchoCall(std::string_view operation, std::span<const uint8_t> payload);

}  // namespace stratus::bench
