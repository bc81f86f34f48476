/*
 * stratus_actor.h — header-only waPC guest SDK for wasm32 actors written in C or C++.
 *
 * Build an actor with clang, no libc:
 *   clang --target=wasm32 -O2 -nostdlib -ffreestanding -fuse-ld=lld \
 *         -Wl,--no-entry -Wl,--stack-first -I sdk/actor -o actor.wasm actor.c
 * (cmake/StratusActors.cmake's stratus_add_actor() does exactly this.)
 *
 * Usage:
 *   #include "stratus_actor.h"
 *
 *   static int echo(const uint8_t* payload, uint32_t len) { return stratus_guest_response(payload, len); }
 *
 *   void wapc_init(void) { stratus_register("Echo", echo); }   // exported automatically
 *
 * Protocol (waPC, as wapc-rs 0.10 hosts and wasmCloud 0.18 speak it):
 *   - imports come from module "wapc": __guest_request, __guest_response, __guest_error, __host_call,
 *     __host_response_len, __host_response, __host_error_len, __host_error, __console_log (only those used are
 *     imported: the linker drops the rest);
 *   - the SDK exports `__guest_call(op_len, msg_len) -> i32`; the actor may define `void wapc_init(void)`, which is
 *     exported under that name and which a waPC host runs once after instantiation: register handlers there;
 *   - on each call the SDK allocates the operation and payload buffers, asks the host to fill them
 *     (__guest_request), looks the operation up in the handler registry and runs the handler. An unknown operation
 *     answers the guest error `No handler registered for function "<op>"` and returns 0.
 *
 * Handlers: `int handler(const uint8_t* payload, uint32_t len)`. The payload buffer is owned by the SDK and freed
 * after the handler returns. A handler answers with `return stratus_guest_response(data, len);` (returns 1) or
 * `return stratus_guest_error(msg, len);` (returns 0). The host copies the bytes during those calls, so the
 * handler may free its buffers right after. A handler that returns non-zero without responding answers an empty
 * response; one that returns 0 without an error message answers a generic error naming the operation. The error
 * text is passed to the host exactly as given (no "Guest call failed: " prefix).
 *
 * One translation unit per actor carries the implementation (the exported __guest_call, the allocator, the
 * registry, memcpy/memmove/memset/memcmp). That is every TU that includes this header, unless it defines
 * STRATUS_ACTOR_NO_IMPLEMENTATION first: in a multi-file actor, define it in all files but one. Define
 * STRATUS_ACTOR_NO_LIBC_SHIMS to leave out memcpy & co (e.g. when linking a libc). STRATUS_MAX_HANDLERS (default
 * 64) sizes the registry.
 *
 * Memory: stratus_malloc/stratus_free/stratus_realloc/stratus_calloc, a size-class free-list allocator over
 * memory.grow starting at the linker's __heap_base. Single-threaded, like every waPC instance.
 */
#ifndef STRATUS_ACTOR_H
#define STRATUS_ACTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if !defined(__wasm__) && !defined(STRATUS_ACTOR_ALLOW_NATIVE)
#error "stratus_actor.h targets wasm32 guests (clang --target=wasm32)"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------------------------
 * Attributes
 * ------------------------------------------------------------------------------------------------------------- */

/** Declares a function imported from the waPC host module "wapc" under `name`. */
#define STRATUS_WAPC_IMPORT(name) __attribute__((import_module("wapc"), import_name(name)))
/** Exports the function under `name` from the wasm module. */
#define STRATUS_EXPORT(name) __attribute__((export_name(name)))

/* ---------------------------------------------------------------------------------------------------------------
 * Raw waPC imports. Prefer the wrappers below; these are public for tests that must misuse the ABI on purpose.
 * Pointers are wasm32 linear-memory addresses (i32), lengths are byte counts (i32).
 * ------------------------------------------------------------------------------------------------------------- */

/** Host writes the current operation name to op_ptr and the payload to msg_ptr (sizes given to __guest_call). */
STRATUS_WAPC_IMPORT("__guest_request") void stratus_raw_guest_request(void* op_ptr, void* msg_ptr);
/** Host copies [ptr, ptr+len) as the call's response. */
STRATUS_WAPC_IMPORT("__guest_response") void stratus_raw_guest_response(const void* ptr, uint32_t len);
/** Host copies [ptr, ptr+len) as the call's error text (UTF-8). */
STRATUS_WAPC_IMPORT("__guest_error") void stratus_raw_guest_error(const void* ptr, uint32_t len);
/** Calls the host: returns 1 when it answered a response, 0 when it answered an error. */
STRATUS_WAPC_IMPORT("__host_call")
uint32_t stratus_raw_host_call(const void* binding_ptr, uint32_t binding_len, const void* ns_ptr, uint32_t ns_len,
                               const void* op_ptr, uint32_t op_len, const void* payload_ptr, uint32_t payload_len);
