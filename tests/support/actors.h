// Test helpers: read the test actors the build produced, and sign them with fresh keys.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "stratus/claims/claims.h"
#include "stratus/common/expected.h"

namespace stratus::testing {

/// Bytes of ${STRATUS_ACTOR_OUT_DIR}/<name>.wasm; aborts when missing (the build makes them).
Bytes loadActor(const std::string& name);

/// What to put in the claims of a signed test actor.
struct SignSpec {
  std::string name = "test";
  std::vector<std::string> caps;
  std::optional<std::string> call_alias;
  std::optional<int64_t> expires;     ///< absolute, seconds since the epoch
  std::optional<int64_t> not_before;  ///< absolute
  int32_t rev = 1;
  /// The module key's seed ('SM…'): sign another revision of the same actor. Empty: a fresh key.
  std::string module_seed{};
};

/// `wasm` with embedded claims signed by a fresh account key for the module key of `spec` (a fresh one unless
/// given). `subject` receives the module public key when non-null.
Bytes signActor(const Bytes& wasm, const SignSpec& spec, std::string* subject = nullptr);

}  // namespace stratus::testing
