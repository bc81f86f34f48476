#include "capability/fault_guard.h"

#include <csetjmp>
#include <csignal>
#include <cstring>
#include <mutex>

#include "common/signal_chain.h"

namespace stratus::capability {
namespace {

constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
struct sigaction g_previous[sizeof(kSignals) / sizeof(kSignals[0])];
std::once_flag g_installed;

thread_local sigjmp_buf* t_recover = nullptr;

void onFault(int sig, siginfo_t* info, void* uctx) {
  if (sigjmp_buf* recover = t_recover) {
    t_recover = nullptr;
    unblockSignal(sig);
    siglongjmp(*recover, sig);
  }
  for (size_t i = 0; i < std::size(kSignals); ++i) {
    if (kSignals[i] == sig) return chainToPreviousHandler(g_previous[i], sig, info, uctx);
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
