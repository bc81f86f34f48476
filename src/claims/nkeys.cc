#include "stratus/claims/nkeys.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <string>

#include "claims/internal.h"

namespace stratus::claims {
namespace internal {

namespace {
constexpr std::string_view kBase32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
}  // namespace

bool sodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

std::string base32Encode(std::span<const uint8_t> data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  uint32_t buffer = 0;
  int bits = 0;
  for (uint8_t byte : data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kBase32Alphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kBase32Alphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

Expected<Bytes> base32Decode(std::string_view text, std::string_view what) {
  Bytes out;
  out.reserve(text.size() * 5 / 8);
  uint32_t buffer = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    uint32_t value;
    if (c >= 'A' && c <= 'Z') {
      value = static_cast<uint32_t>(c - 'A');
    } else if (c >= '2' && c <= '7') {
      value = static_cast<uint32_t>(c - '2' + 26);
    } else {
      std::string shown = std::isprint(static_cast<unsigned char>(c))
                              ? std::string("'") + c + "'"
                              : "byte 0x" + std::to_string(static_cast<unsigned char>(c));
      return fail(ErrorCode::kMalformed, std::string(what) + " has invalid base32 character " + shown +
                                             " at position " + std::to_string(i));
    }
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(buffer >> bits));
      buffer &= (1u << bits) - 1;
    }
  }
  if (bits > 0 && buffer != 0) {
    return fail(ErrorCode::kMalformed, std::string(what) + " is not canonical base32: the unused low bits of its " +
                                           "last character '" + text.back() + "' are not zero");
  }
  return out;
}

}  // namespace internal

namespace {

constexpr size_t kPublicKeyChars = 56;  // base32 of 1 + 32 + 2 bytes
constexpr size_t kSeedChars = 58;       // base32 of 2 + 32 + 2 bytes
constexpr uint8_t kSeedPrefix = 18 << 3;

constexpr KeyType kAllTypes[] = {KeyType::kAccount, KeyType::kCluster, KeyType::kOperator, KeyType::kModule,
                                 KeyType::kServer,  KeyType::kService, KeyType::kUser};

uint8_t prefixByte(KeyType type) {
  switch (type) {
    case KeyType::kAccount: return 0;
    case KeyType::kCluster: return 2 << 3;
    case KeyType::kOperator: return 14 << 3;
    case KeyType::kModule: return 12 << 3;
    case KeyType::kServer: return 13 << 3;
    case KeyType::kService: return 21 << 3;
    case KeyType::kUser: return 20 << 3;
  }
  return 0;
}

bool typeFromPrefixByte(uint8_t prefix, KeyType* type) {
  for (KeyType t : kAllTypes) {
    if (prefixByte(t) == prefix) {
      *type = t;
      return true;
    }
  }
  return false;
}

std::string hex16(uint16_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04X", v);
  return buf;
}

// Decodes base32 text of an exact length and checks its trailing little-endian CRC-16; returns the payload
// without the checksum.
Expected<Bytes> decodeChecked(std::string_view text, size_t expected_chars, size_t expected_bytes,
                              std::string_view what) {
  if (text.size() != expected_chars) {
    return fail(ErrorCode::kMalformed, std::string(what) + " must be " + std::to_string(expected_chars) +
                                           " characters, got " + std::to_string(text.size()));
  }
  auto raw = internal::base32Decode(text, what);
  if (!raw) return fail(raw.takeError());
  Bytes bytes = std::move(*raw);
  if (bytes.size() != expected_bytes) {
    sodium_memzero(bytes.data(), bytes.size());
    return fail(ErrorCode::kMalformed, std::string(what) + " decodes to " + std::to_string(bytes.size()) +
                                           " bytes, expected " + std::to_string(expected_bytes));
  }
  const size_t body = bytes.size() - 2;
  const uint16_t encoded = static_cast<uint16_t>(bytes[body] | (bytes[body + 1] << 8));
  const uint16_t computed = crc16(std::span<const uint8_t>(bytes.data(), body));
  if (encoded != computed) {
    sodium_memzero(bytes.data(), bytes.size());  // may still be (most of) a seed
    return fail(ErrorCode::kMalformed, std::string(what) + " checksum mismatch (encoded " + hex16(encoded) +
                                           ", computed " + hex16(computed) + "): the key is mistyped or corrupted");
  }
  bytes.resize(body);
  return bytes;
}

std::string encodeChecked(Bytes payload) {
  const uint16_t crc = crc16(payload);
  payload.push_back(static_cast<uint8_t>(crc & 0xFF));
  payload.push_back(static_cast<uint8_t>(crc >> 8));
  std::string out = internal::base32Encode(payload);
  sodium_memzero(payload.data(), payload.size());
  return out;
}

}  // namespace

std::string_view keyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kAccount: return "account";
    case KeyType::kCluster: return "cluster";
    case KeyType::kOperator: return "operator";
    case KeyType::kModule: return "module";
    case KeyType::kServer: return "server";
    case KeyType::kService: return "service";
    case KeyType::kUser: return "user";
  }
  return "unknown";
}

char keyTypePrefix(KeyType type) {
  switch (type) {
    case KeyType::kAccount: return 'A';
    case KeyType::kCluster: return 'C';
    case KeyType::kOperator: return 'O';
    case KeyType::kModule: return 'M';
    case KeyType::kServer: return 'N';
    case KeyType::kService: return 'V';
    case KeyType::kUser: return 'U';
  }
  return '?';
}

Expected<KeyType> parseKeyType(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (KeyType t : kAllTypes) {
    if (keyTypeName(t) == lower) return t;
  }
  if (lower == "actor") return KeyType::kModule;
  if (lower == "provider") return KeyType::kService;
  return fail(ErrorCode::kInvalidArgument,
              "unknown key type '" + std::string(name) +
                  "': expected one of account, cluster, operator, module (actor), server, service (provider), user");
}

