// The ahead-of-time backend: wasm2c translates each module to C, the system C compiler builds a shared library,
// and instances run native code. Needs a C compiler at run time; fastest once compiled.
#pragma once

#include <memory>
#include <string>

#include "stratus/common/expected.h"
#include "stratus/engine/engine.h"

namespace stratus::engine {

/// Options of the aot backend.
struct AotOptions {
  /// C compiler command (a path or a name looked up in PATH; words split on spaces, e.g. "ccache gcc"). Empty:
  /// $CC when set, else "cc".
  std::string compiler{};
  /// Optimisation flag handed to the compiler.
  std::string optimization = "-O2";
  /// Directory for the per-compilation scratch directories; empty: $TMPDIR, else /tmp.
  std::string work_dir{};
  /// Keep each scratch directory (generated C, compiler output, library) after loading, for debugging. They are
  /// `work_dir`/stratus-aot-<first 16 hex digits of the module hash>-XXXXXX; otherwise they are removed at once.
  bool keep_files = false;
};

/// Creates the aot backend, or kUnavailable when the C compiler cannot be found.
///
/// Each compile() validates the module, instruments it for deadlines, translates it with libwabt's wasm2c writer,
/// compiles the C (`-fPIC -shared`, the configured optimisation) and loads the library; compiled libraries are
/// shared within the process by the SHA-256 of the instrumented module and the compiler command. Linear memories
/// are 8 GiB guard-page reservations (no bounds checks in the code; at most 65535 pages); native stack overflow in
/// guest code traps as kResourceExhausted "call stack exhausted". Instances of one module run on many threads at
/// once; one instance runs on one thread at a time. Thread-safe.
Expected<std::unique_ptr<Engine>> createAotEngine(const AotOptions& options = {});

}  // namespace stratus::engine
