// The on-disk cache of provider libraries unpacked from archives (dlopen needs a file).
#pragma once

#include <span>
#include <string>

#include "stratus/common/expected.h"

namespace stratus::host {

/// The default cache directory: $XDG_CACHE_HOME/stratus/providers, else $HOME/.cache/stratus/providers, else
/// $TMPDIR (or /tmp)/stratus-cache/providers.
std::string defaultProviderCacheDir();

/// Makes sure `<dir>/<public_key>/<revision>/<target>.so` holds exactly `library` and returns its path. An existing
/// file with other contents (stale or tampered) is replaced; writes go through a temporary file renamed into
/// place, so concurrent hosts never load a half-written library. Errors: kIo naming the path and the OS reason.
Expected<std::string> cacheProviderLibrary(const std::string& dir, const std::string& public_key, int32_t revision,
                                           const std::string& target, std::span<const uint8_t> library);

}  // namespace stratus::host
