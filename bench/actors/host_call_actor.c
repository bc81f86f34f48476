/*
 * bench_host_call_actor — actor->host calls with no guest-side parsing, so a benchmark can isolate their cost.
 *
 * Operations (payload -> result):
 *   HostCalls  u32 LE n -> u32 LE number of calls answered with success. Makes n host calls
 *              ("default", "stratus:bench", "Ping", 64 fixed bytes) through the SDK, each one fetching the reply
 *              into guest memory and freeing it, as an actor does. Payload shorter than 4 bytes -> guest error.
 */
#include "stratus_actor.h"

static const char kBinding[] = "default";
static const char kNamespace[] = "stratus:bench";
static const char kOperation[] = "Ping";
static uint8_t g_payload[64];

static int op_host_calls(const uint8_t* payload, uint32_t len) {
  if (len < 4u) return stratus_guest_error_str("HostCalls expects a u32 LE count");
  const uint32_t n = stratus_load_u32le(payload);
  uint32_t answered = 0;
  for (uint32_t i = 0; i < n; ++i) {
    stratus_bytes reply;
    if (stratus_host_call_n(kBinding, sizeof kBinding - 1u, kNamespace, sizeof kNamespace - 1u, kOperation,
                            sizeof kOperation - 1u, g_payload, sizeof g_payload, &reply) == STRATUS_HOST_OK) {
      ++answered;
    }
    stratus_bytes_free(&reply);
  }
  uint8_t out[4];
  stratus_store_u32le(out, answered);
  return stratus_guest_response(out, 4);
}

void wapc_init(void) {
  for (uint32_t i = 0; i < sizeof g_payload; ++i) g_payload[i] = (uint8_t)(i * 7u + 1u);
  stratus_register("HostCalls", op_host_calls);
}
