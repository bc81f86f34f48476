#include "engine/aot/runtime.h"

#include <pthread.h>
#include <sys/ucontext.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <csetjmp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "common/signal_chain.h"
#include "stratus/engine/engine.h"
#include "stratus/common/thread_annotations.h"

namespace stratus::engine::aot {
namespace {

// A 32-bit memory is addressed as `data + (u64)u32_address + u32_offset`, so any address the generated code can form
// lies below 8 GiB (plus the access width). Reserving that much makes every out-of-bounds access land on
// inaccessible pages: no bounds check is compiled in.
constexpr uint64_t kReservationBytes = (uint64_t{1} << 33) + kWasmPageSize;

// ---- per-thread state -------------------------------------------------------------------------------------------

// Read by the signal handler, so plain data with constant initialisation: no TLS init wrapper, nothing that could
// allocate inside the handler.
struct ThreadState {
  sigjmp_buf* target;       // innermost guarded call while generated code runs on this thread; null in host code
  uintptr_t stack_lo;       // lowest usable address of this thread's stack
  uint64_t fault_offset;    // details of the last memory fault, for the error message
  uint32_t memory_cap;      // page cap for memories allocated by the instantiate() in progress (0 = none)
  bool prepared;            // alternate signal stack and stack bounds set up
};
constinit thread_local ThreadState t_state{};

// The alternate signal stack this thread got from us; unmapped when the thread exits.
class AltStack {
 public:
  ~AltStack() {
    if (base_ == nullptr) return;
    stack_t off{};
    off.ss_flags = SS_DISABLE;
    sigaltstack(&off, nullptr);
    munmap(base_, total_);
  }
  void install() {
    stack_t current{};
    if (sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE)) return;  // someone else's: keep it
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t size = 64 * 1024;
    total_ = size + page;
    void* mem = mmap(nullptr, total_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return;
    mprotect(mem, page, PROT_NONE);  // guard below the alternate stack: an overflow there faults instead of corrupting
    stack_t ss{};
    ss.ss_sp = static_cast<char*>(mem) + page;
    ss.ss_size = size;
    if (sigaltstack(&ss, nullptr) != 0) {
      munmap(mem, total_);
      return;
    }
    base_ = mem;
  }

 private:
  void* base_ = nullptr;
  size_t total_ = 0;
};
thread_local AltStack t_alt_stack;

// ---- reservation registry (read by the signal handler, lock-free) -----------------------------------------------

// 16384 reservations of 8 GiB cover the whole 128 TiB user address space of x86-64.
constexpr size_t kMaxReservations = 16384;
std::atomic<uintptr_t> g_reservations[kMaxReservations];
std::atomic<size_t> g_reservation_high_water{0};

bool registerReservation(uintptr_t base) {
  for (size_t i = 0; i < kMaxReservations; ++i) {
    uintptr_t expected = 0;
    if (g_reservations[i].compare_exchange_strong(expected, base, std::memory_order_acq_rel)) {
      size_t hw = g_reservation_high_water.load(std::memory_order_relaxed);
      while (hw < i + 1 && !g_reservation_high_water.compare_exchange_weak(hw, i + 1, std::memory_order_release)) {
      }
      return true;
    }
  }
  return false;
}

void unregisterReservation(uintptr_t base) {
  const size_t n = g_reservation_high_water.load(std::memory_order_acquire);
  for (size_t i = 0; i < n; ++i) {
    uintptr_t expected = base;
    if (g_reservations[i].compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) return;
  }
}

// Offset of `addr` inside some reservation, or -1. A stale read of a slot another thread is changing is harmless:
// the memory a thread faults in belongs to the instance it is running, which nobody can free meanwhile.
int64_t reservationOffset(uintptr_t addr) {
  const size_t n = g_reservation_high_water.load(std::memory_order_acquire);
  for (size_t i = 0; i < n; ++i) {
    const uintptr_t base = g_reservations[i].load(std::memory_order_relaxed);
    if (base != 0 && addr >= base && addr - base < kReservationBytes) return static_cast<int64_t>(addr - base);
  }
  return -1;
}

// ---- signals ----------------------------------------------------------------------------------------------------

constexpr int kSignals[] = {SIGSEGV, SIGBUS};
struct sigaction g_previous[std::size(kSignals)];
std::once_flag g_handlers_installed;

// Stack pointer of the interrupted code, or 0 where we don't know how to read it.
uintptr_t faultingStackPointer(void* uctx) {
  const auto* uc = static_cast<const ucontext_t*>(uctx);
#if defined(__x86_64__)
  return static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RSP]);
#elif defined(__aarch64__)
  return static_cast<uintptr_t>(uc->uc_mcontext.sp);
#else
  (void)uc;
  return 0;
#endif
}

