// How a host runs an actor's code: on one engine backend, or "auto" (tiered).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "stratus/common/expected.h"
#include "stratus/engine/engine.h"

namespace stratus::host {

/// An engine choice: one backend ("interp", "aot", ...), or "auto": native code at once when the aot disk cache
/// has it; otherwise the interpreter at once and native code when a background compile finishes (without a C
/// compiler, the interpreter for good). Names come from the engine registry (engine::backendName), so a new
/// backend is offered here without any change.
class EngineMode {
 public:
  /// The tiered choice, "auto".
  static EngineMode automatic() { return EngineMode(true, engine::Backend::kInterp); }
  /// One backend, always.
  static EngineMode only(engine::Backend backend) { return EngineMode(false, backend); }
  /// "auto" or a backend name; kInvalidArgument naming the accepted names otherwise.
  static Expected<EngineMode> parse(std::string_view name);
  /// Every name parse() accepts: the backends, then "auto".
  static std::vector<std::string> names();

  bool isAutomatic() const { return automatic_; }
  /// The backend of a one-backend choice (meaningless for auto).
  engine::Backend backend() const { return backend_; }
  /// "auto" or the backend's name.
  std::string_view name() const;

  bool operator==(const EngineMode&) const = default;

 private:
  EngineMode(bool automatic, engine::Backend backend) : automatic_(automatic), backend_(backend) {}
  bool automatic_;
  engine::Backend backend_;
};

}  // namespace stratus::host
