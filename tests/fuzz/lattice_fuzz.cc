// Fuzz target: what arrives from the lattice — msgpack Invocations, InvocationResponses, link and claims adverts,
// the JSON control-interface requests and events — and the antiforgery check of whatever decodes. Any input must
// yield a value or an error, never a crash, hang or huge allocation.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "lattice/antiforgery.h"
#include "lattice/control_wire.h"
#include "lattice/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stratus::lattice;
  const std::span<const uint8_t> bytes(data, size);
  if (auto invocation = decodeInvocation(bytes)) {
    (void)validateInvocation(*invocation, 1700000000, {});
    (void)validateInvocation(*invocation, 1700000000, {{"CAZKHCGFGQZQO6MGGVAJVNFSHPP4E7NYA4YFBXNT3XC3VLBTBGDCOFPR"}});
  }
  (void)decodeInvocationResponse(bytes);
  (void)decodeLinkDefinition(bytes);
  (void)decodeActorClaims(bytes);
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  (void)ctl::parseActorAuctionRequest(json);
  (void)ctl::parseProviderAuctionRequest(json);
  (void)ctl::parseStartActorCommand(json);
  (void)ctl::parseStopActorCommand(json);
  (void)ctl::parseStartProviderCommand(json);
  (void)ctl::parseStopProviderCommand(json);
  (void)ctl::parseUpdateActorCommand(json);
  (void)ctl::parseHostInventory(json);
  (void)ctl::parsePublishedEvent(json);
  return 0;
}
