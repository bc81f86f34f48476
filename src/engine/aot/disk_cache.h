// The on-disk cache of compiled module libraries, shared by every process of the user: compiling a module costs
// seconds, loading a cached library milliseconds.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "stratus/common/expected.h"

namespace stratus::engine::aot {

/// Everything a cached library must have been built with. `key` is the SHA-256 (hex) of the instrumented module
/// and all of the rest; the rest is also written into the entry and compared, so an entry written under other
/// rules (another stratus version or ABI) is recognised as stale even if its name matched.
struct CacheIdentity {
  std::string key;
  std::string stratus_version;
  uint32_t abi_version = 0;
  std::string compiler;  ///< the compiler command and the first line of its --version
};

/// What a lookup found.
struct CacheLookup {
  std::optional<Bytes> library;  ///< the library bytes of a valid entry
  std::string problem;           ///< why an existing entry was not usable (corrupt or stale); "" otherwise
};

/// The cache's contents after prune().
struct CacheUsage {
  size_t entries = 0;
  uint64_t bytes = 0;
  size_t removed = 0;  ///< entries (and leftover temporary files) prune() deleted
};

/// One directory of entries `<dir>/<key[0..2]>/<key>.entry`: a text header (format, identity, module name, size
/// and SHA-256 of the library) then the library bytes, written atomically in one file so a reader never pairs a
/// header with another writer's library. An entry's modification time is when it was last stored or loaded.
class DiskCache {
 public:
  /// `max_bytes`: after each store the least recently used entries are removed until the rest fit (0: no limit).
  explicit DiskCache(std::string dir, uint64_t max_bytes = 0) : dir_(std::move(dir)), max_bytes_(max_bytes) {}

  const std::string& dir() const { return dir_; }
  std::filesystem::path entryPath(const std::string& key) const;

  /// The library of a valid entry for `id` (marked as used now). An entry that is truncated, garbled, fails its
  /// SHA-256 or was built under another identity is removed and reported in `problem`, so the caller rebuilds it.
  CacheLookup load(const CacheIdentity& id) const;

  /// Stores (or replaces) the entry for `id`, then prunes to the size limit; returns its path. kIo naming the path
  /// on failure.
  Expected<std::string> store(const CacheIdentity& id, std::string_view module_name,
                              std::span<const uint8_t> library) const;

  /// Removes an entry (e.g. one whose library verified but would not load).
  void remove(const std::string& key) const;

  /// Removes least recently used entries until the others take at most `max_bytes` (0: none), never the entry of
  /// `keep`; also removes temporary files that interrupted writers left behind (older than an hour). Entries of
  /// other stratus versions, never looked up again, go this way too. Safe while other processes use the cache.
  CacheUsage prune(uint64_t max_bytes, const std::string& keep = {}) const;

 private:
  std::string dir_;
  uint64_t max_bytes_;
};

/// Hex SHA-256 of `bytes` followed by each of `parts` (length-prefixed, so no two lists hash alike).
std::string sha256Hex(std::span<const uint8_t> bytes, std::span<const std::string> parts = {});

}  // namespace stratus::engine::aot
