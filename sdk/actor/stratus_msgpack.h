/*
 * stratus_msgpack.h — a small MessagePack writer and a bounds-checked reader for actors (C and C++, no libc).
 *
 * Enough for the wasmcloud:* contract structs, which rmp-serde encodes as maps keyed by field name. The writer
 * picks the smallest encoding for every value the way rmp does (positive/negative fixint, u8..u64, i8..i64,
 * fixstr/str8/16/32, bin8/16/32, fixarray/array16/32, fixmap/map16/32), so its output is byte-identical to what a
 * wasmCloud 0.18 Rust actor or provider produces for the same fields in the same order.
 *
 * Writer: grows a heap buffer (stratus_realloc on wasm32, realloc elsewhere; override both with
 * STRATUS_MP_REALLOC/STRATUS_MP_FREE). An allocation failure sets `error` and later writes are ignored.
 *
 *   smp_writer w; smp_writer_init(&w);
 *   smp_write_map(&w, 2);
 *   smp_write_cstr(&w, "key");   smp_write_cstr(&w, "counter");
 *   smp_write_cstr(&w, "value"); smp_write_int(&w, 1);
 *   if (!w.error) stratus_guest_response(w.data, w.len);
 *   smp_writer_free(&w);
 *
 * Reader: a cursor over caller-owned bytes. Every read checks the remaining length first and fails (returns
 * false, sets the sticky `error`) on truncated input, a type mismatch or an integer out of the target's range;
 * after the first failure every read fails. Strings and binaries are returned as views into the input.
 *
 *   smp_reader r; smp_reader_init(&r, payload, len);
 *   uint32_t n; smp_read_map(&r, &n);
 *   for (uint32_t i = 0; i < n; ++i) {
 *     const char* k; uint32_t klen; smp_read_str(&r, &k, &klen);
 *     if (smp_key_is(k, klen, "key")) smp_read_str(&r, &key, &key_len); else smp_skip(&r);
 *   }
 *   if (r.error) ... malformed ...
 *
 * All functions are static inline: include the header in as many translation units as you like.
 */
#ifndef STRATUS_MSGPACK_H
#define STRATUS_MSGPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if !defined(STRATUS_MP_REALLOC)
#if defined(__wasm__)
#include "stratus_actor.h"
#define STRATUS_MP_REALLOC(p, n) stratus_realloc((p), (uint32_t)(n))
#define STRATUS_MP_FREE(p) stratus_free(p)
#else
#include <stdlib.h>
#define STRATUS_MP_REALLOC(p, n) realloc((p), (n))
#define STRATUS_MP_FREE(p) free(p)
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ===============================================================================================================
 * Writer
 * ============================================================================================================= */

typedef struct smp_writer {
  uint8_t* data; /* owned; smp_writer_free releases it */
  uint32_t len;
  uint32_t cap;
  bool error; /* an allocation failed or the buffer would exceed 4 GiB: the output is incomplete */
} smp_writer;

static inline void smp_writer_init(smp_writer* w) {
  w->data = NULL;
  w->len = 0;
  w->cap = 0;
  w->error = false;
}

static inline void smp_writer_free(smp_writer* w) {
  STRATUS_MP_FREE(w->data);
  smp_writer_init(w);
}

/* Makes room for `n` more bytes; returns the write position or NULL (and sets error). */
static inline uint8_t* smp__reserve(smp_writer* w, uint32_t n) {
  if (w->error) return NULL;
  uint64_t need = (uint64_t)w->len + n;
  if (need > 0x7FFFFFFFull) {
    w->error = true;
    return NULL;
  }
  if (need > w->cap) {
    uint64_t cap = w->cap ? (uint64_t)w->cap * 2u : 64u;
    while (cap < need) cap *= 2u;
    if (cap > 0x7FFFFFFFull) cap = need;
    uint8_t* p = (uint8_t*)STRATUS_MP_REALLOC(w->data, (size_t)cap);
    if (p == NULL) {
      w->error = true;
      return NULL;
    }
    w->data = p;
    w->cap = (uint32_t)cap;
  }
  uint8_t* at = w->data + w->len;
  w->len = (uint32_t)need;
  return at;
}

static inline void smp__put_be(uint8_t* p, uint64_t v, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) p[i] = (uint8_t)(v >> (8u * (n - 1u - i)));
}

