// Loading a provider: unpack an archive's library for this host into the cache, then load it in process or in a
// child process, as the host's isolation policy and the start's choice say.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "stratus/capability/native_provider.h"
#include "stratus/claims/claims.h"
#include "stratus/common/expected.h"
#include "stratus/host/host.h"

namespace stratus::host {

struct UnpackedProvider {
  std::string library;  ///< this host's library, in the cache
  claims::ProviderClaims claims;
};

/// Reads the archive at `path` (.par or .par.gz), verifies its claims at time `now` (signature, expiry, issuer
/// and subject key types) and the hash of this host's target library, and caches that library under `cache_dir`.
/// Errors name `path`: kIo, kMalformed / kInvalidClaims from the archive, kNotFound when it has no library for this
/// host's target (listing those it has).
Expected<UnpackedProvider> unpackProviderArchive(const std::string& path, const std::string& cache_dir, int64_t now);

/// The isolation a library gets: `requested` when given, else the policy's mode, else by kind (built by rustc:
/// a child process, when the policy names an executable to run it in; otherwise in process).
capability::ProviderIsolation chooseIsolation(const std::string& library_path,
                                              std::optional<capability::ProviderIsolation> requested,
                                              const ProviderIsolationPolicy& policy);

/// Loads `library_path` with the identity of `claims`, in process or in a child process (`isolation`; the
/// policy's process settings, logging to the host's log under the provider's name). Errors: those of
/// NativeProvider::load / loadInChildProcess; kInvalidArgument when a child process is asked for without an
/// executable to run it in.
Expected<std::unique_ptr<capability::NativeProvider>> loadProviderLibrary(const std::string& library_path,
                                                                         const claims::ProviderClaims& claims,
                                                                         capability::ProviderIsolation isolation,
                                                                         const ProviderIsolationPolicy& policy);

}  // namespace stratus::host
