// The wabt 1.0.32 interpreter backend: no compiler needed at run time; the embedded default.
#pragma once

#include <memory>

#include "stratus/engine/engine.h"

namespace stratus::engine {

/// Creates the interpreter backend. Each instance gets its own wabt Store and Thread, so instances of one module
/// run on different threads at once. Call depth is wabt's fixed limit (about 1300 frames); deeper recursion traps
/// with kResourceExhausted "call stack exhausted".
std::unique_ptr<Engine> createInterpEngine();

}  // namespace stratus::engine
