// Private helpers shared by the claims sources: base32 (RFC 4648, no padding) and libsodium start-up.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "stratus/common/expected.h"

namespace stratus::claims::internal {

/// Initialises libsodium once per process (thread-safe); false if it cannot be initialised.
bool sodiumReady();

/// Base32 (RFC 4648 alphabet A-Z 2-7) without padding.
std::string base32Encode(std::span<const uint8_t> data);

/// Decodes unpadded base32; `what` names the input in errors ("seed", "public key").
/// Errors: kMalformed naming the first character outside the alphabet and its position, or non-zero unused bits
/// in the last character (a non-canonical encoding).
Expected<Bytes> base32Decode(std::string_view text, std::string_view what);

}  // namespace stratus::claims::internal
