#include "oci/manifest.h"

#include <nlohmann/json.hpp>

#include "oci/digest.h"
#include "stratus/common/strings.h"

namespace stratus::oci {
namespace {

using nlohmann::json;

Expected<Descriptor> parseDescriptor(const json& j, std::string_view what, const std::string& where) {
  if (!j.is_object()) return fail(ErrorCode::kMalformed, std::string(what) + ": " + where + " is not an object");
  Descriptor d;
  const auto media_type = j.find("mediaType");
  const auto digest = j.find("digest");
  const auto size = j.find("size");
  if (media_type == j.end() || !media_type->is_string()) {
    return fail(ErrorCode::kMalformed, std::string(what) + ": " + where + " has no mediaType");
  }
  if (digest == j.end() || !digest->is_string() || !isSha256Digest(digest->get<std::string>())) {
    return fail(ErrorCode::kMalformed, std::string(what) + ": " + where + " has no sha256 digest");
  }
  if (size == j.end() || !size->is_number_unsigned()) {
    return fail(ErrorCode::kMalformed, std::string(what) + ": " + where + " has no size");
  }
  d.media_type = media_type->get<std::string>();
  d.digest = digest->get<std::string>();
  d.size = size->get<uint64_t>();
  return d;
}

bool acceptedLayer(std::string_view media_type) {
  return media_type == kWasmLayerMediaType || media_type == kProviderLayerMediaType ||
         media_type == kOciTarLayerMediaType;
}

}  // namespace

Expected<Manifest> parseManifest(std::string bytes, std::string digest, std::string_view what) {
  const auto j = json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return fail(ErrorCode::kMalformed, std::string(what) + ": the manifest is not a JSON object");
  }
  Manifest m;
  if (const auto mt = j.find("mediaType"); mt != j.end() && mt->is_string()) m.media_type = mt->get<std::string>();
  if (m.media_type.find("index") != std::string::npos || m.media_type.find("manifest.list") != std::string::npos ||
      j.contains("manifests")) {
    return fail(ErrorCode::kMalformed, std::string(what) + ": an image index (" + m.media_type +
                                           "), not a wasmCloud artifact: multi-platform images are not supported");
  }
  const auto version = j.find("schemaVersion");
  if (version == j.end() || !version->is_number_integer() || version->get<int>() != 2) {
    return fail(ErrorCode::kMalformed, std::string(what) + ": manifest schemaVersion is not 2");
  }
  if (m.media_type.empty()) m.media_type = std::string(kOciManifestMediaType);
  if (m.media_type != kOciManifestMediaType && m.media_type != kDockerManifestMediaType) {
    return fail(ErrorCode::kMalformed, std::string(what) + ": unsupported manifest media type " + m.media_type);
  }
  const auto config = j.find("config");
  if (config == j.end()) return fail(ErrorCode::kMalformed, std::string(what) + ": the manifest has no config");
  auto config_desc = parseDescriptor(*config, what, "config");
  if (!config_desc) return fail(config_desc.takeError());
  m.config = std::move(*config_desc);
  const auto layers = j.find("layers");
  if (layers == j.end() || !layers->is_array()) {
    return fail(ErrorCode::kMalformed, std::string(what) + ": the manifest has no layers");
  }
  for (size_t i = 0; i < layers->size(); ++i) {
    auto layer = parseDescriptor((*layers)[i], what, "layer " + std::to_string(i));
    if (!layer) return fail(layer.takeError());
    m.layers.push_back(std::move(*layer));
  }
  m.digest = std::move(digest);
  m.bytes = std::move(bytes);
  return m;
}

std::string buildManifest(const Descriptor& config, const Descriptor& layer) {
  auto descriptor = [](const Descriptor& d) {
    nlohmann::ordered_json j;
    j["mediaType"] = d.media_type;
    j["digest"] = d.digest;
    j["size"] = d.size;
    return j;
  };
  nlohmann::ordered_json m;
  m["schemaVersion"] = 2;
  m["mediaType"] = kOciManifestMediaType;
  m["config"] = descriptor(config);
  m["layers"] = nlohmann::ordered_json::array({descriptor(layer)});
  return m.dump();
}

Expected<Descriptor> selectArtifactLayer(const Manifest& manifest, std::string_view what) {
  std::vector<std::string> found;
  const Descriptor* chosen = nullptr;
  size_t accepted = 0;
  for (const auto& layer : manifest.layers) {
    found.push_back(layer.media_type);
    if (acceptedLayer(layer.media_type)) {
      chosen = &layer;
      ++accepted;
    }
  }
  if (accepted != 1) {
    return fail(ErrorCode::kMalformed,
                std::string(what) + ": " + (accepted == 0 ? "no layer" : "more than one layer") +
                    " of a wasmCloud media type (" + std::string(kWasmLayerMediaType) + ", " +
                    std::string(kProviderLayerMediaType) + " or " + std::string(kOciTarLayerMediaType) +
                    "); the manifest has " + (found.empty() ? std::string("no layers") : join(found, ", ")));
  }
  return *chosen;
}

Expected<ArtifactKind> checkLayerContent(const Descriptor& layer, std::span<const uint8_t> bytes,
                                         std::string_view what) {
  const std::string where = std::string(what) + ": layer " + layer.digest;
  auto kind = detectArtifactKind(bytes);
  if (!kind) return fail(kind.takeError().prefixed(where + " is "));
  if (layer.media_type != kOciTarLayerMediaType && layerMediaType(*kind) != layer.media_type) {
    return fail(ErrorCode::kMalformed, where + " has media type " + layer.media_type + " but holds " +
                                           (*kind == ArtifactKind::kActor ? "a wasm module" : "a provider archive"));
  }
  return kind;
}

std::string_view layerMediaType(ArtifactKind kind) {
  return kind == ArtifactKind::kActor ? kWasmLayerMediaType : kProviderLayerMediaType;
}

std::string_view configMediaType(ArtifactKind kind) {
  return kind == ArtifactKind::kActor ? kActorConfigMediaType : kProviderConfigMediaType;
}

std::string_view artifactKindName(ArtifactKind kind) {
  return kind == ArtifactKind::kActor ? "actor" : "provider archive";
}

Expected<ArtifactKind> detectArtifactKind(std::span<const uint8_t> bytes) {
  static constexpr uint8_t kWasm[] = {0x00, 0x61, 0x73, 0x6d};
  if (bytes.size() >= 4 && std::equal(std::begin(kWasm), std::end(kWasm), bytes.begin())) {
    return ArtifactKind::kActor;
  }
  if (bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) return ArtifactKind::kProvider;  // .par.gz
  static constexpr char kUstar[] = "ustar";
  if (bytes.size() >= 262 && std::equal(kUstar, kUstar + 5, bytes.begin() + 257)) return ArtifactKind::kProvider;
  return fail(ErrorCode::kMalformed, "neither a wasm module nor a provider archive (.par or .par.gz)");
}

}  // namespace stratus::oci
