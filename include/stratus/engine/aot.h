// The ahead-of-time backend: wasm2c translates each module to C, the system C compiler builds a shared library,
// and instances run native code. Needs a C compiler at run time; fastest once compiled.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "stratus/common/expected.h"
#include "stratus/engine/engine.h"

namespace stratus::engine {

/// The aot backend, with what it offers beyond Engine.
class AotEngine : public Engine {
 public:
  /// The module, when its compiled code is at hand without running the C compiler: loaded in this process
  /// already, or a valid entry of the disk cache. nullptr otherwise (then compile() builds it). Errors as
  /// compile() for an invalid module.
  Expected<std::shared_ptr<const Module>> compileIfCached(std::span<const uint8_t> wasm,
                                                          const CompileOptions& options = {}) override = 0;
  /// Path of the disk cache entry for this module's code (present or not); "" when the disk cache is off.
  virtual Expected<std::string> cacheEntryPath(std::span<const uint8_t> wasm, const CompileOptions& options = {}) = 0;
  /// The disk cache directory; "" when the disk cache is off.
  virtual const std::string& cacheDir() const = 0;
  /// For shutting down: compiles in progress kill their compiler and fail with kUnavailable, and so do later
  /// ones at once. Modules compiled already are unaffected. Thread-safe.
  void cancelCompiles() override = 0;
};

/// Creates the aot backend, or kUnavailable when the C compiler cannot be found.
///
/// Each compile() validates the module, instruments it for deadlines, translates it with libwabt's wasm2c writer,
/// compiles the C (`-fPIC -shared`, the configured optimisation) and loads the library. Compiled code is keyed by
/// the SHA-256 of the instrumented module, the compiler command and version, the flags, the engine ABI and the
/// stratus version: shared within the process, and kept in the disk cache (unless disabled; least recently used
/// entries go beyond its size limit), where an entry that is corrupt (truncated, garbled, failing its SHA-256, not
/// loadable) or stale is reported, removed and rebuilt. Linear memories are 8 GiB guard-page reservations (no
/// bounds checks in the code; at most 65535 pages); native stack overflow in guest code traps as kResourceExhausted
/// "call stack exhausted". Instances of one module run on many threads at once; one instance runs on one thread at
/// a time. Thread-safe.
Expected<std::unique_ptr<AotEngine>> createAotEngine(const AotOptions& options = {});

}  // namespace stratus::engine
