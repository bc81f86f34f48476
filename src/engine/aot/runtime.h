// Our implementation of the wasm2c runtime (wasm-rt.h) for the aot engine: per-thread trap state, guard-page
// memories freed whole, a chaining SIGSEGV/SIGBUS handler and a per-thread alternate signal stack. Generated code
// reaches it through the stratus_aot_host table (engine/aot/abi.h).
#pragma once

#include <cstdint>

#include "engine/aot/abi.h"

namespace stratus::engine::aot {

/// Receives the function-import calls of one instance.
class ImportTarget {
 public:
  /// Runs import `index`. Returns 0, or non-zero after recording why the host function failed (the guest then
  /// traps with STRATUS_AOT_TRAP_HOST_ERROR). Must not throw.
  virtual int callImport(uint32_t index, const uint64_t* args, uint64_t* results) noexcept = 0;

 protected:
  ~ImportTarget() = default;
};

/// The import context handed to a module's instantiate(): a block whose first word points to itself. wasm2c 1.0.32
/// gives an imported function called through a table the *address* of the instance's import-context field rather
/// than its value; the generated import forwarders read the first word of whatever they get, which is this block
/// either way.
struct ImportContext {
  explicit ImportContext(ImportTarget* t) : self(this), target(t) {}
  ImportContext(const ImportContext&) = delete;
  ImportContext& operator=(const ImportContext&) = delete;

  ImportContext* const self;  // must stay the first member
  ImportTarget* const target;
};

/// The process-wide host table handed to every compiled module. Installs the signal handlers on first use.
const stratus_aot_host* hostTable();

/// Installs the SIGSEGV/SIGBUS handler once per process. It handles only faults of generated code running under
/// invoke()/instantiate() on the faulting thread and chains every other fault to the handler installed before it.
void installSignalHandlers();

/// Calls `fn` under trap recovery on the calling thread. Returns 0 when it returned normally, otherwise the trap
/// code (wasm_rt_trap_t or STRATUS_AOT_TRAP_*). Costs no system call (the signal mask is restored only on the trap
/// path). Nests: a host function called from the guest may call into another instance.
uint32_t invoke(stratus_aot_invoker fn, void* instance, const uint64_t* args, uint64_t* results);

/// Runs `module.instantiate(instance, context)` under trap recovery like invoke(). While it runs, linear memories
/// allocated on this thread get at most `max_memory_pages` pages (0 = no cap beyond the module's own).
uint32_t instantiate(const stratus_aot_module& module, void* instance, ImportContext* context,
                     uint32_t max_memory_pages);

/// Byte offset inside its linear memory of the access that caused the last memory-fault trap on this thread.
uint64_t lastFaultOffset();

/// Largest linear memory the runtime maps, in pages: wasm_rt_memory_t keeps the byte size in 32 bits.
inline constexpr uint32_t kMaxMemoryPages = 65535;

/// Largest table the runtime allocates, in elements.
inline constexpr uint32_t kMaxTableElements = 10'000'000;

}  // namespace stratus::engine::aot
