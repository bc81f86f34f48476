/* The C interface between the aot engine (host side, C++) and one compiled module (a shared library built from
 * wasm2c output plus a generated glue file). Plain C: this very text is embedded into every glue file at build time
 * (see src/engine/CMakeLists.txt), so both sides always agree on it. Bump STRATUS_AOT_ABI_VERSION on any change. */
#ifndef STRATUS_ENGINE_AOT_ABI_H_
#define STRATUS_ENGINE_AOT_ABI_H_

#include <stddef.h>
#include <stdint.h>

#include "wasm-rt.h"

#ifdef __cplusplus
extern "C" {
#endif

#define STRATUS_AOT_ABI_VERSION 2u

/* Trap codes beyond wasm_rt_trap_t, passed to stratus_aot_host.trap by the glue or raised by the host runtime. */
#define STRATUS_AOT_TRAP_HOST_ERROR 100u            /* a host function failed; the instance holds the error */
#define STRATUS_AOT_TRAP_UNDEFINED_ELEMENT 101u     /* call_indirect index beyond the table */
#define STRATUS_AOT_TRAP_UNINITIALIZED_ELEMENT 102u /* call_indirect of a null table entry */
#define STRATUS_AOT_TRAP_SIGNATURE_MISMATCH 103u    /* call_indirect with the wrong function type */
#define STRATUS_AOT_TRAP_MEMORY_FAULT 104u          /* guard-page fault inside a linear memory reservation */
#define STRATUS_AOT_TRAP_STACK_FAULT 105u           /* guard-page fault at the native stack limit */
#define STRATUS_AOT_TRAP_OUT_OF_MEMORY 106u         /* the host could not reserve or commit linear memory */

/* Services the host provides to generated code; one process-wide table handed to every library once. */
struct stratus_aot_host {
  uint32_t abi_version;
  /* Unwinds to the innermost guarded call on this thread; never returns. */
  void (*trap)(uint32_t code);
  /* Canonical index of a function signature (types: wasm_rt_type_t values, params then results). */
  uint32_t (*register_func_type)(uint32_t param_count, uint32_t result_count, const uint32_t* types);
  void (*allocate_memory)(wasm_rt_memory_t* memory, uint32_t initial_pages, uint32_t max_pages);
  uint32_t (*grow_memory)(wasm_rt_memory_t* memory, uint32_t delta_pages);
  void (*free_memory)(wasm_rt_memory_t* memory);
  void (*allocate_funcref_table)(wasm_rt_funcref_table_t* table, uint32_t elements, uint32_t max_elements);
  uint32_t (*grow_funcref_table)(wasm_rt_funcref_table_t* table, uint32_t delta, wasm_rt_funcref_t init);
  void (*free_funcref_table)(wasm_rt_funcref_table_t* table);
  void (*allocate_externref_table)(wasm_rt_externref_table_t* table, uint32_t elements, uint32_t max_elements);
  uint32_t (*grow_externref_table)(wasm_rt_externref_table_t* table, uint32_t delta, wasm_rt_externref_t init);
  void (*free_externref_table)(wasm_rt_externref_table_t* table);
  /* Runs function import `index` of the instance whose import context is `context` (the first word of the pointer
   * an import forwarder receives: see ImportContext in engine/aot/runtime.h). Arguments and results are
   * 64-bit slots (i32 zero-extended, floats by bit pattern). Returns 0, or non-zero when the host function failed
   * (the glue then traps with STRATUS_AOT_TRAP_HOST_ERROR). */
  int (*call_import)(void* context, uint32_t index, const uint64_t* args, uint64_t* results);
};

/* Calls one export with arguments and results in 64-bit slots, like call_import. */
typedef void (*stratus_aot_invoker)(void* instance, const uint64_t* args, uint64_t* results);

/* What a compiled module library exports: the one symbol STRATUS_AOT_MODULE_SYMBOL. */
struct stratus_aot_module {
  uint32_t abi_version;
  /* Bytes of one instance (zero-initialised by the host). */
  size_t instance_size;
  /* Sets the host table; called once, before anything else. */
  void (*bind)(const struct stratus_aot_host* host);
  /* Module-wide initialisation (function types); called once after bind. */
  void (*init_module)(void);
  /* Initialises an instance: globals, memory, tables, segments, start function. May trap. `import_context` is
   * passed back to call_import. */
  void (*instantiate)(void* instance, void* import_context);
  /* Frees the memory and tables of an instance (not the instance bytes). */
  void (*free_instance)(void* instance);
  /* The instance's linear memory, or NULL when the module has none. */
  wasm_rt_memory_t* (*memory)(void* instance);
  /* The interrupt flag global of the instance (see engine/instrument.h). */
  volatile uint32_t* (*interrupt_flag)(void* instance);
  /* One invoker per export, in export order; NULL for exports that are not callable functions. */
  uint32_t export_count;
  const stratus_aot_invoker* invokers;
};

#define STRATUS_AOT_MODULE_SYMBOL "stratus_aot_module_v1"

#ifdef __cplusplus
}
#endif

#endif /* STRATUS_ENGINE_AOT_ABI_H_ */
