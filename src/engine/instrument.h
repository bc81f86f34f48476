// Load-time instrumentation that makes any module interruptible, independent of the engine that runs it.
#pragma once

#include <span>
#include <string_view>

#include "stratus/common/expected.h"

namespace stratus::engine {

/// Name of the exported mutable i32 global that interrupts the guest when set to non-zero.
inline constexpr std::string_view kInterruptGlobalExport = "__stratus_interrupt";

/// Rewrites a module so that every function entry and every loop header checks an added mutable i32 global
/// (exported as kInterruptGlobalExport) and executes `unreachable` when it is non-zero. A loop whose body opens
/// with a direct call of a function of the module (before any branch) is left without its own check: the callee's
/// entry check runs on every iteration. The host sets the global
/// from a watchdog to stop a runaway call; the trap it causes is then reported as a deadline. Appending the global
/// last keeps every existing global index. The input should already be validated; parse errors are kMalformed.
Expected<Bytes> instrumentForInterrupts(std::span<const uint8_t> wasm, std::string_view name);

}  // namespace stratus::engine
