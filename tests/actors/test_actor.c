/*
 * test_actor — exercises every corner of the waPC host protocol and of the engine's trap handling.
 *
 * Operations (payload -> result):
 *   Echo        bytes -> the same bytes
 *   Fail        text  -> guest error "requested failure: " + text
 *   Trap        any   -> wasm `unreachable` trap
 *   DivZero     any   -> integer divide by zero trap (i32.div_u by a volatile 0)
 *   OobRead     any   -> out-of-bounds memory trap (load8 at 0xFFFFFFF0)
 *   Recurse     any   -> unbounded recursion: call-stack exhaustion (or, with --stack-first, a stack OOB store)
 *   Loop        any   -> infinite loop (for deadlines / interrupts)
 *   HostCall    msgpack {binding: str, namespace: str, operation: str, payload: bin (str accepted)}
 *                     -> the host's response bytes; on a host error, guest error "host call failed: " + error text;
 *                        malformed payload -> guest error "bad HostCall payload"
 *   Log         text  -> console_log(text), empty result
 *   BadPointer  any   -> raw __host_call("default", "stratus:test", "BadPointer", ptr=0xFFFFFF00, len=0x1000);
 *                        a correct host refuses (trap or host error). If the host answers 0, the result is the guest
 *                        error "host call refused: " + host error; if it answers 1 the result is the text
 *                        "BadPointer accepted" (a host bug).
 *   Grow        u32 LE pages -> i32 LE result of memory.grow (old size in pages, or -1); payload shorter than 4
 *                        bytes -> guest error "Grow expects a u32 LE page count"
 *   Count       any   -> u32 LE counter, 1 on the first call of an instance, +1 per call
 *   InitCount   any   -> u32 LE: how many times wapc_init ran in this instance (a correct host: 1)
 */
#include "stratus_actor.h"
#include "stratus_msgpack.h"

static uint32_t g_init_count;
static uint32_t g_counter;
static volatile uint32_t g_sink;
static volatile uint32_t g_never = 0xFFFFFFFFu; /* a depth the recursion never reaches in practice */

static int op_echo(const uint8_t* payload, uint32_t len) { return stratus_guest_response(payload, len); }

static int op_fail(const uint8_t* payload, uint32_t len) {
  return stratus_guest_error_concat("requested failure: ", payload, len);
}

static int op_trap(const uint8_t* payload, uint32_t len) {
  (void)payload;
  (void)len;
  __builtin_trap();
}

static int op_div_zero(const uint8_t* payload, uint32_t len) {
  volatile uint32_t divisor = 0;
  uint32_t q = (len + 7u) / divisor;
  uint8_t out[4];
  stratus_store_u32le(out, q);
  (void)payload;
  return stratus_guest_response(out, 4);
}

static int op_oob_read(const uint8_t* payload, uint32_t len) {
  volatile const uint8_t* p = (volatile const uint8_t*)(uintptr_t)0xFFFFFFF0u;
  uint8_t v = *p;
  (void)payload;
  (void)len;
  return stratus_guest_response(&v, 1);
}

/* Not a tail call (the result is combined after the call) and touches a volatile frame, so the optimiser can
 * neither turn it into a loop nor drop it; the volatile stop depth is never reached before the stack runs out. */
__attribute__((noinline)) static uint32_t recurse(uint32_t depth) {
  if (depth == g_never) return 0;
  volatile uint8_t frame[64];
  frame[depth & 63u] = (uint8_t)depth;
  uint32_t below = recurse(depth + 1u);
  return below + frame[(depth * 7u) & 63u];
}

static int op_recurse(const uint8_t* payload, uint32_t len) {
  uint8_t out[4];
  (void)payload;
  stratus_store_u32le(out, recurse(len));
  return stratus_guest_response(out, 4);
}

static int op_loop(const uint8_t* payload, uint32_t len) {
  (void)payload;
  (void)len;
  for (;;) g_sink = g_sink + 1u; /* a volatile store each iteration: the loop cannot be removed */
}