uint16_t crc16(std::span<const uint8_t> data) {
  static const auto table = [] {
    std::array<uint16_t, 256> t{};
    for (unsigned i = 0; i < 256; ++i) {
      uint16_t crc = static_cast<uint16_t>(i << 8);
      for (int bit = 0; bit < 8; ++bit) {
        crc = static_cast<uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
      }
      t[i] = crc;
    }
    return t;
  }();
  uint16_t crc = 0;
  for (uint8_t b : data) crc = static_cast<uint16_t>((crc << 8) ^ table[((crc >> 8) ^ b) & 0xFF]);
  return crc;
}

KeyPair::~KeyPair() {
  sodium_memzero(seed_.data(), seed_.size());
  sodium_memzero(secret_key_.data(), secret_key_.size());
}

Expected<KeyPair> KeyPair::generate(KeyType type) {
  if (!internal::sodiumReady()) return fail(ErrorCode::kInternal, "libsodium failed to initialise");
  KeyPair kp;
  kp.type_ = type;
  kp.has_seed_ = true;
  randombytes_buf(kp.seed_.data(), kp.seed_.size());
  crypto_sign_seed_keypair(kp.public_key_.data(), kp.secret_key_.data(), kp.seed_.data());
  return kp;
}

Expected<KeyPair> KeyPair::fromSeed(std::string_view seed) {
  if (!internal::sodiumReady()) return fail(ErrorCode::kInternal, "libsodium failed to initialise");
  auto raw = decodeChecked(seed, kSeedChars, 36, "seed");
  if (!raw) return fail(raw.takeError());
  Bytes& bytes = *raw;
  if ((bytes[0] & 0xF8) != kSeedPrefix) {
    sodium_memzero(bytes.data(), bytes.size());
    return fail(ErrorCode::kMalformed,
                std::string("not a seed: a seed starts with 'S', this starts with '") + seed[0] + "'");
  }
  const uint8_t type_prefix = static_cast<uint8_t>(((bytes[0] & 7) << 5) | (bytes[1] >> 3));
  KeyPair kp;
  if ((bytes[1] & 7) != 0 || !typeFromPrefixByte(type_prefix, &kp.type_)) {
    sodium_memzero(bytes.data(), bytes.size());
    return fail(ErrorCode::kMalformed, "seed has unknown key type prefix '" + std::string(seed.substr(1, 1)) +
                                           "' (expected SA, SC, SO, SM, SN, SV or SU)");
  }
  kp.has_seed_ = true;
  std::memcpy(kp.seed_.data(), bytes.data() + 2, kp.seed_.size());
  sodium_memzero(bytes.data(), bytes.size());
  crypto_sign_seed_keypair(kp.public_key_.data(), kp.secret_key_.data(), kp.seed_.data());
  return kp;
}

Expected<KeyPair> KeyPair::fromPublicKey(std::string_view public_key) {
  if (!internal::sodiumReady()) return fail(ErrorCode::kInternal, "libsodium failed to initialise");
  if (public_key.size() == kSeedChars && !public_key.empty() && public_key[0] == 'S') {
    return fail(ErrorCode::kMalformed, "expected a public key but got a seed (keep seeds secret)");
  }
  auto raw = decodeChecked(public_key, kPublicKeyChars, 35, "public key");
  if (!raw) return fail(raw.takeError());
  KeyPair kp;
  if (!typeFromPrefixByte((*raw)[0], &kp.type_)) {
    return fail(ErrorCode::kMalformed, "public key has unknown key type prefix '" +
                                           std::string(public_key.substr(0, 1)) +
                                           "' (expected A, C, O, M, N, V or U)");
  }
  std::memcpy(kp.public_key_.data(), raw->data() + 1, kp.public_key_.size());
  return kp;
}

std::string KeyPair::publicKey() const {
  Bytes payload;
  payload.reserve(35);
  payload.push_back(prefixByte(type_));
  payload.insert(payload.end(), public_key_.begin(), public_key_.end());
  return encodeChecked(std::move(payload));
}

Expected<std::string> KeyPair::seed() const {
  if (!has_seed_) {
    return fail(ErrorCode::kInvalidArgument, "key " + publicKey() + " is a public key only and has no seed");
  }
  const uint8_t prefix = prefixByte(type_);
  Bytes payload;
  payload.reserve(36);
  payload.push_back(static_cast<uint8_t>(kSeedPrefix | (prefix >> 5)));
  payload.push_back(static_cast<uint8_t>((prefix & 31) << 3));
  payload.insert(payload.end(), seed_.begin(), seed_.end());
  return encodeChecked(std::move(payload));
}

Expected<Signature> KeyPair::sign(std::span<const uint8_t> data) const {
  if (!has_seed_) {
    return fail(ErrorCode::kInvalidArgument, "key " + publicKey() + " is a public key only and cannot sign");
  }
  Signature sig{};
  crypto_sign_detached(sig.data(), nullptr, data.data(), data.size(), secret_key_.data());
  return sig;
}

Expected<Signature> KeyPair::sign(std::string_view data) const {
  return sign(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
}

bool KeyPair::verify(std::span<const uint8_t> data, std::span<const uint8_t> signature) const {
  if (signature.size() != crypto_sign_BYTES) return false;
  return crypto_sign_verify_detached(signature.data(), data.data(), data.size(), public_key_.data()) == 0;
}

bool KeyPair::verify(std::string_view data, std::span<const uint8_t> signature) const {
  return verify(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()), signature);
}

}  // namespace stratus::claims
