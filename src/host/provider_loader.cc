#include "host/provider_loader.h"

#include "host/provider_cache.h"
#include "stratus/common/files.h"
#include "stratus/common/strings.h"
#include "stratus/par/archive.h"

namespace stratus::host {

Expected<LoadedProvider> loadProviderArchive(const std::string& path, const std::string& cache_dir, int64_t now) {
  auto named = [&](Error e) {
    e.message = path + ": " + e.message;
    return fail(std::move(e));
  };
  auto bytes = readFileBytes(path);
  if (!bytes) return fail(ErrorCode::kIo, "provider archive: " + bytes.error().message);
  auto archive = par::readArchive(*bytes);
  if (!archive) return named(archive.takeError());
  if (auto verified = par::verifyArchive(*archive, now); !verified) return named(verified.takeError());
  const std::string target = par::currentTarget();
  auto lib = archive->libraries.find(target);
  if (lib == archive->libraries.end()) {
    std::vector<std::string> targets;
    for (const auto& [t, b] : archive->libraries) targets.push_back(t);
    return named({ErrorCode::kNotFound,
                  "no library for this host's target " + target + " (the archive has: " + join(targets, ", ") + ")"});
  }
  auto cached = cacheProviderLibrary(cache_dir, archive->claims.subject, archive->claims.metadata.rev.value_or(0),
                                     target, lib->second);
  if (!cached) return named(cached.takeError());
  auto native = capability::NativeProvider::load(
      *cached, {archive->claims.metadata.capid, archive->claims.metadata.name});
  if (!native) return named(native.takeError());
  return LoadedProvider{std::move(*native), std::move(archive->claims)};
}

}  // namespace stratus::host