/* One marker byte followed by an n-byte big-endian value. */
static inline void smp__marker_be(smp_writer* w, uint8_t marker, uint64_t v, uint32_t n) {
  uint8_t* p = smp__reserve(w, 1u + n);
  if (p == NULL) return;
  p[0] = marker;
  smp__put_be(p + 1, v, n);
}

static inline void smp_write_raw(smp_writer* w, const void* data, uint32_t len) {
  uint8_t* p = smp__reserve(w, len);
  if (p == NULL || len == 0) return;
  const uint8_t* s = (const uint8_t*)data;
  for (uint32_t i = 0; i < len; ++i) p[i] = s[i];
}

static inline void smp_write_nil(smp_writer* w) { smp__marker_be(w, 0xc0, 0, 0); }

static inline void smp_write_bool(smp_writer* w, bool v) { smp__marker_be(w, v ? 0xc3 : 0xc2, 0, 0); }

static inline void smp_write_uint(smp_writer* w, uint64_t v) {
  if (v < 128u) smp__marker_be(w, (uint8_t)v, 0, 0);
  else if (v <= 0xFFu) smp__marker_be(w, 0xcc, v, 1);
  else if (v <= 0xFFFFu) smp__marker_be(w, 0xcd, v, 2);
  else if (v <= 0xFFFFFFFFu) smp__marker_be(w, 0xce, v, 4);
  else smp__marker_be(w, 0xcf, v, 8);
}

static inline void smp_write_int(smp_writer* w, int64_t v) {
  if (v >= 0) {
    smp_write_uint(w, (uint64_t)v);
  } else if (v >= -32) {
    smp__marker_be(w, (uint8_t)(int8_t)v, 0, 0);
  } else if (v >= -128) {
    smp__marker_be(w, 0xd0, (uint64_t)v, 1);
  } else if (v >= -32768) {
    smp__marker_be(w, 0xd1, (uint64_t)v, 2);
  } else if (v >= -2147483647 - 1) {
    smp__marker_be(w, 0xd2, (uint64_t)v, 4);
  } else {
    smp__marker_be(w, 0xd3, (uint64_t)v, 8);
  }
}

static inline void smp_write_f32(smp_writer* w, float v) {
  union { float f; uint32_t u; } b;
  b.f = v;
  smp__marker_be(w, 0xca, b.u, 4);
}

static inline void smp_write_f64(smp_writer* w, double v) {
  union { double f; uint64_t u; } b;
  b.f = v;
  smp__marker_be(w, 0xcb, b.u, 8);
}

static inline void smp_write_str_header(smp_writer* w, uint32_t len) {
  if (len < 32u) smp__marker_be(w, (uint8_t)(0xa0u | len), 0, 0);
  else if (len <= 0xFFu) smp__marker_be(w, 0xd9, len, 1);
  else if (len <= 0xFFFFu) smp__marker_be(w, 0xda, len, 2);
  else smp__marker_be(w, 0xdb, len, 4);
}

static inline void smp_write_str(smp_writer* w, const char* s, uint32_t len) {
  smp_write_str_header(w, len);
  smp_write_raw(w, s, len);
}

static inline void smp_write_cstr(smp_writer* w, const char* s) {
  uint32_t len = 0;
  while (s[len] != '\0') ++len;
  smp_write_str(w, s, len);
}

static inline void smp_write_bin_header(smp_writer* w, uint32_t len) {
  if (len <= 0xFFu) smp__marker_be(w, 0xc4, len, 1);
  else if (len <= 0xFFFFu) smp__marker_be(w, 0xc5, len, 2);
  else smp__marker_be(w, 0xc6, len, 4);
}

static inline void smp_write_bin(smp_writer* w, const void* data, uint32_t len) {
  smp_write_bin_header(w, len);
  smp_write_raw(w, data, len);
}

static inline void smp_write_array(smp_writer* w, uint32_t n) {
  if (n < 16u) smp__marker_be(w, (uint8_t)(0x90u | n), 0, 0);
  else if (n <= 0xFFFFu) smp__marker_be(w, 0xdc, n, 2);
  else smp__marker_be(w, 0xdd, n, 4);
}

static inline void smp_write_map(smp_writer* w, uint32_t n) {
  if (n < 16u) smp__marker_be(w, (uint8_t)(0x80u | n), 0, 0);
  else if (n <= 0xFFFFu) smp__marker_be(w, 0xde, n, 2);
  else smp__marker_be(w, 0xdf, n, 4);
}

