// Small file-system helpers shared by the caches (provider libraries, compiled actor code).
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "stratus/common/expected.h"

namespace stratus {

/// The directory for `component` in the user's cache: $XDG_CACHE_HOME/stratus/<component>, else
/// $HOME/.cache/stratus/<component>, else $TMPDIR (or /tmp)/stratus-cache/<component>.
std::string defaultCacheDir(std::string_view component);

/// Reads a whole file. kNotFound when it does not exist, kIo naming the path and the OS reason otherwise.
Expected<Bytes> readFileBytes(const std::filesystem::path& path);

/// Writes all of `bytes` to `fd` (retrying short writes and EINTR); on failure the errno value, else 0.
int writeAll(int fd, std::span<const uint8_t> bytes);

/// Replaces `path` with `bytes` atomically: written to a temporary file in the same directory (created when
/// missing), given `permissions`, then renamed into place, so a concurrent reader sees the old or the new file,
/// never a half-written one. kIo naming the path and the OS reason.
Expected<void> writeFileAtomically(const std::filesystem::path& path, std::span<const uint8_t> bytes,
                                   std::filesystem::perms permissions = std::filesystem::perms::owner_read |
                                                                        std::filesystem::perms::owner_write);

}  // namespace stratus
