// The waPC host protocol over one engine instance: guest calls, host calls, guest/host errors, start functions and
// console log, as in wapc-rs 0.10 (see docs/ and the protocol spec).
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "stratus/common/expected.h"
#include "stratus/engine/engine.h"

namespace stratus::wapc {

/// Handles a guest's `__host_call(binding, namespace, operation, payload)`. Returning a value answers the guest
/// with success (1); returning an error hands its message to the guest as the host error (0). Called on the thread
/// that is inside WapcInstance::call.
using HostCallHandler = std::function<Expected<Bytes>(std::string_view binding, std::string_view ns,
                                                      std::string_view operation, std::span<const uint8_t> payload)>;

/// Receives the guest's `__console_log` text.
using ConsoleLogHandler = std::function<void(std::string_view message)>;

/// How to build a waPC instance.
struct WapcOptions {
  engine::InstanceOptions instance;
  HostCallHandler host_call;      ///< unset: every host call fails with "no host call handler"
  ConsoleLogHandler console_log;  ///< unset: log lines are dropped
};

/// A waPC guest instance. Not thread-safe (one call at a time), like the engine instance it owns.
class WapcInstance {
 public:
  /// Instantiates `module` with the waPC imports, checks it exports `__guest_call` and a memory, then runs
  /// `_start` and `wapc_init` (those present, in that order) once. Errors name the missing export or the trap.
  static Expected<std::unique_ptr<WapcInstance>> create(std::shared_ptr<const engine::Module> module,
                                                        WapcOptions options);
  ~WapcInstance();
  WapcInstance(const WapcInstance&) = delete;
  WapcInstance& operator=(const WapcInstance&) = delete;

  /// Calls `operation` with `payload`. Returns the guest response; a guest error (kGuestError, with the guest's
  /// text), or a trap / deadline / bounds error from the engine. After a trap `poisoned()` is true.
  Expected<Bytes> call(std::string_view operation, std::span<const uint8_t> payload);

  /// True once a call trapped: the guest's state may be inconsistent and the instance should be replaced.
  bool poisoned() const { return poisoned_; }

  /// The engine instance (for interrupt() from a watchdog, or memory inspection in tests).
  engine::Instance& engineInstance() { return *instance_; }

  struct State;  // per-call protocol state, shared with the host functions

 private:
  WapcInstance() = default;

  std::shared_ptr<const engine::Module> module_;
  std::unique_ptr<State> state_;
  std::unique_ptr<engine::Instance> instance_;
  engine::FunctionHandle guest_call_{};
  bool poisoned_ = false;
};

/// The host functions of module "wapc" that WapcInstance registers (exposed for engines' tests and tools).
std::vector<engine::HostFunction> wapcHostFunctions();

}  // namespace stratus::wapc
