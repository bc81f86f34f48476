// Contains synchronous faults (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT) raised by provider code running on the
// calling thread, turning them into an error instead of a dead host.
//
// Handlers are installed once, process-wide, and chain to whatever was installed before for faults outside a
// guarded region (so a JIT/AOT engine's own handlers keep working). The guard is per thread and nests: code that
// calls back into the host from inside a guarded region suspends the guard (SuspendFaultGuard) for that stretch.
#pragma once

#include <functional>
#include <string>

#include "stratus/common/expected.h"

namespace stratus::capability {

/// Runs `fn` on this thread; if it faults, returns kInternal "<what> crashed: <signal name>". The state the fault
/// left behind (locks, heap) is not repaired: callers must stop using whatever faulted.
Expected<void> runFaultContained(const std::string& what, const std::function<void()>& fn);

/// While alive, faults on this thread are not caught by an enclosing runFaultContained (host code called from a
/// provider is not the provider's fault).
class SuspendFaultGuard {
 public:
  SuspendFaultGuard();
  ~SuspendFaultGuard();
  SuspendFaultGuard(const SuspendFaultGuard&) = delete;
  SuspendFaultGuard& operator=(const SuspendFaultGuard&) = delete;

 private:
  void* saved_;
};

}  // namespace stratus::capability
