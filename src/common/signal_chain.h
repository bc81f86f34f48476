// Helpers for the process's synchronous-fault handlers (provider fault containment, the aot engine's traps), which
// must coexist: each handles only its own faults and passes the rest on.
#pragma once

#include <csignal>

namespace stratus {

/// Passes a signal our handler does not take to `previous`, the action installed before ours: its handler, or for
/// the default action, restores it so that returning re-runs the faulting instruction (or abort() re-raises) and
/// the process dies as it would have without us.
inline void chainToPreviousHandler(const struct sigaction& previous, int sig, siginfo_t* info, void* uctx) {
  if (previous.sa_flags & SA_SIGINFO) {
    previous.sa_sigaction(sig, info, uctx);
  } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(sig);
  } else {
    signal(sig, SIG_DFL);
  }
}

/// Unblocks `sig` on this thread, before a siglongjmp out of its handler to a buffer saved without the signal mask
/// (sigsetjmp(buf, 0): no system call on the hot path).
inline void unblockSignal(int sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

}  // namespace stratus
