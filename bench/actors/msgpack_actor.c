/*
 * bench_msgpack_actor — the msgpack compute workload (msgpack_doc.c, also built natively) as a waPC operation.
 *
 * Operations (payload -> result):
 *   Msgpack  u32 LE iterations -> u32 LE encoded size of the last document, then u64 LE checksum (see
 *            msgpack_doc.h). Payload shorter than 4 bytes, out of memory or a mismatch -> guest error.
 */
#include "msgpack_doc.h"
#include "stratus_actor.h"

static int op_msgpack(const uint8_t* payload, uint32_t len) {
  if (len < 4u) return stratus_guest_error_str("Msgpack expects a u32 LE iteration count");
  stratus_msgpack_result result;
  if (!stratus_msgpack_workload(stratus_load_u32le(payload), &result)) {
    return stratus_guest_error_str("Msgpack: out of memory or a decoded document differs from the encoded one");
  }
  uint8_t out[12];
  stratus_store_u32le(out, result.doc_bytes);
  stratus_store_u64le(out + 4, result.checksum);
  return stratus_guest_response(out, sizeof out);
}

void wapc_init(void) { stratus_register("Msgpack", op_msgpack); }
