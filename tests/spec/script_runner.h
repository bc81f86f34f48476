// Executes the commands of one spec script through the public engine API and records each command's outcome.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "spec/spec_script.h"
#include "stratus/engine/engine.h"

namespace stratus::spec {

/// Passed; failed; or skipped because the command does not apply to a binary engine (a text-format module).
enum class Status { kPassed, kFailed, kSkipped };

/// The outcome of one command.
struct Outcome {
  uint32_t line = 0;    ///< line of the command in the .wast (0: the file as a whole)
  std::string command;  ///< "assert_return add(i32:1, i32:2)", "module i32.0.wasm", ...
  Status status = Status::kPassed;
  std::string message;  ///< failed: what differed; skipped: why
};

/// How to run a script.
struct RunOptions {
  /// Deadline of every call (and instantiation), so a runaway test fails instead of hanging ctest.
  std::chrono::milliseconds call_timeout{30'000};
  /// Print each spectest.print* call, as the reference interpreter does.
  bool print_host_calls = false;
  /// Commands (by .wast line) to run in a forked child, because they are known to crash the engine: a crash then
  /// fails that command only. The child's effects (memory, globals) are not seen by later commands. Not applied to
  /// module and register commands, whose effects later commands need.
  std::function<bool(uint32_t line)> isolate;
};

/// Runs every command of `script` in order on `engine` and returns one outcome per command. Never stops early: a
/// module that fails to load makes the commands that use it fail with a message naming the module's line.
/// Modules of the script see the spectest print functions and the exported functions of registered modules as
/// host functions.
std::vector<Outcome> runScript(engine::Engine& engine, const Script& script, const RunOptions& options = {});

}  // namespace stratus::spec