bool isStackOverflow(const ThreadState& ts, uintptr_t addr, void* uctx) {
  // Generated code is compiled with stack-clash protection, so an overflow touches the guard right below the stack
  // (the main thread's stack additionally has the kernel's gap below its rlimit size) ...
  constexpr uintptr_t kBelow = 1024 * 1024;
  constexpr uintptr_t kAbove = 64 * 1024;
  if (ts.stack_lo != 0 && addr + kBelow >= ts.stack_lo && addr < ts.stack_lo + kAbove) return true;
  // ... and the faulting access is next to the stack pointer: this also covers code running on a stack that is not
  // the thread's own (a fiber), whose bounds pthread doesn't know. Generated code touches memory near the stack
  // pointer only for its frames, and linear memory was ruled out before.
  const uintptr_t sp = faultingStackPointer(uctx);
  constexpr uintptr_t kProbe = 64 * 1024;
  return sp != 0 && addr + kProbe >= sp && addr < sp + kProbe;
}

void chain(int sig, siginfo_t* info, void* uctx) {
  for (size_t i = 0; i < std::size(kSignals); ++i) {
    if (kSignals[i] == sig) return chainToPreviousHandler(g_previous[i], sig, info, uctx);
  }
}

void onFault(int sig, siginfo_t* info, void* uctx) {
  ThreadState& ts = t_state;
  if (sigjmp_buf* target = ts.target) {
    const auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
    uint32_t code = 0;
    if (const int64_t offset = reservationOffset(addr); offset >= 0) {
      ts.fault_offset = static_cast<uint64_t>(offset);
      code = STRATUS_AOT_TRAP_MEMORY_FAULT;
    } else if (isStackOverflow(ts, addr, uctx)) {
      code = STRATUS_AOT_TRAP_STACK_FAULT;
    }
    if (code != 0) {
      // Unblock the signal the kernel blocked for this handler, or the next fault on this thread would kill us.
      unblockSignal(sig);
      siglongjmp(*target, static_cast<int>(code));
    }
  }
  chain(sig, info, uctx);
}

void installOnce() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = &onFault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < std::size(kSignals); ++i) sigaction(kSignals[i], &sa, &g_previous[i]);
}

[[gnu::noinline, gnu::cold]] void prepareThread() {
  installSignalHandlers();
  ThreadState& ts = t_state;
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* addr = nullptr;
    size_t size = 0;
    if (pthread_attr_getstack(&attr, &addr, &size) == 0) ts.stack_lo = reinterpret_cast<uintptr_t>(addr);
    pthread_attr_destroy(&attr);
  }
  // A native stack overflow is only recoverable if the handler runs on another stack.
  t_alt_stack.install();
  ts.prepared = true;
}

// ---- host table entries -----------------------------------------------------------------------------------------

[[noreturn]] void trap(uint32_t code) {
  sigjmp_buf* target = t_state.target;
  if (target == nullptr) {
    std::fprintf(stderr, "stratus aot: trap %u outside a guarded call\n", code);
    std::abort();
  }
  siglongjmp(*target, static_cast<int>(code));
}

// Function signatures, process-wide so a funcref means the same type in every library. Leaked on purpose: a module
// may still be loaded while static destructors run.
Mutex g_types_mu;
auto* g_types STRATUS_PT_GUARDED_BY(g_types_mu) = new std::vector<std::vector<uint32_t>>();

uint32_t registerFuncType(uint32_t param_count, uint32_t result_count, const uint32_t* types) {
  std::vector<uint32_t> key;
  key.reserve(param_count + result_count + 1);
  key.push_back(param_count);
  key.insert(key.end(), types, types + param_count + result_count);
  MutexLock lock(g_types_mu);
  for (size_t i = 0; i < g_types->size(); ++i) {
    if ((*g_types)[i] == key) return static_cast<uint32_t>(i + 1);
  }
  g_types->push_back(std::move(key));
  return static_cast<uint32_t>(g_types->size());
}

// The allocation functions run inside generated code (under a guarded call) and report failure by trapping; they
// hold no objects with destructors at the point they trap.
void allocateMemory(wasm_rt_memory_t* memory, uint32_t initial_pages, uint32_t max_pages) {
  uint32_t max = max_pages > kMaxMemoryPages ? kMaxMemoryPages : max_pages;
  const uint32_t cap = t_state.memory_cap;
  if (cap != 0 && max > cap) max = cap;
  if (initial_pages > max) trap(STRATUS_AOT_TRAP_OUT_OF_MEMORY);
  void* base = mmap(nullptr, kReservationBytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) trap(STRATUS_AOT_TRAP_OUT_OF_MEMORY);
  const uint64_t bytes = uint64_t{initial_pages} * kWasmPageSize;
  if ((bytes != 0 && mprotect(base, bytes, PROT_READ | PROT_WRITE) != 0) ||
      !registerReservation(reinterpret_cast<uintptr_t>(base))) {
    munmap(base, kReservationBytes);
    trap(STRATUS_AOT_TRAP_OUT_OF_MEMORY);
  }
  memory->data = static_cast<uint8_t*>(base);
  memory->pages = initial_pages;
  memory->max_pages = max;
  memory->size = static_cast<uint32_t>(bytes);
}

