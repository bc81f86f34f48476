// Host manifests (wasmCloud 0.18 HostManifest): labels, actors, capability providers and links, in YAML or JSON,
// with ${VAR} / ${VAR:default} environment substitution.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stratus/common/expected.h"
#include "stratus/host/host.h"

namespace stratus::host {

/// An `actors` entry: a file path as in wasmCloud (`- ./echo_s.wasm`), or, as a stratus extension, a map
/// `{image_ref: ./echo_s.wasm, engine: aot}` choosing the engine of that actor.
struct ManifestActor {
  std::string image_ref;  ///< path of a signed .wasm file, or an OCI reference
  std::optional<EngineMode> engine;  ///< unset: the host's engine
};

/// A `capabilities` entry: a provider archive and the link name it serves.
struct ManifestCapability {
  std::string image_ref;  ///< path of a .par / .par.gz file, or an OCI reference
  std::string link_name = "default";
  /// `isolation: process | inproc`; unset: the host's policy (stratus up --provider-isolation).
  std::optional<capability::ProviderIsolation> isolation;
};

/// A parsed manifest. Paths are as written; applyManifest resolves relative ones against `base_dir`.
struct Manifest {
  std::string source;    ///< the file it came from, for messages
  std::string base_dir;  ///< the directory of `source` ("" for text without a file)
  std::map<std::string, std::string> labels;
  std::vector<ManifestActor> actors;
  std::vector<ManifestCapability> capabilities;
  std::vector<LinkDefinition> links;
};

/// Looks up an environment variable (nullopt when unset).
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
/// The process environment.
EnvLookup processEnv();

/// Replaces `${VAR}` with VAR's value and `${VAR:default}` with VAR's value or `default`; an unknown `${VAR}` with
/// no default is left as it is, and `$VAR` is never touched (as wasmCloud's envmnt did).
std::string substituteEnv(std::string_view text, const EnvLookup& env);

/// Parses manifest text (YAML, or JSON, which YAML reads too) after environment substitution. Errors (kMalformed)
/// name `source`, the entry (e.g. "links[1].provider_id") and what is wrong, with the line for syntax errors.
Expected<Manifest> parseManifest(std::string_view text, std::string source, const EnvLookup& env = processEnv());

/// Reads and parses a manifest file. Errors: kIo when it cannot be read, else as parseManifest.
Expected<Manifest> loadManifest(const std::string& path, const EnvLookup& env = processEnv());

/// Applies a manifest in wasmCloud's order: actors, then providers, then links (labels are for the HostBuilder).
/// Stops at the first failure with an error naming the entry; what was started before stays running.
Expected<void> applyManifest(Host& host, const Manifest& manifest);

}  // namespace stratus::host