static int op_host_call(const uint8_t* payload, uint32_t len) {
  smp_reader r;
  smp_reader_init(&r, payload, len);
  const char* binding = "";
  const char* ns = "";
  const char* op = "";
  const uint8_t* body = (const uint8_t*)"";
  uint32_t binding_len = 0, ns_len = 0, op_len = 0, body_len = 0;
  uint32_t n = 0;
  if (smp_read_map(&r, &n)) {
    for (uint32_t i = 0; i < n && !r.error; ++i) {
      const char* key;
      uint32_t key_len;
      if (!smp_read_str(&r, &key, &key_len)) break;
      if (smp_key_is(key, key_len, "binding")) smp_read_str(&r, &binding, &binding_len);
      else if (smp_key_is(key, key_len, "namespace")) smp_read_str(&r, &ns, &ns_len);
      else if (smp_key_is(key, key_len, "operation")) smp_read_str(&r, &op, &op_len);
      else if (smp_key_is(key, key_len, "payload")) smp_read_bin(&r, &body, &body_len);
      else smp_skip(&r);
    }
  }
  if (r.error) return stratus_guest_error_str("bad HostCall payload");

  stratus_bytes result;
  int rc = stratus_host_call_n(binding, binding_len, ns, ns_len, op, op_len, body, body_len, &result);
  if (rc == STRATUS_HOST_OK) {
    stratus_guest_response(result.data, result.len);
  } else if (rc == STRATUS_HOST_ERROR) {
    stratus_guest_error_concat("host call failed: ", result.data, result.len);
  } else {
    stratus_guest_error_str("host call failed: out of guest memory");
  }
  stratus_bytes_free(&result);
  return rc == STRATUS_HOST_OK ? STRATUS_CALL_OK : STRATUS_CALL_ERROR;
}

static int op_log(const uint8_t* payload, uint32_t len) {
  stratus_console_log((const char*)payload, len);
  return stratus_guest_response(payload, 0);
}

static int op_bad_pointer(const uint8_t* payload, uint32_t len) {
  static const char binding[] = "default";
  static const char ns[] = "stratus:test";
  static const char op[] = "BadPointer";
  (void)payload;
  (void)len;
  uint32_t ok = stratus_raw_host_call(binding, sizeof binding - 1u, ns, sizeof ns - 1u, op, sizeof op - 1u,
                                      (const void*)(uintptr_t)0xFFFFFF00u, 0x1000u);
  if (ok == 1u) return stratus_guest_response_str("BadPointer accepted");
  uint32_t err_len = stratus_raw_host_error_len();
  uint8_t* err = (uint8_t*)stratus_malloc(err_len + 1u);
  if (err == NULL) return stratus_guest_error_str("host call refused: (error text too large)");
  stratus_raw_host_error(err);
  stratus_guest_error_concat("host call refused: ", err, err_len);
  stratus_free(err);
  return STRATUS_CALL_ERROR;
}

static int op_grow(const uint8_t* payload, uint32_t len) {
  if (len < 4u) return stratus_guest_error_str("Grow expects a u32 LE page count");
  uint32_t pages = stratus_load_u32le(payload);
  int32_t old = (int32_t)__builtin_wasm_memory_grow(0, pages);
  uint8_t out[4];
  stratus_store_u32le(out, (uint32_t)old);
  return stratus_guest_response(out, 4);
}

static int op_count(const uint8_t* payload, uint32_t len) {
  uint8_t out[4];
  (void)payload;
  (void)len;
  stratus_store_u32le(out, ++g_counter);
  return stratus_guest_response(out, 4);
}

static int op_init_count(const uint8_t* payload, uint32_t len) {
  uint8_t out[4];
  (void)payload;
  (void)len;
  stratus_store_u32le(out, g_init_count);
  return stratus_guest_response(out, 4);
}

void wapc_init(void) {
  ++g_init_count;
  stratus_register("Echo", op_echo);
  stratus_register("Fail", op_fail);
  stratus_register("Trap", op_trap);
  stratus_register("DivZero", op_div_zero);
  stratus_register("OobRead", op_oob_read);
  stratus_register("Recurse", op_recurse);
  stratus_register("Loop", op_loop);
  stratus_register("HostCall", op_host_call);
  stratus_register("Log", op_log);
  stratus_register("BadPointer", op_bad_pointer);
  stratus_register("Grow", op_grow);
  stratus_register("Count", op_count);
  stratus_register("InitCount", op_init_count);
}