/* ===============================================================================================================
 * Reader
 * ============================================================================================================= */

typedef enum smp_type {
  SMP_NONE = 0, /* end of input, an earlier error, or a reserved marker (0xc1) */
  SMP_NIL,
  SMP_BOOL,
  SMP_UINT,  /* non-negative integer */
  SMP_INT,   /* negative integer */
  SMP_FLOAT, /* float32 or float64 */
  SMP_STR,
  SMP_BIN,
  SMP_ARRAY,
  SMP_MAP,
  SMP_EXT
} smp_type;

typedef struct smp_reader {
  const uint8_t* pos;
  const uint8_t* end;
  bool error; /* sticky */
} smp_reader;

static inline void smp_reader_init(smp_reader* r, const void* data, uint32_t len) {
  r->pos = (const uint8_t*)data;
  r->end = r->pos + (data != NULL ? len : 0u);
  r->error = false;
}

/* Bytes not consumed yet. */
static inline uint32_t smp_remaining(const smp_reader* r) { return (uint32_t)(r->end - r->pos); }

static inline bool smp__fail(smp_reader* r) {
  r->error = true;
  return false;
}

/* Consumes n bytes, returning where they start; NULL (error set) if fewer remain. */
static inline const uint8_t* smp__take(smp_reader* r, uint64_t n) {
  if (r->error) return NULL;
  if (n > (uint64_t)(r->end - r->pos)) {
    r->error = true;
    return NULL;
  }
  const uint8_t* p = r->pos;
  r->pos += n;
  return p;
}

