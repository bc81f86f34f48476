#include "lattice/lattice_keys.h"

#include <sodium.h>

#include <array>
#include <cstdint>

namespace stratus::lattice {

std::string bucketName(std::string_view ns) { return "LATTICEDATA_" + std::string(ns); }

std::string linkKey(std::string_view actor, std::string_view contract, std::string_view link_name) {
  std::string identity(actor);
  identity += '\0';
  identity += contract;
  identity += '\0';
  identity += link_name;
  std::array<uint8_t, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const uint8_t*>(identity.data()), identity.size());
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string key(kLinkKeyPrefix);
  for (uint8_t b : digest) {
    key += kHex[b >> 4];
    key += kHex[b & 0x0f];
  }
  return key;
}

std::string claimsKey(std::string_view public_key) { return std::string(kClaimsKeyPrefix) + std::string(public_key); }

}  // namespace stratus::lattice
