// The backend of stratus's C provider ABI (stratus/provider.h): a checked function table.
#pragma once

#include <memory>
#include <string>

#include "capability/provider_backend.h"

namespace stratus::capability {

struct CProvider {
  std::unique_ptr<ProviderBackend> backend;
  ProviderIdentity identity;  ///< from the table
};

/// Checks `table` (ABI version, every member present, a capability id) and wraps it. `origin` names it in errors
/// (kInvalidArgument). A table that fails the checks is never called, not even its stop.
Expected<CProvider> makeCProvider(const stratus_provider* table, const std::string& origin);

}  // namespace stratus::capability
