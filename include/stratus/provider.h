/*
 * The stratus capability-provider ABI: plain C, versioned.
 *
 * A provider is a shared library exporting one unmangled function:
 *
 *     const stratus_provider* stratus_provider_create(void);
 *
 * The entry point has a name of its own so that the host can tell this ABI apart, before calling anything, from the
 * Rust trait-object ABI of wasmCloud 0.18 / waSCC providers, which export `__capability_provider_create` (see
 * docs/providers.md). Libraries built against version 1 of this header before the rename export the C table under
 * `__capability_provider_create`; the host still loads them when the library carries no trace of rustc.
 *
 * It returns a function table (stratus_provider) owned by the library. The host checks `abi_version`, then calls
 * `configure_dispatch` once, then `handle_call` any number of times from any number of threads, and finally `stop`
 * once; after `stop` returns the host never touches the table or the instance again. The library itself is never
 * unloaded (the host loads it with RTLD_NOW | RTLD_NODELETE).
 *
 * Memory rule: whoever allocates frees. Bytes a provider returns in a stratus_result are released by the host
 * calling the provider's `free_result`; bytes the host returns from `dispatch` are released by the provider calling
 * the dispatcher's `free_result`. Strings are passed as pointer + length and are not NUL-terminated unless stated.
 * No C++ object, exception or allocator crosses this boundary.
 *
 * Every provider must answer, with origin "system":
 *   BindActor     payload CapabilityConfiguration {module, values}: start serving the actor `module` (idempotent);
 *   RemoveActor   payload CapabilityConfiguration {module, values = {}}: stop serving it (idempotent);
 *   HealthRequest payload HealthRequest {placeholder}: reply HealthResponse {healthy, message}.
 * (msgpack maps keyed by field name, as in wasmCloud 0.18; see include/stratus/codec/core.h.)
 */
#ifndef STRATUS_PROVIDER_H
#define STRATUS_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The ABI version this header describes. Bumped on any incompatible change to the structs below. */
#define STRATUS_PROVIDER_ABI_VERSION 1u

/** Name of the symbol every provider library exports. */
#define STRATUS_PROVIDER_ENTRY_SYMBOL "stratus_provider_create"

/** The entry symbol of libraries built before the rename; shared with the seeds' Rust providers. */
#define STRATUS_PROVIDER_LEGACY_ENTRY_SYMBOL "__capability_provider_create"

/** Outcome of a call across the ABI. */
typedef struct stratus_result {
  /** 1: `data` holds the reply; 0: `data` holds a UTF-8 error message (not NUL-terminated). */
  int32_t ok;
  /** Owned by the side that filled the result; NULL when `len` is 0. */
  uint8_t* data;
  size_t len;
} stratus_result;

/** Log levels of stratus_dispatcher.log. */
typedef enum stratus_log_level {
  STRATUS_LOG_TRACE = 0,
  STRATUS_LOG_DEBUG = 1,
  STRATUS_LOG_INFO = 2,
  STRATUS_LOG_WARN = 3,
  STRATUS_LOG_ERROR = 4
} stratus_log_level;

/**
 * What the host hands a provider so the provider can call actors. Valid from configure_dispatch until stop
 * returns. All functions are thread-safe and may be called from any thread the provider owns, but never from
 * inside handle_call for the same actor call chain that is waiting on the provider (that would deadlock a
 * single-instance actor).
 */
typedef struct stratus_dispatcher {
  /** Opaque host context; pass it back as the first argument. */
  void* context;
  /**
   * Calls `operation` on the actor with public key `actor` (56 chars, 'M…') and blocks until it answers.
   * Fills `out` (ok = 1 with the actor's reply, or ok = 0 with an error message); release it with free_result.
   */
  void (*dispatch)(void* context, const char* actor, size_t actor_len, const char* operation, size_t operation_len,
                   const uint8_t* msg, size_t msg_len, stratus_result* out);
  /** Releases the bytes of a result filled by `dispatch`. */
  void (*free_result)(void* context, stratus_result* result);
  /** Writes a line to the host's log, attributed to the provider. */
  void (*log)(void* context, stratus_log_level level, const char* text, size_t text_len);
} stratus_dispatcher;

/** The function table a provider library returns. All members are required. */
typedef struct stratus_provider {
  /** Must equal STRATUS_PROVIDER_ABI_VERSION of the header the provider was built with. */
  uint32_t abi_version;
  /** Opaque provider state passed back to every function below. */
  void* instance;
  /** NUL-terminated contract id, e.g. "wasmcloud:keyvalue". Valid until stop returns. */
  const char* capability_id;
  /** NUL-terminated human-readable name. Valid until stop returns. */
  const char* name;
  /** Called once before any handle_call. The dispatcher pointer stays valid until stop returns. */
  void (*configure_dispatch)(void* instance, const stratus_dispatcher* dispatcher);
  /**
   * Handles `operation` from `actor` (an actor public key, or "system" for BindActor/RemoveActor/HealthRequest).
   * Fills `out`; the host releases it with free_result. Called concurrently from several threads.
   */
  void (*handle_call)(void* instance, const char* actor, size_t actor_len, const char* operation,
                      size_t operation_len, const uint8_t* msg, size_t msg_len, stratus_result* out);
  /** Releases the bytes of a result filled by handle_call. */
  void (*free_result)(void* instance, stratus_result* result);
  /**
   * Stops the provider: closes its listeners and connections, joins its threads, and frees the instance. No
   * handle_call is in flight or follows. Must not call the dispatcher after it returns.
   */
  void (*stop)(void* instance);
} stratus_provider;

/** The entry point's type. */
typedef const stratus_provider* (*stratus_provider_create_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* STRATUS_PROVIDER_H */
