// Loading a provider from an archive: read, verify, unpack this host's library into the cache, load it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "stratus/capability/native_provider.h"
#include "stratus/claims/claims.h"
#include "stratus/common/expected.h"

namespace stratus::host {

struct LoadedProvider {
  std::unique_ptr<capability::NativeProvider> native;
  claims::ProviderClaims claims;
};

/// Reads the archive at `path` (.par or .par.gz), verifies its claims at time `now` (signature, expiry, issuer
/// and subject key types) and the hash of this host's target library, caches that library under `cache_dir` and
/// loads it. Errors name `path`: kIo, kMalformed / kInvalidClaims from the archive, kNotFound when it has no
/// library for this host's target (listing those it has), kInvalidArgument when the library does not load.
Expected<LoadedProvider> loadProviderArchive(const std::string& path, const std::string& cache_dir, int64_t now);

}  // namespace stratus::host
