/*
 * compute.h — CPU-bound kernels shared by the compute_actor (wasm32) and the native benchmark library
 * stratus_native_compute, so both run the very same C code. Portable C99, no libc.
 */
#ifndef STRATUS_TEST_COMPUTE_H
#define STRATUS_TEST_COMPUTE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Fibonacci number n (fib(0) = 0, fib(1) = 1), computed by naive double recursion; wraps modulo 2^64. */
uint64_t stratus_compute_fib(uint32_t n);

/** SHA-256 (FIPS 180-4) of [data, data+len) into out[32]. */
void stratus_compute_sha256(const uint8_t* data, size_t len, uint8_t out[32]);

#ifdef __cplusplus
}
#endif

#endif /* STRATUS_TEST_COMPUTE_H */
