// Claims embedded in a wasm module: the `jwt` custom section, the module hash, embedding and verification.
//
// wascap 0.6.1 stores the actor's token as the ASCII payload of a custom section named "jwt" (the last section
// of the module). The module hash is SHA-256 (uppercase hex) of the module with every `jwt` section excised.
// Only the top-level section framing is parsed here; validating the module itself is the engine's business.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "stratus/claims/claims.h"
#include "stratus/claims/nkeys.h"
#include "stratus/common/expected.h"

namespace stratus::claims {

/// Name of the custom section that carries the claims token.
inline constexpr std::string_view kJwtSectionName = "jwt";

/// One top-level section of a wasm binary. Offsets are from the start of the module.
struct WasmSection {
  uint8_t id = 0;              ///< section id (0 = custom)
  size_t offset = 0;           ///< offset of the id byte
  size_t payload_offset = 0;   ///< offset of the payload (after the size LEB128)
  size_t payload_size = 0;     ///< payload bytes
  std::string name;            ///< custom sections only: the section name
  size_t content_offset = 0;   ///< custom sections: offset of the bytes after the name; others: payload_offset

  /// Offset one past the section's last byte.
  size_t end() const { return payload_offset + payload_size; }
};

/// Parses the header (magic "\0asm", version 1) and the framing of every top-level section. Each length is checked
/// against the bytes that remain. Errors (kMalformed, naming the offset): too short, bad magic, unsupported version,
/// truncated or over-long LEB128, a section or custom-section name that runs past its end, a name that is not
/// valid UTF-8.
Expected<std::vector<WasmSection>> parseSections(std::span<const uint8_t> wasm);

/// The ASCII token from the module's `jwt` custom section. Errors: kInvalidClaims "module has no embedded claims
/// (no 'jwt' custom section)", or more than one `jwt` section; kMalformed for a broken module or a payload that is
/// not printable ASCII.
Expected<std::string> extractToken(std::span<const uint8_t> wasm);

/// SHA-256 HEXUPPER of the module with every `jwt` custom section's raw bytes (id byte, size LEB128 and payload)
/// removed. Errors: kMalformed for a broken module.
Expected<std::string> moduleHash(std::span<const uint8_t> wasm);

/// Returns a new module: `wasm` without any existing `jwt` section, followed by a new `jwt` section holding
/// `claims` signed by `issuer`. `claims.metadata.hash` is set to moduleHash(wasm); `claims.issuer` becomes the
/// issuer's public key; an empty `claims.id` gets a fresh token id. Errors: kMalformed for a broken module,
/// kInvalidArgument if `issuer` has no seed.
Expected<Bytes> embedClaims(std::span<const uint8_t> wasm, ActorClaims claims, const KeyPair& issuer);

/// Extracts and decodes the module's actor claims WITHOUT verifying them (for inspection).
/// Errors: as extractToken and decodeClaims.
Expected<ActorClaims> decodeActor(std::span<const uint8_t> wasm);

/// Extracts and fully verifies the module's actor claims at `now` (seconds since the Unix epoch): token shape and
/// header, issuer key, signature, module hash ("module hash mismatch: claims say X, module is Y"), expiry and
/// not-before. Returns the verified claims. Errors: kInvalidClaims (kMalformed for an unparseable module/token).
Expected<ActorClaims> verifyActor(std::span<const uint8_t> wasm, int64_t now);

}  // namespace stratus::claims
