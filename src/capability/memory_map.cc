#include "capability/memory_map.h"

#include <cinttypes>
#include <cstdio>

namespace stratus::capability {
namespace {

struct Mapping {
  uintptr_t begin = 0;
  uintptr_t end = 0;
  MemoryAccess access = MemoryAccess::kUnmapped;
};

// The mapping holding `address` (access kUnmapped when none does).
Mapping mappingOf(uintptr_t address) {
  std::FILE* maps = std::fopen("/proc/self/maps", "re");
  if (!maps) return {};
  Mapping found;
  char line[512];
  while (std::fgets(line, sizeof line, maps)) {
    uintptr_t begin = 0;
    uintptr_t end = 0;
    char perms[5] = {};
    if (std::sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %4s", &begin, &end, perms) != 3) continue;
    if (address < begin || address >= end) continue;
    found.begin = begin;
    found.end = end;
    found.access = perms[0] != 'r'   ? MemoryAccess::kUnmapped
                   : perms[2] == 'x' ? MemoryAccess::kExecutable
                   : perms[1] == 'w' ? MemoryAccess::kWritable
                                     : MemoryAccess::kReadOnly;
    break;
  }
  std::fclose(maps);
  return found;
}

}  // namespace

MemoryAccess memoryAccess(const void* address) { return mappingOf(reinterpret_cast<uintptr_t>(address)).access; }

bool readable(const void* address, unsigned long size) {
  auto at = reinterpret_cast<uintptr_t>(address);
  const uintptr_t last = at + size;
  if (size == 0 || last < at) return size == 0;
  while (at < last) {
    Mapping m = mappingOf(at);
    if (m.access == MemoryAccess::kUnmapped) return false;
    at = m.end;  // adjacent mappings may continue the range
  }
  return true;
}

}  // namespace stratus::capability
