// The backend of the seeds' Rust provider ABI: a `CapabilityProvider` trait object returned by a Rust cdylib's
// `__capability_provider_create`, driven through its vtable (docs/providers.md, "The Rust ABI").
#pragma once

#include <memory>
#include <string>

#include "capability/provider_backend.h"
#include "capability/rust_toolchain.h"

namespace stratus::capability {

/// Calls `create` (the library's __capability_provider_create), chooses the layouts of `version` and confirms
/// them on the object it returned (its vtable, then a HealthRequest). Runs provider code: call it inside the fault
/// guard. Errors (kInvalidArgument, naming `origin`): a null object, a layout not recognised or contradicted by the
/// probes. A provider refused after creation is dropped without being stopped.
Expected<std::unique_ptr<ProviderBackend>> makeRustProvider(void* create, const RustVersion& version,
                                                            const std::string& origin);

}  // namespace stratus::capability
