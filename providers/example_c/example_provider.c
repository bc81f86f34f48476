/*
 * A capability provider in plain C, using nothing but include/stratus/provider.h: contract "stratus:example"
 * with one operation, Reverse, which answers its payload with the bytes in reverse order.
 *
 * It shows the whole ABI without the C++ layer: the function table, the system operations every provider must
 * answer (BindActor, RemoveActor, HealthRequest), result memory owned by the provider and released through
 * free_result, and the host's dispatcher (used here to log each bind).
 */
#include <stdlib.h>
#include <string.h>

#include "stratus/provider.h"

typedef struct example_provider {
  stratus_provider table; /* first member: &state->table is what the entry point returns */
  const stratus_dispatcher* dispatcher;
} example_provider;

/* HealthResponse {healthy: true, message: ""} as MessagePack: a 2-entry map with fixstr keys. */
static const uint8_t kHealthy[] = {0x82, 0xa7, 'h', 'e', 'a', 'l', 't', 'h', 'y', 0xc3,
                                   0xa7, 'm',  'e', 's', 's', 'a', 'g', 'e', 0xa0};

static int equals(const char* s, size_t len, const char* literal) {
  size_t n = strlen(literal);
  return len == n && memcmp(s, literal, n) == 0;
}

/* Fills `out` with a copy of `len` bytes (reversed when `reverse`); an allocation failure becomes an error
 * result with no message, which the host reports as an empty error. */
static void fill(stratus_result* out, int ok, const uint8_t* bytes, size_t len, int reverse) {
  size_t i;
  out->ok = ok;
  out->data = NULL;
  out->len = 0;
  if (len == 0) return;
  out->data = (uint8_t*)malloc(len);
  if (!out->data) {
    out->ok = 0;
    return;
  }
  for (i = 0; i < len; ++i) out->data[i] = reverse ? bytes[len - 1 - i] : bytes[i];
  out->len = len;
}

static void fill_error(stratus_result* out, const char* prefix, const char* name, size_t name_len) {
  size_t prefix_len = strlen(prefix);
  static const char kSuffix[] = "' (known: Reverse)";
  size_t total = prefix_len + name_len + sizeof kSuffix - 1;
  out->ok = 0;
  out->len = 0;
  out->data = (uint8_t*)malloc(total);
  if (!out->data) return;
  memcpy(out->data, prefix, prefix_len);
  if (name_len) memcpy(out->data + prefix_len, name, name_len);
  memcpy(out->data + prefix_len + name_len, kSuffix, sizeof kSuffix - 1);
  out->len = total;
}

static void configure_dispatch(void* instance, const stratus_dispatcher* dispatcher) {
  ((example_provider*)instance)->dispatcher = dispatcher;
}

static void handle_call(void* instance, const char* actor, size_t actor_len, const char* operation,
                        size_t operation_len, const uint8_t* msg, size_t msg_len, stratus_result* out) {
  example_provider* self = (example_provider*)instance;
  if (equals(actor, actor_len, "system")) {
    if (equals(operation, operation_len, "HealthRequest")) {
      fill(out, 1, kHealthy, sizeof kHealthy, 0);
      return;
    }
    if (equals(operation, operation_len, "BindActor") || equals(operation, operation_len, "RemoveActor")) {
      /* Nothing is kept per actor, so there is nothing to set up or tear down: accept. */
      if (self->dispatcher && equals(operation, operation_len, "BindActor")) {
        static const char kLine[] = "example_c: an actor was bound";
        self->dispatcher->log(self->dispatcher->context, STRATUS_LOG_INFO, kLine, sizeof kLine - 1);
      }
      fill(out, 1, NULL, 0, 0);
      return;
    }
  }
  if (equals(operation, operation_len, "Reverse")) {
    fill(out, 1, msg, msg_len, 1);
    return;
  }
  fill_error(out, "unknown stratus:example operation '", operation, operation_len);
}

static void free_result(void* instance, stratus_result* result) {
  (void)instance;
  free(result->data);
  result->data = NULL;
  result->len = 0;
}

static void stop(void* instance) { free(instance); }

__attribute__((visibility("default"))) const stratus_provider* stratus_provider_create(void) {
  example_provider* self = (example_provider*)calloc(1, sizeof *self);
  if (!self) return NULL;
  self->table.abi_version = STRATUS_PROVIDER_ABI_VERSION;
  self->table.instance = self;
  self->table.capability_id = "stratus:example";
  self->table.name = "stratus example provider (plain C)";
  self->table.configure_dispatch = configure_dispatch;
  self->table.handle_call = handle_call;
  self->table.free_result = free_result;
  self->table.stop = stop;
  return &self->table;
}
