// Content digests of the OCI distribution spec ("sha256:<64 lowercase hex>").
#pragma once

#include <sodium.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "stratus/common/expected.h"

namespace stratus::oci {

/// "sha256:" + the lowercase hex SHA-256 of `bytes`.
std::string sha256Digest(std::span<const uint8_t> bytes);
inline std::string sha256Digest(std::string_view text) {
  return sha256Digest({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

/// Whether `digest` is "sha256:" followed by 64 lowercase hex digits (the only algorithm wasmCloud registries use).
bool isSha256Digest(std::string_view digest);

/// Checks that `bytes` hash to `expected`: kMalformed "<what>: digest mismatch: expected …, got …" otherwise, and
/// kMalformed for a digest of another algorithm.
Expected<void> verifyDigest(std::span<const uint8_t> bytes, std::string_view expected, std::string_view what);

/// A SHA-256 computed piece by piece (blobs arrive in chunks).
class Sha256Stream {
 public:
  Sha256Stream() { crypto_hash_sha256_init(&state_); }
  void update(std::span<const uint8_t> bytes) { crypto_hash_sha256_update(&state_, bytes.data(), bytes.size()); }
  /// "sha256:<hex>"; the stream is spent afterwards.
  std::string finish();

 private:
  crypto_hash_sha256_state state_;
};

}  // namespace stratus::oci