/** Length of the last host response (0 if none). */
STRATUS_WAPC_IMPORT("__host_response_len") uint32_t stratus_raw_host_response_len(void);
/** Host writes the last host response at ptr (stratus_raw_host_response_len() bytes). */
STRATUS_WAPC_IMPORT("__host_response") void stratus_raw_host_response(void* ptr);
/** Length of the last host error (0 if none). */
STRATUS_WAPC_IMPORT("__host_error_len") uint32_t stratus_raw_host_error_len(void);
/** Host writes the last host error text at ptr (stratus_raw_host_error_len() bytes). */
STRATUS_WAPC_IMPORT("__host_error") void stratus_raw_host_error(void* ptr);
/** Host logs [ptr, ptr+len) as one line of UTF-8 text. */
STRATUS_WAPC_IMPORT("__console_log") void stratus_raw_console_log(const void* ptr, uint32_t len);

/* ---------------------------------------------------------------------------------------------------------------
 * Types and constants
 * ------------------------------------------------------------------------------------------------------------- */

/** Return values of handlers and of __guest_call. */
#define STRATUS_CALL_OK 1
#define STRATUS_CALL_ERROR 0

/** Return values of stratus_host_call. */
#define STRATUS_HOST_OK 1      /* result holds the host response */
#define STRATUS_HOST_ERROR 0   /* result holds the host error text */
#define STRATUS_HOST_NOMEM (-1) /* the guest could not allocate the result; result is empty */

#ifndef STRATUS_MAX_HANDLERS
#define STRATUS_MAX_HANDLERS 64
#endif

/** A byte buffer owned by the caller: free it with stratus_bytes_free. `data` has one extra NUL byte after `len`
 * (not counted) whenever it is non-NULL, so text results can be used as C strings. */
typedef struct stratus_bytes {
  uint8_t* data;
  uint32_t len;
} stratus_bytes;

/** An operation handler. `payload` is valid until the handler returns. Return stratus_guest_response(...) or
 * stratus_guest_error(...). */
typedef int (*stratus_handler)(const uint8_t* payload, uint32_t len);

/* ---------------------------------------------------------------------------------------------------------------
 * API
 * ------------------------------------------------------------------------------------------------------------- */

/** Optional initializer defined by the actor; a waPC host calls it once after instantiation (after `_start`).
 * Declared here with its export attribute so that defining it is enough to export it. */
STRATUS_EXPORT("wapc_init") void wapc_init(void);

/** Registers (or replaces) the handler of operation `op` (a NUL-terminated name that must stay valid for the life
 * of the instance, e.g. a string literal). Returns false when the registry is full or an argument is NULL. */
bool stratus_register(const char* op, stratus_handler fn);

/** Answers the current call with [data, data+len): the host copies the bytes now. Returns STRATUS_CALL_OK. */
int stratus_guest_response(const void* data, uint32_t len);
/** stratus_guest_response of a NUL-terminated string (without the NUL). */
int stratus_guest_response_str(const char* text);
/** Answers the current call with an error text (UTF-8) of `len` bytes. Returns STRATUS_CALL_ERROR. */
int stratus_guest_error(const char* msg, uint32_t len);
/** stratus_guest_error of a NUL-terminated string. */
int stratus_guest_error_str(const char* msg);
/** Answers the error text `prefix` (NUL-terminated) followed by [detail, detail+detail_len). Returns
 * STRATUS_CALL_ERROR (also when it could not allocate: then the text is `prefix` alone). */
int stratus_guest_error_concat(const char* prefix, const void* detail, uint32_t detail_len);

/** Calls the host: `binding` (link name), `ns` (namespace: contract id, actor key or alias), `op`, payload.
 * Returns STRATUS_HOST_OK with *result = the host response, STRATUS_HOST_ERROR with *result = the host error text,
 * or STRATUS_HOST_NOMEM with *result empty. *result is always initialised; free it with stratus_bytes_free. */
