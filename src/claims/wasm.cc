#include "stratus/claims/wasm.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "claims/internal.h"

namespace stratus::claims {
namespace {

constexpr std::array<uint8_t, 4> kMagic = {0x00, 0x61, 0x73, 0x6D};
constexpr size_t kHeaderSize = 8;

std::string hexByte(uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", b);
  return buf;
}

// Reads an unsigned LEB128 of at most 32 bits at `*pos`, not reading at or past `limit`.
Expected<uint32_t> readVarU32(std::span<const uint8_t> wasm, size_t* pos, size_t limit, std::string_view what) {
  const size_t start = *pos;
  uint32_t value = 0;
  for (int i = 0; i < 5; ++i) {
    if (*pos >= limit) {
      return fail(ErrorCode::kMalformed, "truncated LEB128 (" + std::string(what) + ") at offset " +
                                             std::to_string(start));
    }
    const uint8_t b = wasm[(*pos)++];
    if (i == 4 && (b & 0xF0) != 0) {
      return fail(ErrorCode::kMalformed, "LEB128 (" + std::string(what) + ") at offset " + std::to_string(start) +
                                             " is longer than 5 bytes or exceeds 32 bits");
    }
    value |= static_cast<uint32_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) return value;
  }
  return value;  // unreachable: the fifth byte has its continuation bit clear (checked above)
}

bool validUtf8(std::span<const uint8_t> s) {
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t b = s[i];
    size_t len;
    uint32_t cp;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xE0) == 0xC0) {
      len = 2;
      cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      len = 3;
      cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      len = 4;
      cp = b & 0x07;
    } else {
      return false;
    }
    if (s.size() - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    const uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

void appendVarU32(Bytes* out, uint32_t v) {
  do {
    uint8_t b = v & 0x7F;
    v >>= 7;
    if (v != 0) b |= 0x80;
    out->push_back(b);
  } while (v != 0);
}

bool isJwtSection(const WasmSection& s) { return s.id == 0 && s.name == kJwtSectionName; }

std::string hexUpper(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

}  // namespace

Expected<std::vector<WasmSection>> parseSections(std::span<const uint8_t> wasm) {
  if (wasm.size() < kHeaderSize) {
    return fail(ErrorCode::kMalformed, "not a wasm module: " + std::to_string(wasm.size()) +
                                           " bytes is shorter than the 8-byte header");
  }
  if (!std::equal(kMagic.begin(), kMagic.end(), wasm.begin())) {
    return fail(ErrorCode::kMalformed, "not a wasm module: bad magic number at offset 0 (expected \"\\0asm\")");
  }
  const uint32_t version = static_cast<uint32_t>(wasm[4]) | (static_cast<uint32_t>(wasm[5]) << 8) |
                           (static_cast<uint32_t>(wasm[6]) << 16) | (static_cast<uint32_t>(wasm[7]) << 24);
  if (version != 1) {
    return fail(ErrorCode::kMalformed,
                "unsupported wasm binary version " + std::to_string(version) + " at offset 4 (expected 1)");
  }
  std::vector<WasmSection> sections;
  size_t pos = kHeaderSize;
  while (pos < wasm.size()) {
    WasmSection s;
    s.offset = pos;
    s.id = wasm[pos++];
    auto size = readVarU32(wasm, &pos, wasm.size(), "size of section id " + std::to_string(s.id));
    if (!size) return fail(size.takeError());
    const size_t remaining = wasm.size() - pos;
    if (*size > remaining) {
      return fail(ErrorCode::kMalformed, "section id " + std::to_string(s.id) + " at offset " +
                                             std::to_string(s.offset) + " declares " + std::to_string(*size) +
                                             " bytes but only " + std::to_string(remaining) + " remain");
    }
    s.payload_offset = pos;
    s.payload_size = *size;
    s.content_offset = pos;
    if (s.id == 0) {
      size_t npos = s.payload_offset;
      auto name_len = readVarU32(wasm, &npos, s.end(), "custom section name length");
      if (!name_len) return fail(name_len.takeError());
      if (*name_len > s.end() - npos) {
        return fail(ErrorCode::kMalformed, "custom section at offset " + std::to_string(s.offset) +
                                               ": name length " + std::to_string(*name_len) +
                                               " runs past the section end");
      }
      const auto name = wasm.subspan(npos, *name_len);
      if (!validUtf8(name)) {
        return fail(ErrorCode::kMalformed,
                    "custom section at offset " + std::to_string(s.offset) + ": name is not valid UTF-8");
      }
      s.name.assign(name.begin(), name.end());
      s.content_offset = npos + *name_len;
    }
    pos = s.end();
    sections.push_back(std::move(s));
  }
  return sections;
}

Expected<std::string> extractToken(std::span<const uint8_t> wasm) {
  auto sections = parseSections(wasm);
  if (!sections) return fail(sections.takeError());
  const WasmSection* jwt = nullptr;
  size_t count = 0;
  for (const WasmSection& s : *sections) {
    if (!isJwtSection(s)) continue;
    ++count;
    if (jwt == nullptr) jwt = &s;
  }
  if (jwt == nullptr) {
    return fail(ErrorCode::kInvalidClaims, "module has no embedded claims (no 'jwt' custom section)");
  }
  if (count > 1) {
    return fail(ErrorCode::kInvalidClaims,
                "module has " + std::to_string(count) + " 'jwt' custom sections; exactly one is allowed");
  }
  const auto payload = wasm.subspan(jwt->content_offset, jwt->end() - jwt->content_offset);
  for (size_t i = 0; i < payload.size(); ++i) {
    if (payload[i] < 0x20 || payload[i] > 0x7E) {
      return fail(ErrorCode::kMalformed, "the 'jwt' custom section holds non-printable or non-ASCII byte " +
                                             hexByte(payload[i]) + " at offset " +
                                             std::to_string(jwt->content_offset + i));
    }
  }
  if (payload.empty()) return fail(ErrorCode::kMalformed, "the 'jwt' custom section is empty");
  return std::string(payload.begin(), payload.end());
}

Expected<std::string> moduleHash(std::span<const uint8_t> wasm) {
  auto sections = parseSections(wasm);
  if (!sections) return fail(sections.takeError());
  if (!internal::sodiumReady()) return fail(ErrorCode::kInternal, "libsodium failed to initialise");
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  size_t kept_from = 0;
  for (const WasmSection& s : *sections) {
    if (!isJwtSection(s)) continue;
    crypto_hash_sha256_update(&state, wasm.data() + kept_from, s.offset - kept_from);
    kept_from = s.end();
  }
  crypto_hash_sha256_update(&state, wasm.data() + kept_from, wasm.size() - kept_from);
  std::array<uint8_t, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256_final(&state, digest.data());
  return hexUpper(digest);
}

Expected<Bytes> embedClaims(std::span<const uint8_t> wasm, ActorClaims claims, const KeyPair& issuer) {
  auto sections = parseSections(wasm);
  if (!sections) return fail(sections.takeError());
  Bytes out;
  out.reserve(wasm.size() + 1024);
  size_t kept_from = 0;
  for (const WasmSection& s : *sections) {
    if (!isJwtSection(s)) continue;
    out.insert(out.end(), wasm.begin() + static_cast<ptrdiff_t>(kept_from),
               wasm.begin() + static_cast<ptrdiff_t>(s.offset));
    kept_from = s.end();
  }
  out.insert(out.end(), wasm.begin() + static_cast<ptrdiff_t>(kept_from), wasm.end());

  auto hash = moduleHash(out);
  if (!hash) return fail(hash.takeError());
  claims.metadata.hash = std::move(*hash);
  auto token = encodeClaims(std::move(claims), issuer);
  if (!token) return fail(token.takeError());

  Bytes content;
  appendVarU32(&content, static_cast<uint32_t>(kJwtSectionName.size()));
  content.insert(content.end(), kJwtSectionName.begin(), kJwtSectionName.end());
  content.insert(content.end(), token->begin(), token->end());
  out.push_back(0);
  appendVarU32(&out, static_cast<uint32_t>(content.size()));
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

Expected<ActorClaims> decodeActor(std::span<const uint8_t> wasm) {
  auto token = extractToken(wasm);
  if (!token) return fail(token.takeError());
  return decodeClaims<ActorMetadata>(*token);
}

Expected<ActorClaims> verifyActor(std::span<const uint8_t> wasm, int64_t now) {
  auto text = extractToken(wasm);
  if (!text) return fail(text.takeError());
  auto token = parseToken(*text);
  if (!token) return fail(token.takeError());
  // Signature first: until it verifies, nothing in the claims (the hash included) can be trusted.
  STRATUS_TRY(verifyTokenSignature(*token));
  auto claims = decodeClaims<ActorMetadata>(*text);
  if (!claims) return fail(claims.takeError());
  auto hash = moduleHash(wasm);
  if (!hash) return fail(hash.takeError());
  if (claims->metadata.hash != *hash) {
    return fail(ErrorCode::kInvalidClaims, "module hash mismatch: claims say " +
                                               (claims->metadata.hash.empty() ? std::string("(none)")
                                                                              : claims->metadata.hash) +
                                               ", module is " + *hash);
  }
  STRATUS_TRY(checkTokenTimes(*claims, now));
  return claims;
}

}  // namespace stratus::claims
