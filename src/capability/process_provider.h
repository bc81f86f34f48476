// The backend of a provider in a child process (`stratus provider-host`), supervised: see
// NativeProvider::loadInChildProcess and docs/providers.md, "Isolation".
#pragma once

#include <memory>
#include <string>

#include "capability/provider_backend.h"

namespace stratus::capability {

struct ProcessProvider {
  std::shared_ptr<ProviderBackend> backend;
  ProviderIdentity identity;  ///< as the child reported it
  ProviderAbi abi = ProviderAbi::kC;
};

/// Starts the child and waits until its provider is loaded. Errors: the child's load error, or how it ended.
Expected<ProcessProvider> startProcessProvider(const std::string& library_path, const ProviderIdentity& identity,
                                               ProcessIsolation options);

}  // namespace stratus::capability
