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

/// One loaded provider instance. Thread-safe: call() may run concurrently from many threads.
///
/// Faults inside the provider (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT raised while running provider code on a
/// host thread) are contained: the call fails with an error naming the signal, the provider is marked crashed and
/// refuses further calls, and the host goes on. Its state may be corrupt, so it is never called again, not even
/// stop. Faults on the provider's own threads cannot be contained in process.
class NativeProvider {
 public:
  /// Loads a provider library: dlopen(RTLD_NOW | RTLD_NODELETE), resolves __capability_provider_create, creates
  /// the provider and checks its table. Errors (kInvalidArgument): the library fails to load (with dlerror, e.g.
  /// wrong architecture or missing dependency), has no entry symbol, the entry returns null, the ABI version
  /// differs from ours, or the table is incomplete.
  static Expected<std::unique_ptr<NativeProvider>> load(const std::string& library_path);

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

  /// Calls the provider's handle_call. Errors: kHostError with the provider's message; kUnavailable after stop
  /// or a crash.
  Expected<Bytes> call(std::string_view actor, std::string_view operation, std::span<const uint8_t> msg);

  /// Stops the provider, within `timeout` in all: calls fail from now on; calls already running are waited for, then
  /// the provider's stop runs on a thread of its own. Errors, after which the host goes on: kDeadlineExceeded when
  /// calls are still running at the deadline (stop is then not called, as it would overlap them) or when stop
  /// does not return in time (its thread is kept until it does, see BoundedTask); the fault's error when stop
  /// crashes; kUnavailable when the provider crashed earlier.
  Expected<void> stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  bool crashed() const { return crashed_.load(); }

  /// For tests of the call/stop protocol: `hook` runs in every call() after it was admitted and before the
  /// provider's handle_call (nullptr: none). Not for production use.
  static void setAdmissionHookForTesting(void (*hook)());

 private:
  struct DispatchContext;
  NativeProvider(const stratus_provider* table, std::string origin);
  Expected<void> checkTable() const;
  // Counts a call out of in_flight_ and wakes a stop() waiting for the last one.
  void leave();

  const stratus_provider* table_;
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
