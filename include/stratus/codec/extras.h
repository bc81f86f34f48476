// wasmcloud:extras messages (the provider built into every wasmCloud 0.18 host).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "stratus/common/expected.h"

namespace stratus::codec {

inline constexpr std::string_view kExtrasContract = "wasmcloud:extras";
/// The fixed public key under which wasmCloud 0.18 hosts run their built-in extras provider.
inline constexpr std::string_view kExtrasProviderKey = "VDHPKGFKDI34Y4RN4PWWZHRYZ6373HYRSNNEM4UTDLLOGO5B37TSVREP";
inline constexpr std::string_view kOpRequestGuid = "RequestGuid";
inline constexpr std::string_view kOpRequestRandom = "RequestRandom";
inline constexpr std::string_view kOpRequestSequence = "RequestSequence";

/// GeneratorRequest {guid, sequence, random, min, max}.
struct GeneratorRequest {
  bool guid = false;
  bool sequence = false;
  bool random = false;
  uint32_t min = 0;
  uint32_t max = 0;
};

/// GeneratorResult {guid, sequenceNumber, random_number} (the mixed key casing is wasmCloud's).
struct GeneratorResult {
  std::optional<std::string> guid;  ///< nil unless a guid was requested
  uint64_t sequence_number = 0;
  uint32_t random_number = 0;
};

Bytes encode(const GeneratorRequest& v);
Bytes encode(const GeneratorResult& v);
Expected<GeneratorRequest> decodeGeneratorRequest(std::span<const uint8_t> bytes);
Expected<GeneratorResult> decodeGeneratorResult(std::span<const uint8_t> bytes);

}  // namespace stratus::codec
