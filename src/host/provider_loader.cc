#include "host/provider_loader.h"

#include <spdlog/spdlog.h>

#include "host/provider_cache.h"
#include "stratus/common/files.h"
#include "stratus/common/strings.h"
#include "stratus/par/archive.h"

namespace stratus::host {

Expected<UnpackedProvider> unpackProviderArchive(const std::string& path, const std::string& cache_dir, int64_t now) {
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
  return UnpackedProvider{std::move(*cached), std::move(archive->claims)};
}

Expected<capability::ProviderIsolation> parseProviderIsolation(std::string_view text) {
  if (text == "process") return capability::ProviderIsolation::kProcess;
  if (text == "inproc") return capability::ProviderIsolation::kInProcess;
  return fail(ErrorCode::kInvalidArgument, "unknown isolation '" + std::string(text) + "' (expected process or inproc)");
}

capability::ProviderIsolation chooseIsolation(const std::string& library_path,
                                              std::optional<capability::ProviderIsolation> requested,
                                              const ProviderIsolationPolicy& policy) {
  if (requested) return *requested;
  if (policy.mode) return *policy.mode;
  if (policy.process.executable.empty()) return capability::ProviderIsolation::kInProcess;
  auto abi = capability::NativeProvider::probeAbi(library_path);
  return abi && *abi == capability::ProviderAbi::kRust ? capability::ProviderIsolation::kProcess
                                                       : capability::ProviderIsolation::kInProcess;
}

Expected<std::unique_ptr<capability::NativeProvider>> loadProviderLibrary(const std::string& library_path,
                                                                         const claims::ProviderClaims& claims,
                                                                         capability::ProviderIsolation isolation,
                                                                         const ProviderIsolationPolicy& policy) {
  const capability::ProviderIdentity identity{claims.metadata.capid, claims.metadata.name};
  if (isolation == capability::ProviderIsolation::kInProcess) {
    return capability::NativeProvider::load(library_path, identity);
  }
  if (policy.process.executable.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                library_path + ": process isolation was asked for, but the host has no stratus executable to run "
                               "providers in (HostBuilder::withProviderIsolation)");
  }
  capability::ProcessIsolation options = policy.process;
  if (!options.log) {
    options.log = [](stratus_log_level level, std::string_view text) {
      const auto l = level <= STRATUS_LOG_DEBUG ? spdlog::level::debug
                     : level == STRATUS_LOG_INFO ? spdlog::level::info
                     : level == STRATUS_LOG_WARN ? spdlog::level::warn
                                                 : spdlog::level::err;
      spdlog::log(l, "{}", text);
    };
  }
  return capability::NativeProvider::loadInChildProcess(library_path, identity, std::move(options));
}

}  // namespace stratus::host
