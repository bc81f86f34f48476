// Image manifests as JSON (OCI image manifest v1, Docker schema 2), and picking a wasmCloud layer out of one.
#pragma once

#include <string>
#include <string_view>

#include "stratus/common/expected.h"
#include "stratus/oci/oci.h"

namespace stratus::oci {

/// Parses a manifest the registry served (`bytes`, whose digest the caller has checked). kMalformed naming what is
/// wrong: not JSON, not schema version 2, an image index or manifest list (multi-platform images are not wasmCloud
/// artifacts), a descriptor without media type, digest or size.
Expected<Manifest> parseManifest(std::string bytes, std::string digest, std::string_view what);

/// An OCI image manifest with one config and one layer, its fields in the order oci-distribution writes them.
std::string buildManifest(const Descriptor& config, const Descriptor& layer);

/// The one layer of a wasmCloud media type (wasm module, provider archive, or OCI tar as 0.18 accepts); kMalformed
/// naming the media types found when there is none or more than one.
Expected<Descriptor> selectArtifactLayer(const Manifest& manifest, std::string_view what);

/// What a layer's bytes hold, checked against its media type (a wasm layer must be a module, a provider archive
/// layer an archive; the OCI tar type may be either). kMalformed naming the layer otherwise.
Expected<ArtifactKind> checkLayerContent(const Descriptor& layer, std::span<const uint8_t> bytes,
                                         std::string_view what);

/// The layer and config media types an artifact of `kind` is pushed with.
std::string_view layerMediaType(ArtifactKind kind);
std::string_view configMediaType(ArtifactKind kind);

}  // namespace stratus::oci
