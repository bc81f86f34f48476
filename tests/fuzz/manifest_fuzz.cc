// Fuzz target: host manifests (YAML/JSON text with ${VAR} substitution).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "stratus/host/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "SET") return std::string("value");
    return std::nullopt;
  };
  (void)stratus::host::parseManifest(text, "fuzz.yaml", env);
  return 0;
}
