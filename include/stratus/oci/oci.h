// Actors and provider archives in OCI registries, as wasmCloud 0.18 and wash store them: references, a
// distribution-spec client (pull, push, inspect) and a content-addressed local cache.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stratus/common/expected.h"

namespace stratus::oci {

/// Layer and config media types of wasmCloud artifacts (wash 0.18 pushes these; 0.18 hosts pull all three layers).
inline constexpr std::string_view kWasmLayerMediaType = "application/vnd.module.wasm.content.layer.v1+wasm";
inline constexpr std::string_view kActorConfigMediaType = "application/vnd.wasmcloud.actor.archive.config";
inline constexpr std::string_view kProviderLayerMediaType = "application/vnd.wasmcloud.provider.archive.layer.v1+par";
inline constexpr std::string_view kProviderConfigMediaType = "application/vnd.wasmcloud.provider.archive.config";
inline constexpr std::string_view kOciTarLayerMediaType = "application/vnd.oci.image.layer.v1.tar";
/// Manifest media types: what we push, and the Docker schema 2 manifest some registries answer with.
inline constexpr std::string_view kOciManifestMediaType = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kDockerManifestMediaType = "application/vnd.docker.distribution.manifest.v2+json";

/// An image reference: `[registry/]repository[:tag][@sha256:…]`, as Docker and wasmCloud spell them. A first path
/// component with a '.' or ':' or equal to "localhost" is the registry; otherwise the registry is Docker Hub and a
/// one-component repository gets the "library/" prefix. No tag and no digest means the tag "latest".
struct Reference {
  std::string registry;    ///< "host[:port]"
  std::string repository;  ///< e.g. "wasmcloud/echo"
  std::string tag;         ///< "" when only a digest was given
  std::string digest;      ///< "sha256:<64 hex>" or ""

  /// Parses a reference. kInvalidArgument naming the part that is wrong (empty, upper case in the repository, bad
  /// tag or digest).
  static Expected<Reference> parse(std::string_view text);
  /// The canonical text: registry/repository[:tag][@digest].
  std::string str() const;
  /// What the registry API takes after /manifests/: the digest when there is one, else the tag.
  const std::string& identifier() const { return digest.empty() ? tag : digest; }
};

/// Whether `text` names a file on disk (it exists) rather than a reference; wasmCloud's rule for manifests and
/// control commands.
bool isFilePath(const std::string& text);

/// A username and password for HTTP Basic auth, or to get a Bearer token from the registry's token server.
struct Credentials {
  std::string username;
  std::string password;
};

/// Where credentials come from, first match wins: `credentials` when set; the environment OCI_REGISTRY_USER /
/// OCI_REGISTRY_PASSWORD (as wasmCloud 0.18); the entry of the registry in a Docker-style `config.json`
/// (`{"auths": {"host:port": {"auth": base64("user:pass")}}}`, also what skopeo and podman read):
/// `credentials_file`, else $DOCKER_CONFIG/config.json, else ~/.docker/config.json. None: anonymous.
struct AuthOptions {
  std::optional<Credentials> credentials;
  std::string credentials_file;
};

/// Byte counts of a transfer in progress, reported a few times a second.
struct Progress {
  std::string what;  ///< "pull <ref>" / "push <ref>"
  uint64_t done = 0;
  uint64_t total = 0;  ///< 0 when unknown
};

struct ClientOptions {
  /// Allow references whose tag is "latest" (or that have no tag and no digest). Off by default, as wasmCloud 0.18.
  bool allow_latest = false;
  /// Registries ("host" or "host:port") reached over plain HTTP; every other one over HTTPS.
  std::vector<std::string> allowed_insecure;
  AuthOptions auth;
  /// Deadline of each HTTP request (connecting, sending, receiving).
  std::chrono::milliseconds timeout{60000};
  /// Blob uploads larger than this are sent in chunks of this size (PATCH, then PUT); smaller ones in one PUT.
  size_t chunk_size = 8 << 20;
  /// Called on transfers (may be empty). Runs on the calling thread.
  std::function<void(const Progress&)> progress;
};

/// A content descriptor of a manifest: media type, digest ("sha256:…") and size in bytes.
struct Descriptor {
  std::string media_type;
  std::string digest;
  uint64_t size = 0;
};

/// An image manifest (OCI or Docker schema 2), with the exact bytes the registry served and their digest.
struct Manifest {
  std::string media_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::string digest;  ///< "sha256:" + hex of the bytes below
  std::string bytes;
};

/// What an artifact is, from its layer's media type.
enum class ArtifactKind { kActor, kProvider };

/// Name of a kind ("actor" / "provider archive").
std::string_view artifactKindName(ArtifactKind kind);

/// The kind of artifact `bytes` is (a wasm module or a provider archive, plain or gzipped); kMalformed otherwise.
Expected<ArtifactKind> detectArtifactKind(std::span<const uint8_t> bytes);

/// A pulled artifact: its one wasmCloud layer, verified against the manifest's digest.
struct Artifact {
  ArtifactKind kind{};
  Reference reference;
  std::string manifest_digest;
  std::string layer_digest;
  std::string layer_media_type;
  Bytes bytes;
};

/// What a push stored.
struct PushResult {
  std::string manifest_digest;
  std::string layer_digest;
  uint64_t layer_size = 0;
};

/// A client of the OCI distribution API (v2) of any number of registries. Every manifest and blob it receives is
/// checked against its digest; a mismatch is kMalformed naming the digest and what came instead. Errors name the
/// reference and the registry's own error text; kUnavailable when the registry cannot be reached or answers 5xx,
/// kPermissionDenied for 401/403 and for TLS failures, kNotFound for 404. Thread-safe (tokens are cached per registry and scope).
class RegistryClient {
 public:
  explicit RegistryClient(ClientOptions options = {});
  ~RegistryClient();
  RegistryClient(const RegistryClient&) = delete;
  RegistryClient& operator=(const RegistryClient&) = delete;

