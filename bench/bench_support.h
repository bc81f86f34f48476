// Shared pieces of the stratus benchmarks: one compiled fixture per engine backend, a record of per-iteration
// times so a benchmark can report a ratio against another one measured earlier in the same run, and process
// memory probes.
#pragma once

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "stratus/common/expected.h"
#include "stratus/engine/engine.h"

namespace stratus::bench {

/// One engine backend with the test actors compiled by it. Created on first use and kept for the whole run;
/// benchmarks run on one thread, so it needs no locking.
struct EngineFixture {
  std::string name;
  std::unique_ptr<engine::Engine> engine;
  Bytes test_actor_wasm;     ///< unsigned bytes of test_actor.wasm
  Bytes compute_actor_wasm;  ///< unsigned bytes of compute_actor.wasm
  std::shared_ptr<const engine::Module> test_actor;
  std::shared_ptr<const engine::Module> compute_actor;
  std::shared_ptr<const engine::Module> host_call_actor;  ///< bench/actors/host_call_actor.c
  std::shared_ptr<const engine::Module> msgpack_actor;    ///< bench/actors/msgpack_actor.c + msgpack_doc.c
  std::shared_ptr<const engine::Module> http_echo_actor;  ///< bench/actors/http_echo.c
  /// bench/actors/rust_echo (wasmCloud's echo example in Rust); null when the build had no Rust wasm32 toolchain,
  /// then rust_echo_missing says why.
  std::shared_ptr<const engine::Module> rust_echo_actor;
  std::string rust_echo_missing;
  /// Wall-clock ns of the fixture's own (first in this process) compile of test_actor.wasm: for aot that is
  /// wasm2c + the C compiler, which later compiles of the same bytes skip (the engine caches the library).
  double test_actor_first_compile_ns = 0;
};

/// The fixture of backend `engine_name` (owned by this module, valid until exit), or the error of creating the
/// engine or compiling an actor.
Expected<EngineFixture*> engineFixture(const std::string& engine_name);

/// Monotonic wall clock used for every figure a benchmark records itself.
using Clock = std::chrono::steady_clock;

/// Wall-clock nanoseconds per iteration since `start` (0 when no iteration ran).
double nsPerIteration(Clock::time_point start, const benchmark::State& state);

/// Remembers `ns` (per iteration) under `key`; a later call with the same key overwrites it, so after a benchmark
/// finished the key holds its final (reported) run.
void recordNs(const std::string& key, double ns);
/// The figure recorded under `key`, if a benchmark recorded one in this process.
std::optional<double> recordedNs(const std::string& key);
/// recordedNs(key), or else times `body` (repeated for at least `min_seconds`), records and returns that. Used
/// when a filter left out the benchmark that normally records `key`.
double recordedNsOrMeasure(const std::string& key, const std::function<void()>& body, double min_seconds = 0.2);

/// Resident set size of this process in bytes (/proc/self/statm), or 0 if unreadable.
uint64_t residentBytes();
/// Bytes handed out by malloc and not freed (glibc mallinfo2), or 0 where unavailable.
uint64_t heapBytesInUse();
/// Gives freed heap memory back to the OS (glibc malloc_trim), so memory allocated next grows residentBytes()
/// instead of silently reusing pages freed by earlier benchmarks. No-op elsewhere.
void releaseFreeHeap();

/// `n` bytes of a fixed, non-trivial pattern.
Bytes patternBytes(size_t n, uint8_t seed);
/// `value` as 4 bytes little-endian.
Bytes u32le(uint32_t value);
/// The first 8 bytes of `bytes` as a little-endian u64 (0 if shorter).
uint64_t loadU64le(const Bytes& bytes);

/// The msgpack map test_actor's HostCall op takes: {binding: str, namespace: str, operation: str, payload: bin}.
/// Strings must be shorter than 256 bytes, the payload shorter than 65536.
Bytes hostCallRequest(std::string_view binding, std::string_view ns, std::string_view operation,
                      const Bytes& payload);

/// The HandleRequest payload of the echo benchmark: a realistic POST (curl-like headers, an ETag with quotes to
/// escape, a small JSON body), encoded as the httpserver provider encodes a Request {method, path, queryString,
/// header, body}.
Bytes echoHttpRequest();
/// The Response wasmCloud's Rust `echo` actor answers to echoHttpRequest(): {statusCode: 200, status: "OK",
/// header: {}, body: serde_json of {method, path, query_string, headers, body (an array of numbers)}}, headers in
/// request order. Built here independently of bench/actors/http_echo.c, to check it.
Bytes echoHttpResponse();
/// Whether `response` means the same as echoHttpResponse(): the same status code, status and header map, and a body
/// that is the same JSON value (object members in any order: the Rust actor's HashMap has a per-map random order).
/// Otherwise false with the difference in `why`.
bool sameEchoResponse(std::span<const uint8_t> response, std::string* why);

}  // namespace stratus::bench
