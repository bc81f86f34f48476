// Fuzz target: JWTs and wasm modules as the claims layer sees them (token parsing and claims decoding; section
// parsing, token extraction and hashing of a module).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "stratus/claims/claims.h"
#include "stratus/claims/wasm.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stratus::claims;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto token = parseToken(text)) (void)validateToken(*token, 1700000000);
  (void)decodeClaims<ActorMetadata>(text);
  (void)decodeClaims<ProviderMetadata>(text);
  const std::span<const uint8_t> wasm(data, size);
  (void)parseSections(wasm);
  (void)extractToken(wasm);
  (void)moduleHash(wasm);
  (void)verifyActor(wasm, 1700000000);
  return 0;
}