uint32_t growMemory(wasm_rt_memory_t* memory, uint32_t delta_pages) {
  const uint32_t old_pages = memory->pages;
  if (delta_pages == 0) return old_pages;
  const uint64_t new_pages = uint64_t{old_pages} + delta_pages;
  if (new_pages > memory->max_pages) return UINT32_MAX;
  if (mprotect(memory->data + uint64_t{old_pages} * kWasmPageSize, uint64_t{delta_pages} * kWasmPageSize,
               PROT_READ | PROT_WRITE) != 0) {
    return UINT32_MAX;
  }
  memory->pages = static_cast<uint32_t>(new_pages);
  memory->size = static_cast<uint32_t>(new_pages * kWasmPageSize);
  return old_pages;
}

void freeMemory(wasm_rt_memory_t* memory) {
  if (memory->data == nullptr) return;
  // The whole reservation, not just the used pages: otherwise every instance leaks ~8 GiB of address space.
  unregisterReservation(reinterpret_cast<uintptr_t>(memory->data));
  munmap(memory->data, kReservationBytes);
  std::memset(memory, 0, sizeof *memory);
}

template <typename Table, typename Elem>
void allocateTable(Table* table, uint32_t elements, uint32_t max_elements) {
  if (elements > kMaxTableElements) trap(STRATUS_AOT_TRAP_OUT_OF_MEMORY);
  Elem* data = nullptr;
  if (elements != 0) {
    data = static_cast<Elem*>(std::calloc(elements, sizeof(Elem)));
    if (data == nullptr) trap(STRATUS_AOT_TRAP_OUT_OF_MEMORY);
  }
  table->data = data;
  table->size = elements;
  table->max_size = max_elements;
}

template <typename Table, typename Elem>
uint32_t growTable(Table* table, uint32_t delta, Elem init) {
  const uint32_t old_size = table->size;
  if (delta == 0) return old_size;
  const uint64_t new_size = uint64_t{old_size} + delta;
  if (new_size > table->max_size || new_size > kMaxTableElements) return UINT32_MAX;
  auto* data = static_cast<Elem*>(std::realloc(table->data, new_size * sizeof(Elem)));
  if (data == nullptr) return UINT32_MAX;
  for (uint64_t i = old_size; i < new_size; ++i) data[i] = init;
  table->data = data;
  table->size = static_cast<uint32_t>(new_size);
  return old_size;
}

template <typename Table>
void freeTable(Table* table) {
  std::free(table->data);
  table->data = nullptr;
  table->size = 0;
}

int callImport(void* context, uint32_t index, const uint64_t* args, uint64_t* results) {
  // Host code runs now: a fault in it is not the guest's, and a call into another instance from here nests.
  ThreadState& ts = t_state;
  sigjmp_buf* const saved = ts.target;
  ts.target = nullptr;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  const int rc = static_cast<ImportContext*>(context)->target->callImport(index, args, results);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  ts.target = saved;
  return rc;
}

const stratus_aot_host g_host = {
    STRATUS_AOT_ABI_VERSION,
    &trap,
    &registerFuncType,
    &allocateMemory,
    &growMemory,
    &freeMemory,
    &allocateTable<wasm_rt_funcref_table_t, wasm_rt_funcref_t>,
    &growTable<wasm_rt_funcref_table_t, wasm_rt_funcref_t>,
    &freeTable<wasm_rt_funcref_table_t>,
    &allocateTable<wasm_rt_externref_table_t, wasm_rt_externref_t>,
    &growTable<wasm_rt_externref_table_t, wasm_rt_externref_t>,
    &freeTable<wasm_rt_externref_table_t>,
    &callImport,
};

}  // namespace

void installSignalHandlers() { std::call_once(g_handlers_installed, installOnce); }

const stratus_aot_host* hostTable() {
  installSignalHandlers();
  return &g_host;
}

uint32_t invoke(stratus_aot_invoker fn, void* instance, const uint64_t* args, uint64_t* results) {
  ThreadState& ts = t_state;
  if (!ts.prepared) [[unlikely]] prepareThread();
  sigjmp_buf buf;
  sigjmp_buf* const outer = ts.target;
  // Mask not saved: sigsetjmp(buf, 1) would cost a sigprocmask system call on every call.
  if (const int code = sigsetjmp(buf, 0); code != 0) {
    ts.target = outer;
    return static_cast<uint32_t>(code);
  }
  ts.target = &buf;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  fn(instance, args, results);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  ts.target = outer;
  return 0;
}

uint32_t instantiate(const stratus_aot_module& module, void* instance, ImportContext* context,
                     uint32_t max_memory_pages) {
  ThreadState& ts = t_state;
  if (!ts.prepared) [[unlikely]] prepareThread();
  sigjmp_buf buf;
  sigjmp_buf* const outer = ts.target;
  const uint32_t outer_cap = ts.memory_cap;
  if (const int code = sigsetjmp(buf, 0); code != 0) {
    ts.target = outer;
    ts.memory_cap = outer_cap;
    return static_cast<uint32_t>(code);
  }
  ts.memory_cap = max_memory_pages;
  ts.target = &buf;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  module.instantiate(instance, static_cast<void*>(context));
  std::atomic_signal_fence(std::memory_order_seq_cst);
  ts.target = outer;
  ts.memory_cap = outer_cap;
  return 0;
}

uint64_t lastFaultOffset() { return t_state.fault_offset; }

}  // namespace stratus::engine::aot
