// Fuzz target: provider archives (.par / .par.gz bytes), read then verified.
#include <cstddef>
#include <cstdint>
#include <span>

#include "stratus/par/archive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto archive = stratus::par::readArchive(std::span<const uint8_t>(data, size));
  if (archive) (void)stratus::par::verifyArchive(*archive, 1700000000);
  return 0;
}
