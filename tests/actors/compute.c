/* compute.c — see compute.h. Compiled both for wasm32 (compute_actor) and natively (stratus_native_compute). */
#include "compute.h"

uint64_t stratus_compute_fib(uint32_t n) {
  if (n < 2u) return n;
  return stratus_compute_fib(n - 1u) + stratus_compute_fib(n - 2u);
}

static const uint32_t kRound[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u};

static uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32u - n)); }

/* Processes one 64-byte block into the state h[8]. */
static void sha256_block(uint32_t h[8], const uint8_t block[64]) {
  uint32_t w[64];
  for (unsigned i = 0; i < 16; ++i) {
    const uint8_t* p = block + 4u * i;
    w[i] = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
  }
  for (unsigned i = 16; i < 64; ++i) {
    uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (unsigned i = 0; i < 64; ++i) {
    uint32_t t1 = k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + kRound[i] + w[i];
    uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    k = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += k;
}

void stratus_compute_sha256(const uint8_t* data, size_t len, uint8_t out[32]) {
  uint32_t h[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
                   0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u};
  size_t full = len / 64u;
  for (size_t i = 0; i < full; ++i) sha256_block(h, data + 64u * i);

  /* Tail: the remaining bytes, 0x80, zeros, and the 64-bit big-endian bit length (one or two blocks). */
  uint8_t tail[128];
  size_t rest = len - 64u * full;
  for (size_t i = 0; i < rest; ++i) tail[i] = data[64u * full + i];
  tail[rest] = 0x80u;
  size_t tail_len = rest + 1u + 8u <= 64u ? 64u : 128u;
  for (size_t i = rest + 1u; i < tail_len - 8u; ++i) tail[i] = 0;
  uint64_t bits = (uint64_t)len * 8u;
  for (unsigned i = 0; i < 8; ++i) tail[tail_len - 1u - i] = (uint8_t)(bits >> (8u * i));
  sha256_block(h, tail);
  if (tail_len == 128u) sha256_block(h, tail + 64);

  for (unsigned i = 0; i < 8; ++i) {
    out[4u * i + 0] = (uint8_t)(h[i] >> 24);
    out[4u * i + 1] = (uint8_t)(h[i] >> 16);
    out[4u * i + 2] = (uint8_t)(h[i] >> 8);
    out[4u * i + 3] = (uint8_t)h[i];
  }
}
