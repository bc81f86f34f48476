// Loading and calling a native capability provider through the plain-C ABI of stratus/provider.h.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "stratus/common/expected.h"
#include "stratus/provider.h"

namespace stratus::capability {

/// Delivers a provider's call to an actor (the host side of stratus_dispatcher.dispatch).
using ActorDispatch =
    std::function<Expected<Bytes>(std::string_view actor, std::string_view operation, std::span<const uint8_t> msg)>;
/// Receives a provider's log lines.
using ProviderLog = std::function<void(stratus_log_level level, std::string_view text)>;

/// What the host knows of a provider from its claims (the archive's capid and name). C-ABI providers name
/// themselves in their table; Rust-ABI providers do not, so loading one needs this.
struct ProviderIdentity {
  std::string capability_id;
  std::string name;
};

/// The ABI a provider library speaks.
enum class ProviderAbi {
  kC,     ///< stratus's own C function table (stratus/provider.h)
  kRust,  ///< the seeds' Rust `CapabilityProvider` trait object (wasmCloud 0.18 / waSCC providers)
};

/// How a provider in a child process is run and supervised (NativeProvider::loadInChildProcess).
struct ProcessIsolation {
  /// A `stratus` binary: the child runs `<executable> provider-host --library <path> ...`.
  std::string executable;
  /// Crashes in a row (each within 30 s of its start) after which the provider is given up.
  int max_restarts = 5;
  /// A call not answered within this kills the child (calls in flight fail) and restarts it; HealthRequest uses
  /// health_timeout.
  std::chrono::milliseconds call_timeout{60000};
  std::chrono::milliseconds health_timeout{2000};
  /// The first delay before a restart, doubled after each crash in a row up to restart_backoff_max.
  std::chrono::milliseconds restart_backoff{100};
  std::chrono::milliseconds restart_backoff_max{5000};
  /// Receives the child's output, line by line, and what happened to it (deaths, restarts, giving up).
  ProviderLog log;
};

/// Where a provider runs.
enum class ProviderIsolation {
  kInProcess,  ///< dlopen'ed into the host: fastest; a crash on a provider's own thread kills the host
  kProcess,    ///< in a child process: a crash or hang costs a restart, never the host
};

class ProviderBackend;
struct DispatchContext;

/// One loaded provider instance. Thread-safe: call() may run concurrently from many threads.
///
/// Faults inside the provider (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT raised while running provider code on a
/// host thread) are contained: the call fails with an error naming the signal, the provider is marked crashed and
/// refuses further calls, and the host goes on. Its state may be corrupt, so it is never called again, not even
/// stop. Faults on the provider's own threads cannot be contained in process.
class NativeProvider {
 public:
  /// Loads a provider library: reads which compiler built it, dlopen(RTLD_NOW | RTLD_NODELETE), then tells the
  /// ABIs apart before calling anything: `stratus_provider_create` is the C ABI; `__capability_provider_create` is
  /// the Rust ABI when the library was built by rustc, else the C ABI of libraries built before the entry point's
  /// rename. A Rust provider's vtable and Result layouts are chosen from its rustc version and confirmed by probes
  /// (a HealthRequest at load); its identity comes from `identity` (required, else kInvalidArgument).
  /// Errors (kInvalidArgument): the library fails to load (with dlerror, e.g. wrong architecture or missing
  /// dependency), has no entry symbol, the entry returns null, the C ABI version differs from ours, the table is
  /// incomplete, or a Rust library's compiler version is unknown or its layout not recognised (naming the version).
  static Expected<std::unique_ptr<NativeProvider>> load(const std::string& library_path,
                                                        const ProviderIdentity& identity = {});

  /// Loads the provider in a child process (`options.executable provider-host`), which loads it as load() does,
  /// and supervises it: its death (a signal, an exit) or a missed deadline is seen at once, the calls in flight
  /// fail with an error saying what happened, and it is restarted with backoff, configured again and sent the
  /// BindActor of every actor bound to it; new calls during a restart fail at once (kUnavailable). Given up after
  /// `options.max_restarts` crashes in a row. Errors: those of load() (from the child), or kIo when the child
  /// cannot be started.
  static Expected<std::unique_ptr<NativeProvider>> loadInChildProcess(const std::string& library_path,
                                                                      const ProviderIdentity& identity,
                                                                      ProcessIsolation options);

  /// The ABI of the library at `library_path` as its bytes tell it, without loading it: kRust when rustc built it.
  /// Errors: kIo when it cannot be read.
  static Expected<ProviderAbi> probeAbi(const std::string& library_path);

  /// Wraps a table created in process (built-in providers). `origin` names it in errors.
  static Expected<std::unique_ptr<NativeProvider>> fromTable(const stratus_provider* table, std::string origin);

  /// Stops the provider if stop() was not called yet (with the default timeout).
  ~NativeProvider();
  NativeProvider(const NativeProvider&) = delete;
  NativeProvider& operator=(const NativeProvider&) = delete;

  const std::string& capabilityId() const { return capability_id_; }
  const std::string& name() const { return name_; }
  /// The library path, or the origin given to fromTable.
  const std::string& origin() const { return origin_; }

  /// Hands the provider its dispatcher. Call once, before the first call(). The callbacks must stay callable
  /// until stop() returns.
  Expected<void> configureDispatch(ActorDispatch dispatch, ProviderLog log);

  /// Calls the provider's handle_call. Errors: kHostError with the provider's message; kMalformed for a reply that
  /// breaks the ABI; kUnavailable after stop or a crash.
  Expected<Bytes> call(std::string_view actor, std::string_view operation, std::span<const uint8_t> msg);

  /// Stops the provider, within `timeout` in all: calls fail from now on; calls already running are waited for, then
  /// the provider's stop runs on a thread of its own. Errors, after which the host goes on: kDeadlineExceeded when
  /// calls are still running at the deadline (stop is then not called, as it would overlap them) or when stop
  /// does not return in time (its thread is kept until it does, see BoundedTask); the fault's error when stop
  /// crashes; kUnavailable when the provider crashed earlier.
  Expected<void> stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  bool crashed() const { return crashed_.load(); }

  ProviderAbi abi() const { return abi_; }
  /// The ABI and, for a Rust provider, its compiler and the layouts in use, e.g.
  /// "Rust ABI (rustc 1.63.0: supertrait methods first with vptrs, 32-byte tagged Result)".
  std::string abiDescription() const;

  /// For tests of the call/stop protocol: `hook` runs in every call() after it was admitted and before the
  /// provider's handle_call (nullptr: none). Not for production use.
  static void setAdmissionHookForTesting(void (*hook)());

 private:
  NativeProvider(std::shared_ptr<ProviderBackend> backend, ProviderAbi abi, std::string origin,
                 ProviderIdentity identity);
  std::string who() const;
  // Counts a call out of in_flight_ and wakes a stop() waiting for the last one.
  void leave();

  // Shared with a stop() that outlives its deadline: the stopping thread keeps the backend alive.
  const std::shared_ptr<ProviderBackend> backend_;
  const ProviderAbi abi_;
  std::string origin_;
  std::string capability_id_;
  std::string name_;
  std::unique_ptr<DispatchContext> dispatch_;
  std::atomic<bool> stopped_{false};
  std::atomic<bool> crashed_{false};
  std::atomic<int> in_flight_{0};
  std::mutex drain_mu_;              // pairs with drain_cv_ only: stop() waits on it for in_flight_ to reach 0
  std::condition_variable drain_cv_;
};

}  // namespace stratus::capability
