#include "support/actors.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "stratus/claims/nkeys.h"
#include "stratus/claims/wasm.h"
#include "stratus/common/files.h"

namespace stratus::testing {

Bytes loadActor(const std::string& name) {
  const std::string path = std::string(STRATUS_TEST_ACTOR_DIR) + "/" + name + ".wasm";
  auto bytes = readFileBytes(path);
  if (!bytes) {
    std::fprintf(stderr, "test actor %s is missing (the build should have produced it): %s\n", path.c_str(),
                 bytes.error().message.c_str());
    std::abort();
  }
  return std::move(*bytes);
}

Bytes signActor(const Bytes& wasm, const SignSpec& spec, std::string* subject) {
  auto account = claims::KeyPair::generate(claims::KeyType::kAccount);
  auto module = spec.module_seed.empty() ? claims::KeyPair::generate(claims::KeyType::kModule)
                                         : claims::KeyPair::fromSeed(spec.module_seed);
  if (!account || !module) std::abort();
  claims::ActorClaims c;
  c.subject = module->publicKey();
  c.issued_at = claims::unixNow();
  c.expires = spec.expires;
  c.not_before = spec.not_before;
  c.metadata.name = spec.name;
  c.metadata.caps = spec.caps;
  c.metadata.call_alias = spec.call_alias;
  c.metadata.rev = spec.rev;
  c.metadata.ver = "0.1.0";
  auto signed_wasm = claims::embedClaims(wasm, c, *account);
  if (!signed_wasm) {
    std::fprintf(stderr, "signing failed: %s\n", signed_wasm.error().toString().c_str());
    std::abort();
  }
  if (subject) *subject = c.subject;
  return std::move(*signed_wasm);
}

}  // namespace stratus::testing
