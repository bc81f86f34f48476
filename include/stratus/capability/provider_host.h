// The child side of process isolation: what `stratus provider-host` runs (docs/providers.md, "Isolation").
#pragma once

#include <string>

#include "stratus/capability/native_provider.h"

namespace stratus::capability {

/// Exit status of a provider host whose provider crashed inside a call (the call's caller got the crash's error).
inline constexpr int kProviderHostCrashedExit = 70;

/// Loads the provider at `library_path` in this process and serves the host over the stream socket `fd` until the
/// host stops it or goes away. Returns the process's exit status: 0 after a stop, 2 when the provider did not load
/// (the host was told why), kProviderHostCrashedExit after a contained crash.
int runProviderHost(int fd, const std::string& library_path, const ProviderIdentity& identity);

}  // namespace stratus::capability