static inline uint64_t smp__get_be(const uint8_t* p, uint32_t n) {
  uint64_t v = 0;
  for (uint32_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

/* Reads an n-byte big-endian length/value; false on truncation. */
static inline bool smp__read_be(smp_reader* r, uint32_t n, uint64_t* out) {
  const uint8_t* p = smp__take(r, n);
  if (p == NULL) return false;
  *out = smp__get_be(p, n);
  return true;
}

static inline smp_type smp_peek(const smp_reader* r) {
  if (r->error || r->pos >= r->end) return SMP_NONE;
  uint8_t m = *r->pos;
  if (m <= 0x7f) return SMP_UINT;
  if (m <= 0x8f) return SMP_MAP;
  if (m <= 0x9f) return SMP_ARRAY;
  if (m <= 0xbf) return SMP_STR;
  if (m >= 0xe0) return SMP_INT;
  switch (m) {
    case 0xc0: return SMP_NIL;
    case 0xc2: case 0xc3: return SMP_BOOL;
    case 0xc4: case 0xc5: case 0xc6: return SMP_BIN;
    case 0xc7: case 0xc8: case 0xc9: case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: return SMP_EXT;
    case 0xca: case 0xcb: return SMP_FLOAT;
    case 0xcc: case 0xcd: case 0xce: case 0xcf: return SMP_UINT;
    case 0xd0: case 0xd1: case 0xd2: case 0xd3: return SMP_INT; /* may hold a non-negative value too */
    case 0xd9: case 0xda: case 0xdb: return SMP_STR;
    case 0xdc: case 0xdd: return SMP_ARRAY;
    case 0xde: case 0xdf: return SMP_MAP;
    default: return SMP_NONE; /* 0xc1 is never used */
  }
}

static inline bool smp_next_is_nil(const smp_reader* r) { return smp_peek(r) == SMP_NIL; }

static inline bool smp_read_nil(smp_reader* r) {
  if (smp_peek(r) != SMP_NIL) return smp__fail(r);
  r->pos++;
  return true;
}

static inline bool smp_read_bool(smp_reader* r, bool* out) {
  if (smp_peek(r) != SMP_BOOL) return smp__fail(r);
  *out = *r->pos++ == 0xc3;
  return true;
}

/* Reads any integer encoding as a sign flag + magnitude bits. */
static inline bool smp__read_integer(smp_reader* r, bool* negative, uint64_t* bits) {
  if (r->error || r->pos >= r->end) return smp__fail(r);
  uint8_t m = *r->pos;
  if (m <= 0x7f || m >= 0xe0) {
    r->pos++;
    *negative = m >= 0xe0;
    *bits = *negative ? (uint64_t)(int64_t)(int8_t)m : m;
    return true;
  }
  uint32_t n;
  bool is_signed;
  switch (m) {
    case 0xcc: n = 1; is_signed = false; break;
    case 0xcd: n = 2; is_signed = false; break;
    case 0xce: n = 4; is_signed = false; break;
    case 0xcf: n = 8; is_signed = false; break;
    case 0xd0: n = 1; is_signed = true; break;
    case 0xd1: n = 2; is_signed = true; break;
    case 0xd2: n = 4; is_signed = true; break;
    case 0xd3: n = 8; is_signed = true; break;
    default: return smp__fail(r);
  }
  r->pos++;
  uint64_t v;
  if (!smp__read_be(r, n, &v)) return false;
  if (is_signed && n < 8u && (v >> (8u * n - 1u)) != 0) v |= ~0ull << (8u * n); /* sign-extend */
  *negative = is_signed && (int64_t)v < 0;
  *bits = v;
  return true;
}

static inline bool smp_read_u64(smp_reader* r, uint64_t* out) {
  bool neg;
  uint64_t v;
  if (!smp__read_integer(r, &neg, &v)) return false;
  if (neg) return smp__fail(r);
  *out = v;
  return true;
}

static inline bool smp_read_i64(smp_reader* r, int64_t* out) {
  bool neg;
  uint64_t v;
  if (!smp__read_integer(r, &neg, &v)) return false;
  if (!neg && v > 0x7FFFFFFFFFFFFFFFull) return smp__fail(r);
  *out = (int64_t)v;
  return true;
}

static inline bool smp_read_u32(smp_reader* r, uint32_t* out) {
  uint64_t v;
  if (!smp_read_u64(r, &v)) return false;
  if (v > 0xFFFFFFFFull) return smp__fail(r);
  *out = (uint32_t)v;
  return true;
}

static inline bool smp_read_i32(smp_reader* r, int32_t* out) {
  int64_t v;
  if (!smp_read_i64(r, &v)) return false;
  if (v < -2147483647 - 1 || v > 2147483647) return smp__fail(r);
  *out = (int32_t)v;
  return true;
}

/* Reads float32 or float64 (not integers). */
static inline bool smp_read_f64(smp_reader* r, double* out) {
  smp_type t = smp_peek(r);
  if (t != SMP_FLOAT) return smp__fail(r);
  uint8_t m = *r->pos++;
  uint64_t v;
  if (!smp__read_be(r, m == 0xca ? 4u : 8u, &v)) return false;
  if (m == 0xca) {
    union { uint32_t u; float f; } b;
    b.u = (uint32_t)v;
    *out = b.f;
  } else {
    union { uint64_t u; double f; } b;
    b.u = v;
    *out = b.f;
  }
  return true;
}

/* Reads a str header: the byte length that follows. */
static inline bool smp_read_str_header(smp_reader* r, uint32_t* len) {
  if (smp_peek(r) != SMP_STR) return smp__fail(r);
  uint8_t m = *r->pos++;
  uint64_t v;
  if (m <= 0xbf) {
    v = m & 0x1fu;
  } else if (!smp__read_be(r, m == 0xd9 ? 1u : m == 0xda ? 2u : 4u, &v)) {
    return false;
  }
  *len = (uint32_t)v;
  return true;
}

/* Reads a str: *s points into the input (not NUL-terminated), *len bytes. */
static inline bool smp_read_str(smp_reader* r, const char** s, uint32_t* len) {
  uint32_t n;
  if (!smp_read_str_header(r, &n)) return false;
  const uint8_t* p = smp__take(r, n);
  if (p == NULL) return false;
  *s = (const char*)p;
  *len = n;
  return true;
}

/* Reads a bin header: the byte length that follows. */
static inline bool smp_read_bin_header(smp_reader* r, uint32_t* len) {
  if (smp_peek(r) != SMP_BIN) return smp__fail(r);
  uint8_t m = *r->pos++;
  uint64_t v;
  if (!smp__read_be(r, m == 0xc4 ? 1u : m == 0xc5 ? 2u : 4u, &v)) return false;
  *len = (uint32_t)v;
  return true;
}

/* Reads a bin (or, leniently, a str) as bytes pointing into the input. */
static inline bool smp_read_bin(smp_reader* r, const uint8_t** data, uint32_t* len) {
  uint32_t n;
  if (smp_peek(r) == SMP_STR) {
    if (!smp_read_str_header(r, &n)) return false;
  } else if (!smp_read_bin_header(r, &n)) {
    return false;
  }
  const uint8_t* p = smp__take(r, n);
  if (p == NULL) return false;
  *data = p;
  *len = n;
  return true;
}

/* Reads an array header: the number of elements that follow. */
static inline bool smp_read_array(smp_reader* r, uint32_t* count) {
  if (smp_peek(r) != SMP_ARRAY) return smp__fail(r);
  uint8_t m = *r->pos++;
  uint64_t v;
  if (m <= 0x9f) {
    v = m & 0x0fu;
  } else if (!smp__read_be(r, m == 0xdc ? 2u : 4u, &v)) {
    return false;
  }
  /* Each element takes at least one byte: reject counts the input cannot hold. */
  if (v > smp_remaining(r)) return smp__fail(r);
  *count = (uint32_t)v;
  return true;
}

/* Reads a map header: the number of key/value pairs that follow. */
static inline bool smp_read_map(smp_reader* r, uint32_t* count) {
  if (smp_peek(r) != SMP_MAP) return smp__fail(r);
  uint8_t m = *r->pos++;
  uint64_t v;
  if (m <= 0x8f) {
    v = m & 0x0fu;
  } else if (!smp__read_be(r, m == 0xde ? 2u : 4u, &v)) {
    return false;
  }
  if (v * 2u > smp_remaining(r)) return smp__fail(r);
  *count = (uint32_t)v;
  return true;
}

/* Skips one complete value (nested arrays/maps included) without recursion. */
static inline bool smp_skip(smp_reader* r) {
  uint64_t pending = 1; /* values still to skip */
  while (pending > 0) {
    --pending;
    if (r->error || r->pos >= r->end) return smp__fail(r);
    uint8_t m = *r->pos;
    uint64_t v;
    switch (smp_peek(r)) {
      case SMP_NIL:
      case SMP_BOOL:
        r->pos++;
        break;
      case SMP_UINT:
      case SMP_INT: {
        bool neg;
        if (!smp__read_integer(r, &neg, &v)) return false;
        break;
      }
      case SMP_FLOAT:
        r->pos++;
        if (smp__take(r, m == 0xca ? 4u : 8u) == NULL) return false;
        break;
      case SMP_STR: {
        uint32_t n;
        if (!smp_read_str_header(r, &n) || smp__take(r, n) == NULL) return false;
        break;
      }
      case SMP_BIN: {
        uint32_t n;
        if (!smp_read_bin_header(r, &n) || smp__take(r, n) == NULL) return false;
        break;
      }
      case SMP_ARRAY: {
        uint32_t n;
        if (!smp_read_array(r, &n)) return false;
        pending += n;
        break;
      }
      case SMP_MAP: {
        uint32_t n;
        if (!smp_read_map(r, &n)) return false;
        pending += 2u * (uint64_t)n;
        break;
      }
      case SMP_EXT: {
        r->pos++;
        uint64_t size;
        if (m >= 0xd4 && m <= 0xd8) {
          size = 1u + (1u << (m - 0xd4)); /* fixext 1/2/4/8/16: type byte + data */
        } else {
          if (!smp__read_be(r, m == 0xc7 ? 1u : m == 0xc8 ? 2u : 4u, &v)) return false;
          size = 1u + v;
        }
        if (smp__take(r, size) == NULL) return false;
        break;
      }
      default:
        return smp__fail(r);
    }
  }
  return true;
}

/* True when the key [s, s+len) equals the NUL-terminated `lit`. */
static inline bool smp_key_is(const char* s, uint32_t len, const char* lit) {
  uint32_t i = 0;
  for (; i < len; ++i)
    if (lit[i] == '\0' || lit[i] != s[i]) return false;
  return lit[i] == '\0';
}

/* Reads a map header from `r` and skips entries until the key `field`; true with `r` positioned at its value,
 * false when the map has no such key or is malformed. For picking one field out of a reply struct. */
static inline bool smp_find_field(smp_reader* r, const char* field) {
  uint32_t fields = 0;
  if (!smp_read_map(r, &fields)) return false;
  for (uint32_t i = 0; i < fields; ++i) {
    const char* key;
    uint32_t key_len;
    if (!smp_read_str(r, &key, &key_len)) return false;
    if (smp_key_is(key, key_len, field)) return true;
    if (!smp_skip(r)) return false;
  }
  return false;
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* STRATUS_MSGPACK_H */