  const ClientOptions& options() const;

  /// Checks a reference against the policy on tags (`:latest` only when allowed). kPermissionDenied with the
  /// reason. (Registries not listed as insecure are simply spoken to over HTTPS.)
  Expected<void> checkPolicy(const Reference& ref) const;

  /// GET the manifest (OCI or Docker schema 2 accepted) and verify it (a digest reference must match).
  Expected<Manifest> getManifest(const Reference& ref);
  /// HEAD the manifest: its digest, as the registry's Docker-Content-Digest says (cheap: used to resolve a tag).
  Expected<std::string> resolveDigest(const Reference& ref);
  /// GET a blob of `ref`'s repository and verify its digest and size.
  Expected<Bytes> getBlob(const Reference& ref, const Descriptor& blob);
  /// Whether the repository has the blob (HEAD).
  Expected<bool> hasBlob(const Reference& ref, const std::string& digest);
  /// Uploads a blob (skipped when the registry has it): one PUT up to chunk_size, else PATCH chunks then PUT.
  /// Returns its digest.
  Expected<std::string> pushBlob(const Reference& ref, std::span<const uint8_t> bytes);
  /// PUTs a manifest under `ref`'s tag (or digest); returns its digest.
  Expected<std::string> putManifest(const Reference& ref, std::string_view media_type, const std::string& bytes);

  /// Pulls a wasmCloud artifact: the manifest must hold exactly one layer of an accepted media type (the three of
  /// wasmCloud 0.18); kMalformed naming the media types found otherwise. The layer's bytes are also checked to be
  /// what the media type says (a wasm module, a provider archive).
  Expected<Artifact> pullArtifact(const Reference& ref);
  /// Pushes an actor module or a provider archive as wash does: the layer with its media type, a config blob
  /// (`config`, default "{}") with the matching config media type, and an OCI image manifest under the tag.
  Expected<PushResult> pushArtifact(const Reference& ref, std::span<const uint8_t> bytes,
                                    const std::string& config = "{}");

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct CacheOptions {
  /// Default: $XDG_CACHE_HOME/stratus/oci, else ~/.cache/stratus/oci, else $TMPDIR/stratus-cache/oci (beside the
  /// provider cache).
  std::string dir;
  /// When the blobs exceed this, the least recently used ones are removed.
  uint64_t max_bytes = uint64_t{2} << 30;
};

/// The default cache directory (see CacheOptions::dir).
std::string defaultCacheDir();

/// Where a fetched artifact came from.
enum class FetchSource {
  kRegistry,       ///< pulled now
  kCache,          ///< the registry said the tag still names the cached digest, or the reference is a digest
  kOfflineCache,   ///< the registry was unreachable (no connection, a stall, or 5xx; never a TLS or auth failure):
                   ///< the last digest the tag named was used (logged as a warning)
};

/// A fetched artifact: its kind, the digests, and the verified layer as a file in the cache (dlopen and provider
/// archives want a file; actors read it).
struct FetchedArtifact {
  ArtifactKind kind{};
  Reference reference;
  std::string manifest_digest;
  std::string layer_digest;
  std::string path;  ///< the layer in the cache, content-addressed (never rewritten once there)
  FetchSource source = FetchSource::kRegistry;
};

/// Resolves references through a registry client and a content-addressed cache shared by every process on the
/// machine: blobs/sha256/<hex> (manifests and layers, verified before they are stored, written to a temporary
/// file and renamed) and refs/<registry>/<repository>/<tag> (the digest a tag named last). Each fetch of a tag asks
/// the registry which digest it names now, and pulls only what the cache lacks; when the registry is unreachable
/// the last known digest is used. Cached blobs are checked again when read. Thread-safe.
class ArtifactCache {
 public:
  ArtifactCache(std::shared_ptr<RegistryClient> client, CacheOptions options = {});
  ~ArtifactCache();

  RegistryClient& client();
  const std::string& dir() const;

  /// Fetches the artifact `reference` names (see the class comment). Errors: the client's (policy, registry,
  /// integrity), kUnavailable when the registry is down and the cache has nothing for the reference.
  Expected<FetchedArtifact> fetch(const std::string& reference);
  /// Removes least recently used blobs until the cache fits max_bytes; returns the bytes removed.
  uint64_t evict();
  /// Bytes held by blobs now.
  uint64_t size() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stratus::oci
