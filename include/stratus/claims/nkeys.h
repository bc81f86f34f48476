// nkeys: Ed25519 key pairs with typed, checksummed, human-readable encodings (the NATS / wasmCloud key format).
//
// A public key is the base32 (RFC 4648, no padding) text of [type prefix][32-byte Ed25519 public key][CRC-16 LE]
// and reads "A…" for an account, "M…" for a module (actor), "V…" for a service (provider) and so on. A seed is
// [0x90 | prefix >> 5][(prefix & 31) << 3][32-byte Ed25519 seed][CRC-16 LE] and reads "SA…", "SM…", …
// Unlike nkeys 0.1.0 (used by wasmCloud 0.18), stratus verifies the CRC-16/XMODEM checksum on every decode.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "stratus/common/expected.h"

namespace stratus::claims {

/// The kind of entity a key identifies; each kind has its own one-letter prefix.
enum class KeyType {
  kAccount,   ///< 'A': signs actors and providers (the issuer of wascap claims)
  kCluster,   ///< 'C': a lattice cluster
  kOperator,  ///< 'O': signs accounts
  kModule,    ///< 'M': a wasm actor (the subject of actor claims)
  kServer,    ///< 'N': a host / server
  kService,   ///< 'V': a capability provider (the subject of provider claims)
  kUser,      ///< 'U': a user
};

/// Lowercase name of a key type: "account", "cluster", "operator", "module", "server", "service" or "user".
std::string_view keyTypeName(KeyType type);

/// The prefix letter a public key of this type starts with ('A', 'C', 'O', 'M', 'N', 'V', 'U').
char keyTypePrefix(KeyType type);

/// Parses a key type name as printed by keyTypeName (case-insensitive). The aliases "actor" (= module) and
/// "provider" (= service) are accepted too. Errors: kInvalidArgument naming the accepted names.
Expected<KeyType> parseKeyType(std::string_view name);

/// A 64-byte Ed25519 signature.
using Signature = std::array<uint8_t, 64>;

/// An Ed25519 key pair of a given KeyType, or a verify-only public key.
///
/// Value type: cheap to copy; the secret material is wiped from memory when an instance is destroyed.
/// Thread-safety: const methods may be called concurrently; generate() draws from libsodium's CSPRNG.
class KeyPair {
 public:
  /// Creates a new random key pair of the given type. Errors: kInternal if libsodium cannot be initialised.
  static Expected<KeyPair> generate(KeyType type);

  /// Decodes an encoded seed ("S" + type letter, 58 characters). Errors (kMalformed, each naming the problem):
  /// wrong length, a character outside the base32 alphabet, a checksum mismatch, a value that is not a seed, or an
  /// unknown key type prefix.
  static Expected<KeyPair> fromSeed(std::string_view seed);

  /// Decodes an encoded public key (56 characters) into a verify-only key: seed() and sign() fail on it.
  /// Errors (kMalformed): wrong length, bad base32 character, checksum mismatch, unknown prefix, or a seed passed
  /// where a public key was expected.
  static Expected<KeyPair> fromPublicKey(std::string_view public_key);

  KeyPair(const KeyPair&) = default;
  KeyPair& operator=(const KeyPair&) = default;
  KeyPair(KeyPair&&) noexcept = default;
  KeyPair& operator=(KeyPair&&) noexcept = default;
  /// Wipes the seed and secret key.
  ~KeyPair();

  /// The kind of entity this key identifies.
  KeyType type() const { return type_; }

  /// The encoded public key, e.g. "MB…" for a module (56 characters).
  std::string publicKey() const;

  /// The raw 32-byte Ed25519 public key.
  const std::array<uint8_t, 32>& rawPublicKey() const { return public_key_; }

  /// Whether this key holds its seed (and so can sign).
  bool hasSeed() const { return has_seed_; }

  /// The encoded seed, e.g. "SM…" (58 characters). Errors: kInvalidArgument for a verify-only public key.
  Expected<std::string> seed() const;

  /// Signs `data` with the secret key. Errors: kInvalidArgument for a verify-only public key.
  Expected<Signature> sign(std::span<const uint8_t> data) const;
  /// Signs the bytes of `data` (convenience for text such as a JWT signing input).
  Expected<Signature> sign(std::string_view data) const;

  /// True when `signature` is a valid Ed25519 signature of `data` by this key; false for any other input,
  /// including a signature that is not exactly 64 bytes.
  bool verify(std::span<const uint8_t> data, std::span<const uint8_t> signature) const;
  /// verify() over the bytes of `data`.
  bool verify(std::string_view data, std::span<const uint8_t> signature) const;

 private:
  KeyPair() = default;

  KeyType type_ = KeyType::kAccount;
  bool has_seed_ = false;
  std::array<uint8_t, 32> public_key_{};
  std::array<uint8_t, 32> seed_{};
  std::array<uint8_t, 64> secret_key_{};
};

/// CRC-16/XMODEM (poly 0x1021, init 0, no reflection) as used by nkeys checksums.
uint16_t crc16(std::span<const uint8_t> data);

}  // namespace stratus::claims
