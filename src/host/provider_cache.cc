#include "host/provider_cache.h"

#include <algorithm>
#include <filesystem>

#include "stratus/common/files.h"

namespace stratus::host {

namespace fs = std::filesystem;

std::string defaultProviderCacheDir() { return defaultCacheDir("providers"); }

namespace {

bool sameContents(const fs::path& path, std::span<const uint8_t> bytes) {
  auto existing = readFileBytes(path);
  return existing && existing->size() == bytes.size() && std::equal(bytes.begin(), bytes.end(), existing->begin());
}

}  // namespace

Expected<std::string> cacheProviderLibrary(const std::string& dir, const std::string& public_key, int32_t revision,
                                           const std::string& target, std::span<const uint8_t> library) {
  const fs::path path = fs::path(dir) / public_key / std::to_string(revision) / (target + ".so");
  if (sameContents(path, library)) return path.string();
  auto written = writeFileAtomically(path, library, fs::perms::owner_read | fs::perms::owner_exec);
  if (!written) {
    Error e = written.takeError();
    e.message = "cannot cache provider library: " + e.message;
    return fail(std::move(e));
  }
  return path.string();
}

}  // namespace stratus::host
