#include "rust_echo_native.h"

#include <cstring>
#include <mutex>
#include <string>

namespace stratus::bench {

#ifdef STRATUS_BENCH_RUST_ECHO_NATIVE

namespace {

// The call in progress on this thread: what __guest_request hands out and where __guest_response/__guest_error
// put the answer.
struct PendingCall {
  std::string_view operation;
  std::span<const uint8_t> payload;
  Bytes response;
  std::string error;
  bool answered = false;
};
thread_local PendingCall* current_call = nullptr;

}  // namespace

// The actor's waPC exports and the imports it expects from its host (bench/actors/rust_echo/src/lib.rs); natively
// `usize` is size_t.
extern "C" {
int32_t __guest_call(int32_t operation_len, int32_t payload_len);
void wapc_init();

void __guest_request(uint8_t* operation, uint8_t* payload) {
  std::memcpy(operation, current_call->operation.data(), current_call->operation.size());
  std::memcpy(payload, current_call->payload.data(), current_call->payload.size());
}
void __guest_response(const uint8_t* data, size_t len) {
  current_call->response.assign(data, data + len);
  current_call->answered = true;
}
void __guest_error(const uint8_t* data, size_t len) {
  current_call->error.assign(reinterpret_cast<const char*>(data), len);
  current_call->answered = true;
}
}

Expected<Bytes> nativeRustEchoCall(std::string_view operation, std::span<const uint8_t> payload) {
  static std::once_flag initialized;
  std::call_once(initialized, [] { wapc_init(); });
  PendingCall call{operation, payload, {}, {}, false};
  current_call = &call;
  const int32_t status = __guest_call(static_cast<int32_t>(operation.size()), static_cast<int32_t>(payload.size()));
  current_call = nullptr;
  if (status == 1 && call.answered && call.error.empty()) return std::move(call.response);
  std::string message = "native rust echo: ";
  message += operation;
  message += " failed: ";
  message += call.error.empty() ? "no answer" : call.error;
  return fail(ErrorCode::kGuestError, std::move(message));
}

#else

Expected<Bytes> nativeRustEchoCall(std::string_view, std::span<const uint8_t>) {
  return fail(ErrorCode::kUnavailable,
              "the native build of bench_rust_echo is not linked: no Debian Rust toolchain at build time "
              "(scripts/install-deps.sh --bench)");
}

#endif

}  // namespace stratus::bench
