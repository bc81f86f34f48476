// wasmCloud's rule for where an image reference points: an existing file, else an OCI registry.
#include "stratus/common/files.h"
#include "stratus/host/host.h"

namespace stratus::host {
namespace {

// A missing file is reported as such, not as a reference nobody meant (wasmCloud's rule cannot tell them apart).
Expected<void> checkNotAMissingFile(const std::string& image_ref) {
  for (std::string_view ext : {".wasm", ".par", ".par.gz", ".so"}) {
    if (image_ref.ends_with(ext)) return fail(ErrorCode::kNotFound, "no such file: " + image_ref);
  }
  return ok();
}

}  // namespace

Expected<std::string> startActorFromRef(Host& host, const std::string& image_ref, const ActorStartOptions& options) {
  if (oci::isFilePath(image_ref)) return host.startActorFromFile(image_ref, options);
  STRATUS_TRY(checkNotAMissingFile(image_ref));
  return host.startActorFromRegistry(image_ref, options);
}

Expected<void> updateActorFromRef(Host& host, std::string_view public_key, const std::string& image_ref) {
  if (oci::isFilePath(image_ref)) {
    auto bytes = readFileBytes(image_ref);
    if (!bytes) return fail(bytes.takeError().prefixed("actor: "));
    return host.updateActor(public_key, *bytes, image_ref);
  }
  STRATUS_TRY(checkNotAMissingFile(image_ref));
  return host.updateActorFromRegistry(public_key, image_ref);
}

Expected<std::string> startProviderFromRef(Host& host, const std::string& image_ref, std::string link_name,
                                           std::optional<capability::ProviderIsolation> isolation) {
  if (oci::isFilePath(image_ref)) return host.startProviderFromArchive(image_ref, std::move(link_name), isolation);
  STRATUS_TRY(checkNotAMissingFile(image_ref));
  return host.startProviderFromRegistry(image_ref, std::move(link_name), isolation);
}

}  // namespace stratus::host
