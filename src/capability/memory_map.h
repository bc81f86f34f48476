// What this process may do with an address, from /proc/self/maps: tells code from data when probing the vtables of
// foreign (Rust) objects, whose layout is not declared anywhere.
#pragma once

namespace stratus::capability {

enum class MemoryAccess {
  kUnmapped,    ///< no mapping, or one that cannot be read
  kReadOnly,    ///< readable, neither writable nor executable (e.g. relocated vtables after RELRO)
  kWritable,    ///< readable and writable (heap, stack, .data)
  kExecutable,  ///< readable and executable (code)
};

/// The access of the mapping holding `address`. Reads /proc/self/maps on every call: for probes at load time and
/// on error paths, not for hot paths. Thread-safe.
MemoryAccess memoryAccess(const void* address);

/// True when the `size` bytes from `address` lie in readable mappings (a read there cannot fault).
bool readable(const void* address, unsigned long size);

}  // namespace stratus::capability
