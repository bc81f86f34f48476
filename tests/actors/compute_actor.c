/*
 * compute_actor — CPU-bound operations for engine benchmarks; the kernels live in compute.c, which the benchmarks
 * also link natively (stratus_native_compute) to measure the engine against native code.
 *
 * Operations (payload -> result):
 *   Fib     u32 LE n -> u64 LE fib(n) (naive recursion); payload shorter than 4 bytes -> guest error
 *   Sha256  bytes    -> 32-byte SHA-256 digest
 *   Noop    any      -> empty result (measures a bare waPC round trip)
 */
#include "compute.h"
#include "stratus_actor.h"

static int op_fib(const uint8_t* payload, uint32_t len) {
  if (len < 4u) return stratus_guest_error_str("Fib expects a u32 LE argument");
  uint8_t out[8];
  stratus_store_u64le(out, stratus_compute_fib(stratus_load_u32le(payload)));
  return stratus_guest_response(out, 8);
}

static int op_sha256(const uint8_t* payload, uint32_t len) {
  uint8_t digest[32];
  stratus_compute_sha256(payload, len, digest);
  return stratus_guest_response(digest, 32);
}

static int op_noop(const uint8_t* payload, uint32_t len) {
  (void)len;
  return stratus_guest_response(payload, 0);
}

void wapc_init(void) {
  stratus_register("Fib", op_fib);
  stratus_register("Sha256", op_sha256);
  stratus_register("Noop", op_noop);
}
