/* ponger: answers `Ping` with "pong: " followed by the payload. Signed with the call alias "examples/ponger", so
 * other actors can call it by name instead of by public key. */
#include "stratus_actor.h"

static int ping(const uint8_t* payload, uint32_t len) {
  static const char kPrefix[] = "pong: ";
  const uint32_t prefix_len = sizeof kPrefix - 1u;
  uint8_t* out = (uint8_t*)stratus_malloc(prefix_len + len);
  if (!out) return stratus_guest_error_str("Ping: out of memory");
  for (uint32_t i = 0; i < prefix_len; ++i) out[i] = (uint8_t)kPrefix[i];
  for (uint32_t i = 0; i < len; ++i) out[prefix_len + i] = payload[i];
  int rc = stratus_guest_response(out, prefix_len + len);
  stratus_free(out);
  return rc;
}

void wapc_init(void) { stratus_register("Ping", ping); }
