// Fuzz target: what a registry or a user hands the OCI client — image references, manifests (their JSON, layer
// selection, descriptors), WWW-Authenticate challenges, and artifact bytes whose kind is detected. Any input must
// yield a value or an error, never a crash, hang or huge allocation.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "oci/auth.h"
#include "oci/digest.h"
#include "oci/manifest.h"
#include "stratus/oci/oci.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stratus::oci;
  const std::span<const uint8_t> bytes(data, size);
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (auto ref = Reference::parse(text)) (void)ref->str();
  if (auto manifest = parseManifest(text, sha256Digest(bytes), "fuzz")) {
    if (auto layer = selectArtifactLayer(*manifest, "fuzz")) (void)checkLayerContent(*layer, bytes, "fuzz");
  }
  if (auto challenge = parseChallenge(text)) (void)challenge->param("realm");
  (void)detectArtifactKind(bytes);
  return 0;
}
