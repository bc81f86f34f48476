// Which engine runs an actor: the interpreter (starts at once), aot (native code, compiled first or taken from the
// cache), or auto (native code when cached, else the interpreter at once and native code when a background compile
// finishes).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "stratus/common/expected.h"
#include "stratus/engine/aot.h"
#include "stratus/engine/engine.h"

namespace stratus::host {

enum class EngineMode { kInterp, kAot, kAuto };

/// "interp", "aot" or "auto"; kInvalidArgument naming the accepted values otherwise.
Expected<EngineMode> parseEngineMode(std::string_view name);

/// The engines of one host. The interpreter always exists; the aot engine is created when an actor first needs it,
/// and for `auto` only when a C compiler is present (without one, auto stays on the interpreter and says so once).
/// Background compiles run one at a time on one thread, at a lower CPU priority (nice +10, inherited by the compiler
/// processes): compiling is CPU-heavy and must not starve the calls.
/// Thread-safe.
class EngineSelection {
 public:
  EngineSelection(EngineMode default_mode, engine::AotOptions aot_options);
  /// Drops queued background compiles and cancels the one in progress (its compiler is killed).
  ~EngineSelection();

  /// Checks that the default mode can work here: kUnavailable when it is aot and no C compiler exists.
  Expected<void> check();

  EngineMode defaultMode() const { return default_mode_; }

  /// What an actor starts on.
  struct Start {
    std::shared_ptr<const engine::Module> module;
    std::string engine;    ///< "interp" or "aot"
    bool tier_up = false;  ///< auto on the interpreter: call compileInBackground
  };

  /// Compiles `wasm` for a start in `mode`. kUnavailable when aot is asked for and there is no C compiler.
  Expected<Start> compile(std::span<const uint8_t> wasm, const std::string& name, EngineMode mode);

  using Done = std::function<void(Expected<std::shared_ptr<const engine::Module>> module, double seconds)>;
  /// Compiles with the aot engine on the background thread, then calls `done` there. Jobs still queued or running
  /// when the selection is destroyed are dropped without calling `done`.
  void compileInBackground(Bytes wasm, std::string name, Done done);

 private:
  struct Job {
    Bytes wasm;
    std::string name;
    Done done;
  };

  // The aot engine, created on first use; nullptr (and the reason in aot_error_) without a C compiler.
  engine::AotEngine* aot();
  void work();

  const EngineMode default_mode_;
  const engine::AotOptions aot_options_;
  std::unique_ptr<engine::Engine> interp_;

  std::mutex aot_mu_;
  bool aot_tried_ = false;                    // guarded by aot_mu_
  std::unique_ptr<engine::AotEngine> aot_;    // guarded by aot_mu_ until aot_tried_, then immutable
  std::string aot_error_;                     // guarded by aot_mu_
  std::once_flag warned_no_compiler_;

  std::mutex jobs_mu_;
  std::condition_variable jobs_cv_;
  std::deque<Job> jobs_;  // guarded by jobs_mu_
  bool stopping_ = false; // guarded by jobs_mu_
  std::thread worker_;    // started with the first job
};

}  // namespace stratus::host
