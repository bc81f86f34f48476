#include "oci/digest.h"

#include <array>

namespace stratus::oci {

std::string Sha256Stream::finish() {
  std::array<uint8_t, crypto_hash_sha256_BYTES> hash{};
  crypto_hash_sha256_final(&state_, hash.data());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (uint8_t b : hash) {
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
  }
  return out;
}

std::string sha256Digest(std::span<const uint8_t> bytes) {
  Sha256Stream stream;
  stream.update(bytes);
  return stream.finish();
}

bool isSha256Digest(std::string_view digest) {
  constexpr std::string_view kPrefix = "sha256:";
  if (digest.size() != kPrefix.size() + 64 || !digest.starts_with(kPrefix)) return false;
  for (char c : digest.substr(kPrefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Expected<void> verifyDigest(std::span<const uint8_t> bytes, std::string_view expected, std::string_view what) {
  if (!isSha256Digest(expected)) {
    return fail(ErrorCode::kMalformed,
                std::string(what) + ": unsupported digest '" + std::string(expected) + "' (only sha256 is accepted)");
  }
  const std::string actual = sha256Digest(bytes);
  if (actual != expected) {
    return fail(ErrorCode::kMalformed, std::string(what) + ": digest mismatch: expected " + std::string(expected) +
                                           ", got " + actual + " (corrupted or substituted content)");
  }
  return {};
}

}  // namespace stratus::oci