int stratus_host_call_n(const char* binding, uint32_t binding_len, const char* ns, uint32_t ns_len, const char* op,
                        uint32_t op_len, const void* payload, uint32_t payload_len, stratus_bytes* result);
/** stratus_host_call_n with NUL-terminated binding, namespace and operation. */
int stratus_host_call(const char* binding, const char* ns, const char* op, const void* payload, uint32_t payload_len,
                      stratus_bytes* result);

/** Writes one log line through the host's __console_log. */
void stratus_console_log(const char* msg, uint32_t len);
/** stratus_console_log of a NUL-terminated string. */
void stratus_console_log_str(const char* msg);

/** Allocator over linear memory. stratus_malloc returns 8-byte aligned memory or NULL when memory.grow fails.
 * stratus_free(NULL) is a no-op; freeing a pointer not from this allocator (or twice) traps. */
void* stratus_malloc(uint32_t size);
void* stratus_calloc(uint32_t count, uint32_t size);
void* stratus_realloc(void* ptr, uint32_t size);
void stratus_free(void* ptr);

/** Frees b->data and empties *b. */
void stratus_bytes_free(stratus_bytes* b);

/** Small helpers (no libc). */
static inline uint32_t stratus_strlen(const char* s) {
  uint32_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}
static inline bool stratus_mem_eq(const void* a, const void* b, uint32_t len) {
  const uint8_t* x = (const uint8_t*)a;
  const uint8_t* y = (const uint8_t*)b;
  for (uint32_t i = 0; i < len; ++i)
    if (x[i] != y[i]) return false;
  return true;
}
static inline uint32_t stratus_load_u32le(const uint8_t* p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline void stratus_store_u32le(uint8_t* p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}
static inline void stratus_store_u64le(uint8_t* p, uint64_t v) {
  stratus_store_u32le(p, (uint32_t)v);
  stratus_store_u32le(p + 4, (uint32_t)(v >> 32));
}

/* libc functions the compiler may emit calls to (struct copies, zero-initialisation). */
#ifndef STRATUS_ACTOR_NO_LIBC_SHIMS
void* memcpy(void* dst, const void* src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
int memcmp(const void* a, const void* b, size_t n);
#endif

/* The guest entry point called by the host. */
STRATUS_EXPORT("__guest_call") int32_t __guest_call(int32_t op_len, int32_t msg_len);

/* ===============================================================================================================
 * Implementation
 * ============================================================================================================= */
#ifndef STRATUS_ACTOR_NO_IMPLEMENTATION

/* ---- libc shims. Weak so that an actor (or a libc) may bring its own. Written as plain byte loops: under
 * -ffreestanding the optimiser does not turn them back into calls to themselves. */
#ifndef STRATUS_ACTOR_NO_LIBC_SHIMS
typedef uint32_t __attribute__((may_alias)) stratus__word; /* word copies of any object type */

__attribute__((weak)) void* memcpy(void* dst, const void* src, size_t n) {
  uint8_t* d = (uint8_t*)dst;
  const uint8_t* s = (const uint8_t*)src;
  if ((((uintptr_t)d | (uintptr_t)s) & 3u) == 0) {
    for (; n >= 4; n -= 4, d += 4, s += 4) *(stratus__word*)(void*)d = *(const stratus__word*)(const void*)s;
  }
  while (n--) *d++ = *s++;
  return dst;
}

__attribute__((weak)) void* memmove(void* dst, const void* src, size_t n) {
  uint8_t* d = (uint8_t*)dst;
  const uint8_t* s = (const uint8_t*)src;
  if (d == s || n == 0) return dst;
  if ((uintptr_t)d < (uintptr_t)s || (uintptr_t)d >= (uintptr_t)s + n) return memcpy(dst, src, n);
  while (n--) d[n] = s[n];
  return dst;
}

__attribute__((weak)) void* memset(void* dst, int c, size_t n) {
  uint8_t* d = (uint8_t*)dst;
  uint8_t b = (uint8_t)c;
  if (((uintptr_t)d & 3u) == 0) {
    uint32_t w = (uint32_t)b * 0x01010101u;
    for (; n >= 4; n -= 4, d += 4) *(stratus__word*)(void*)d = w;
  }
  while (n--) *d++ = b;
  return dst;
}

__attribute__((weak)) int memcmp(const void* a, const void* b, size_t n) {
  const uint8_t* x = (const uint8_t*)a;
  const uint8_t* y = (const uint8_t*)b;
  for (size_t i = 0; i < n; ++i)
    if (x[i] != y[i]) return (int)x[i] - (int)y[i];
  return 0;
}
#endif /* STRATUS_ACTOR_NO_LIBC_SHIMS */

/* ---- Allocator.
 * Every block starts with an 8-byte header {capacity, magic}. Blocks up to 64 KiB have power-of-two capacities
 * (16 B .. 64 KiB, header included) and go back to one free list per size; larger blocks have capacities rounded
 * up to 4 KiB and share one first-fit list. New blocks are bumped from __heap_base, growing memory as needed. */
extern uint8_t __heap_base;

#define STRATUS__HDR 8u
#define STRATUS__SMALL_CLASSES 13u            /* 16 << 0 .. 16 << 12 = 64 KiB */
#define STRATUS__SMALL_MAX (16u << 12)
#define STRATUS__LARGE_ROUND 4096u
#define STRATUS__MAGIC_USED 0x5354524Bu       /* "STRK" */
#define STRATUS__MAGIC_FREE 0x46524545u       /* "FREE" */

typedef struct stratus__block {
  uint32_t cap;   /* bytes, header included */
  uint32_t magic;
} stratus__block;

static uintptr_t stratus__heap_top;                          /* next unallocated byte; 0 until first use */
static uint8_t* stratus__small_free[STRATUS__SMALL_CLASSES]; /* payload pointers; next link in payload */
static uint8_t* stratus__large_free;

static inline uint32_t stratus__small_class(uint32_t total) {
  if (total <= 16u) return 0;
  return (uint32_t)(32 - __builtin_clz(total - 1u)) - 4u;
}

static inline uint8_t* stratus__next_of(uint8_t* payload) { return *(uint8_t**)(void*)payload; }
static inline void stratus__set_next(uint8_t* payload, uint8_t* next) { *(uint8_t**)(void*)payload = next; }

/* Bumps a fresh block of `cap` bytes; NULL if memory cannot grow that far. */
static uint8_t* stratus__bump(uint32_t cap) {
  if (stratus__heap_top == 0) stratus__heap_top = ((uintptr_t)&__heap_base + 15u) & ~(uintptr_t)15u;
  uint64_t start = (uint64_t)stratus__heap_top;
  uint64_t end = start + cap;
  uint64_t mem_bytes = (uint64_t)__builtin_wasm_memory_size(0) * 65536u;
  if (end > mem_bytes) {
    uint64_t pages = (end - mem_bytes + 65535u) / 65536u;
    if (end > 0x100000000ull || __builtin_wasm_memory_grow(0, (size_t)pages) == (size_t)-1) return NULL;
  }
  stratus__heap_top = (uintptr_t)end;
  stratus__block* b = (stratus__block*)(uintptr_t)start;
  b->cap = cap;
  return (uint8_t*)b + STRATUS__HDR;
}

void* stratus_malloc(uint32_t size) {
  if (size > 0xFFFF0000u - STRATUS__HDR) return NULL;
  uint32_t total = size + STRATUS__HDR;
  uint8_t* p = NULL;
  if (total <= STRATUS__SMALL_MAX) {
    uint32_t cls = stratus__small_class(total);
    p = stratus__small_free[cls];
    if (p != NULL) {
      stratus__small_free[cls] = stratus__next_of(p);
    } else {
      p = stratus__bump(16u << cls);
      if (p == NULL) return NULL;
    }
  } else {
    uint32_t cap = (total + (STRATUS__LARGE_ROUND - 1u)) & ~(STRATUS__LARGE_ROUND - 1u);
    uint8_t** link = &stratus__large_free;
    while (*link != NULL) {
      stratus__block* b = (stratus__block*)(void*)(*link - STRATUS__HDR);
      if (b->cap >= cap) {
        p = *link;
        *link = stratus__next_of(p);
        break;
      }
      link = (uint8_t**)(void*)*link;
    }
    if (p == NULL) {
      p = stratus__bump(cap);
      if (p == NULL) return NULL;
    }
  }
  ((stratus__block*)(void*)(p - STRATUS__HDR))->magic = STRATUS__MAGIC_USED;
  return p;
}

void stratus_free(void* ptr) {
  if (ptr == NULL) return;
  uint8_t* p = (uint8_t*)ptr;
  stratus__block* b = (stratus__block*)(void*)(p - STRATUS__HDR);
  if (b->magic != STRATUS__MAGIC_USED) __builtin_trap(); /* double free or foreign pointer */
  b->magic = STRATUS__MAGIC_FREE;
  if (b->cap <= STRATUS__SMALL_MAX) {
    uint32_t cls = stratus__small_class(b->cap);
    stratus__set_next(p, stratus__small_free[cls]);
    stratus__small_free[cls] = p;
  } else {
    stratus__set_next(p, stratus__large_free);
    stratus__large_free = p;
  }
}

void* stratus_calloc(uint32_t count, uint32_t size) {
  uint64_t total = (uint64_t)count * size;
  if (total > 0xFFFFFFFFull) return NULL;
  void* p = stratus_malloc((uint32_t)total);
  if (p != NULL) __builtin_memset(p, 0, (size_t)total);
  return p;
}

void* stratus_realloc(void* ptr, uint32_t size) {
  if (ptr == NULL) return stratus_malloc(size);
  stratus__block* b = (stratus__block*)(void*)((uint8_t*)ptr - STRATUS__HDR);
  if (b->magic != STRATUS__MAGIC_USED) __builtin_trap();
  uint32_t have = b->cap - STRATUS__HDR;
  if (size <= have) return ptr;
  void* q = stratus_malloc(size);
  if (q == NULL) return NULL;
  __builtin_memcpy(q, ptr, have);
  stratus_free(ptr);
  return q;
}

void stratus_bytes_free(stratus_bytes* b) {
  if (b == NULL) return;
  stratus_free(b->data);
  b->data = NULL;
  b->len = 0;
}

/* ---- Handler registry and the per-call state. */
typedef struct stratus__entry {
  const char* name;
  uint32_t name_len;
  stratus_handler fn;
} stratus__entry;

static stratus__entry stratus__handlers[STRATUS_MAX_HANDLERS];
static uint32_t stratus__handler_count;
static bool stratus__responded; /* the current call set a response */
static bool stratus__errored;   /* the current call set an error */

bool stratus_register(const char* op, stratus_handler fn) {
  if (op == NULL || fn == NULL) return false;
  uint32_t len = stratus_strlen(op);
  for (uint32_t i = 0; i < stratus__handler_count; ++i) {
    if (stratus__handlers[i].name_len == len && stratus_mem_eq(stratus__handlers[i].name, op, len)) {
      stratus__handlers[i].fn = fn;
      return true;
    }
  }
  if (stratus__handler_count >= STRATUS_MAX_HANDLERS) return false;
  stratus__handlers[stratus__handler_count].name = op;
  stratus__handlers[stratus__handler_count].name_len = len;
  stratus__handlers[stratus__handler_count].fn = fn;
  ++stratus__handler_count;
  return true;
}

static stratus_handler stratus__find(const uint8_t* op, uint32_t len) {
  for (uint32_t i = 0; i < stratus__handler_count; ++i)
    if (stratus__handlers[i].name_len == len && stratus_mem_eq(stratus__handlers[i].name, op, len))
      return stratus__handlers[i].fn;
  return NULL;
}

int stratus_guest_response(const void* data, uint32_t len) {
  stratus_raw_guest_response(data, len);
  stratus__responded = true;
  return STRATUS_CALL_OK;
}

int stratus_guest_response_str(const char* text) { return stratus_guest_response(text, stratus_strlen(text)); }

int stratus_guest_error(const char* msg, uint32_t len) {
  stratus_raw_guest_error(msg, len);
  stratus__errored = true;
  return STRATUS_CALL_ERROR;
}

int stratus_guest_error_str(const char* msg) { return stratus_guest_error(msg, stratus_strlen(msg)); }

/* Joins up to three pieces into a fresh buffer (NUL-terminated); NULL when out of memory. */
static uint8_t* stratus__join3(const void* a, uint32_t alen, const void* b, uint32_t blen, const void* c,
                               uint32_t clen, uint32_t* out_len) {
  uint64_t total = (uint64_t)alen + blen + clen;
  if (total >= 0xFFFF0000ull) return NULL;
  uint8_t* buf = (uint8_t*)stratus_malloc((uint32_t)total + 1u);
  if (buf == NULL) return NULL;
  if (alen) __builtin_memcpy(buf, a, alen);
  if (blen) __builtin_memcpy(buf + alen, b, blen);
  if (clen) __builtin_memcpy(buf + alen + blen, c, clen);
  buf[total] = 0;
  *out_len = (uint32_t)total;
  return buf;
}

int stratus_guest_error_concat(const char* prefix, const void* detail, uint32_t detail_len) {
  uint32_t plen = stratus_strlen(prefix);
  uint32_t len = 0;
  uint8_t* msg = stratus__join3(prefix, plen, detail, detail_len, NULL, 0, &len);
  if (msg == NULL) return stratus_guest_error(prefix, plen);
  stratus_guest_error((const char*)msg, len);
  stratus_free(msg);
  return STRATUS_CALL_ERROR;
}

int32_t __guest_call(int32_t op_len, int32_t msg_len) {
  static const char kNoMemory[] = "Guest call failed: out of memory for the request";
  static const char kNoHandler[] = "No handler registered for function \"";
  uint32_t olen = (uint32_t)op_len;
  uint32_t mlen = (uint32_t)msg_len;
  stratus__responded = false;
  stratus__errored = false;
  uint8_t* op = NULL;
  uint8_t* msg = NULL;
  if (olen < 0xFFFF0000u && mlen < 0xFFFF0000u) {
    op = (uint8_t*)stratus_malloc(olen + 1u);
    msg = (uint8_t*)stratus_malloc(mlen + 1u);
  }
  if (op == NULL || msg == NULL) {
    stratus_free(op);
    stratus_free(msg);
    stratus_raw_guest_error(kNoMemory, sizeof kNoMemory - 1u);
    return STRATUS_CALL_ERROR;
  }
  stratus_raw_guest_request(op, msg);
  op[olen] = 0;
  msg[mlen] = 0;

  int32_t rc;
  stratus_handler fn = stratus__find(op, olen);
  if (fn == NULL) {
    uint32_t len = 0;
    uint8_t* text = stratus__join3(kNoHandler, sizeof kNoHandler - 1u, op, olen, "\"", 1u, &len);
    if (text != NULL) {
      stratus_guest_error((const char*)text, len);
      stratus_free(text);
    } else {
      stratus_guest_error(kNoHandler, sizeof kNoHandler - 3u);
    }
    rc = STRATUS_CALL_ERROR;
  } else {
    rc = fn(msg, mlen) != 0 ? STRATUS_CALL_OK : STRATUS_CALL_ERROR;
    if (rc == STRATUS_CALL_OK && !stratus__responded) {
      stratus_guest_response(msg, 0); /* a valid pointer, zero bytes */
    } else if (rc == STRATUS_CALL_ERROR && !stratus__errored) {
      stratus_guest_error_concat("Guest call failed: handler returned an error without a message: ", op, olen);
    }
  }
  stratus_free(msg);
  stratus_free(op);
  return rc;
}

/* ---- Host calls and logging. */
int stratus_host_call_n(const char* binding, uint32_t binding_len, const char* ns, uint32_t ns_len, const char* op,
                        uint32_t op_len, const void* payload, uint32_t payload_len, stratus_bytes* result) {
  result->data = NULL;
  result->len = 0;
  uint32_t ok = stratus_raw_host_call(binding, binding_len, ns, ns_len, op, op_len, payload, payload_len);
  uint32_t len = ok == 1u ? stratus_raw_host_response_len() : stratus_raw_host_error_len();
  uint8_t* buf = len < 0xFFFF0000u ? (uint8_t*)stratus_malloc(len + 1u) : NULL;
  if (buf == NULL) return STRATUS_HOST_NOMEM;
  if (ok == 1u) {
    stratus_raw_host_response(buf);
  } else {
    stratus_raw_host_error(buf);
  }
  buf[len] = 0;
  result->data = buf;
  result->len = len;
  return ok == 1u ? STRATUS_HOST_OK : STRATUS_HOST_ERROR;
}

int stratus_host_call(const char* binding, const char* ns, const char* op, const void* payload, uint32_t payload_len,
                      stratus_bytes* result) {
  return stratus_host_call_n(binding, stratus_strlen(binding), ns, stratus_strlen(ns), op, stratus_strlen(op), payload,
                             payload_len, result);
}

void stratus_console_log(const char* msg, uint32_t len) { stratus_raw_console_log(msg, len); }

void stratus_console_log_str(const char* msg) { stratus_raw_console_log(msg, stratus_strlen(msg)); }

#endif /* STRATUS_ACTOR_NO_IMPLEMENTATION */

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* STRATUS_ACTOR_H */

