// Which engine runs an actor: the interpreter (starts at once), aot (native code, compiled first or taken from the
// cache), or auto (native code when cached, else the interpreter at once and native code when a background compile
// finishes).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "stratus/common/expected.h"
#include "stratus/common/thread_annotations.h"
#include "stratus/engine/engine.h"
#include "stratus/host/engine_mode.h"

namespace stratus::host {

/// The engines of one host, each created through engine::createEngine when an actor first needs it. `auto`
/// starts actors on the interpreter (or on aot code found in its cache) and tiers up to aot; without a C compiler it
/// stays on the interpreter and says so once.
/// Background compiles run one at a time on one thread, at a lower CPU priority (nice +10, inherited by the compiler
/// processes): compiling is CPU-heavy and must not starve the calls.
/// Thread-safe.
class EngineSelection {
 public:
  EngineSelection(EngineMode default_mode, engine::EngineOptions options);
  /// Drops queued background compiles and cancels the one in progress (its compiler is killed).
  ~EngineSelection();

  /// Checks that the default mode can work here: kUnavailable when its backend cannot (aot without a C compiler).
  Expected<void> check();

  EngineMode defaultMode() const { return default_mode_; }

  /// What an actor starts on.
  struct Start {
    std::shared_ptr<const engine::Module> module;
    engine::Backend backend = engine::Backend::kInterp;
    bool tier_up = false;  ///< auto on the interpreter: call compileInBackground
  };

  /// Compiles `wasm` for a start in `mode`. kUnavailable when its backend cannot work here.
  Expected<Start> compile(std::span<const uint8_t> wasm, const std::string& name, EngineMode mode);

  using Done = std::function<void(Expected<std::shared_ptr<const engine::Module>> module, double seconds)>;
  /// Compiles with the tier-up backend (aot) on the background thread, then calls `done` there. Jobs still queued or running
  /// when the selection is destroyed are dropped without calling `done`.
  void compileInBackground(Bytes wasm, std::string name, Done done);

 private:
  struct Job {
    Bytes wasm;
    std::string name;
    Done done;
  };

  // The engine of `backend`, created on first use; otherwise the reason it cannot work here.
  Expected<engine::Engine*> engine(engine::Backend backend) STRATUS_EXCLUDES(engines_mu_);
  void work();

  const EngineMode default_mode_;
  const engine::EngineOptions options_;

  struct Slot {
    std::unique_ptr<engine::Engine> engine;  // null when creating it failed
    Error error;                             // why, then
  };
  Mutex engines_mu_;
  std::map<engine::Backend, Slot> engines_ STRATUS_GUARDED_BY(engines_mu_);  // a slot never changes once made
  std::once_flag warned_no_tier_;

  Mutex jobs_mu_;
  std::condition_variable jobs_cv_;
  std::deque<Job> jobs_ STRATUS_GUARDED_BY(jobs_mu_);
  bool stopping_ STRATUS_GUARDED_BY(jobs_mu_) = false;
  std::thread worker_;    // started with the first job
};

}  // namespace stratus::host
