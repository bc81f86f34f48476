/*
 * bench_kv_actor — wasmcloud:keyvalue Add calls in a loop, for the key-value benchmark (bench/kv_bench.sh).
 *
 * Operations (payload -> result):
 *   Incr  u32 LE n, then the key (the rest of the payload, 1..256 bytes) -> u32 LE number of Adds answered with
 *         success, then i64 LE the value the last successful Add returned (0 when none did). Makes n host calls
 *         ("default", "wasmcloud:keyvalue", "Add", {key, value: 1}), each decoding its AddResponse, as an actor
 *         counting something does. Payload without a key -> guest error.
 */
#include "stratus_actor.h"
#include "stratus_msgpack.h"

#define KEY_MAX 256u

static const char kBinding[] = "default";
static const char kContract[] = "wasmcloud:keyvalue";
static const char kOperation[] = "Add";

/* The `value` of an AddResponse {value}. */
static bool read_add_response(const uint8_t* data, uint32_t len, int64_t* value) {
  smp_reader r;
  smp_reader_init(&r, data, len);
  return smp_find_field(&r, "value") && smp_read_i64(&r, value);
}

static int op_incr(const uint8_t* payload, uint32_t len) {
  if (len < 5u || len - 4u > KEY_MAX) return stratus_guest_error_str("Incr expects a u32 LE count and a key");
  const uint32_t n = stratus_load_u32le(payload);

  /* The arguments are the same for every call: encode them once. */
  smp_writer args;
  smp_writer_init(&args);
  smp_write_map(&args, 2);
  smp_write_cstr(&args, "key");
  smp_write_str(&args, (const char*)payload + 4, len - 4u);
  smp_write_cstr(&args, "value");
  smp_write_int(&args, 1);
  if (args.error) {
    smp_writer_free(&args);
    return stratus_guest_error_str("Incr: out of memory");
  }

  uint32_t answered = 0;
  int64_t last = 0;
  for (uint32_t i = 0; i < n; ++i) {
    stratus_bytes reply;
    if (stratus_host_call_n(kBinding, sizeof kBinding - 1u, kContract, sizeof kContract - 1u, kOperation,
                            sizeof kOperation - 1u, args.data, args.len, &reply) == STRATUS_HOST_OK &&
        read_add_response(reply.data, reply.len, &last)) {
      ++answered;
    }
    stratus_bytes_free(&reply);
  }
  smp_writer_free(&args);

  uint8_t out[12];
  stratus_store_u32le(out, answered);
  stratus_store_u64le(out + 4, (uint64_t)last);
  return stratus_guest_response(out, sizeof out);
}

void wapc_init(void) { stratus_register("Incr", op_incr); }
