#include "capability/fault_guard.h"

#include <csetjmp>
#include <csignal>
#include <cstring>
#include <mutex>

namespace stratus::capability {
namespace {

constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
struct sigaction g_previous[sizeof(kSignals) / sizeof(kSignals[0])];
std::once_flag g_installed;

thread_local sigjmp_buf* t_recover = nullptr;

void onFault(int sig, siginfo_t* info, void* uctx) {
  if (sigjmp_buf* recover = t_recover) {
    t_recover = nullptr;
    // The jump buffer was saved without the signal mask (no syscall on the hot path): unblock the signal here.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    siglongjmp(*recover, sig);
  }
  for (size_t i = 0; i < std::size(kSignals); ++i) {
    if (kSignals[i] != sig) continue;
    const struct sigaction& prev = g_previous[i];
    if (prev.sa_flags & SA_SIGINFO) {
      prev.sa_sigaction(sig, info, uctx);
      return;
    }
    if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
      prev.sa_handler(sig);
      return;
    }
    // Default action: restore it; returning re-executes the fault (or abort() re-raises) and the process dies as
    // it would have without us.
    signal(sig, SIG_DFL);
    return;
  }
}

void install() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = &onFault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < std::size(kSignals); ++i) sigaction(kSignals[i], &sa, &g_previous[i]);
}

std::string signalName(int sig) {
  switch (sig) {
    case SIGSEGV: return "SIGSEGV (invalid memory access)";
    case SIGBUS: return "SIGBUS (bus error)";
    case SIGILL: return "SIGILL (illegal instruction)";
    case SIGFPE: return "SIGFPE (arithmetic fault)";
    case SIGABRT: return "SIGABRT (aborted)";
    default: return "signal " + std::to_string(sig);
  }
}

}  // namespace

Expected<void> runFaultContained(const std::string& what, const std::function<void()>& fn) {
  std::call_once(g_installed, install);
  sigjmp_buf recover;
  sigjmp_buf* const outer = t_recover;
  if (const int sig = sigsetjmp(recover, 0); sig != 0) {
    t_recover = outer;
    return fail(ErrorCode::kInternal, what + " crashed: " + signalName(sig));
  }
  t_recover = &recover;
  fn();
  t_recover = outer;
  return ok();
}

SuspendFaultGuard::SuspendFaultGuard() : saved_(t_recover) { t_recover = nullptr; }
SuspendFaultGuard::~SuspendFaultGuard() { t_recover = static_cast<sigjmp_buf*>(saved_); }

}  // namespace stratus::capability
