#include "stratus/claims/jwt.h"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <limits>

#include "claims/internal.h"
#include "claims/json_util.h"

namespace stratus::claims {
namespace {

constexpr std::string_view kBase64UrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();

Expected<void> readRegistered(const nlohmann::json& claims, RegisteredClaims* out) {
  using internal::optInteger;
  using internal::stringOrEmpty;
  constexpr std::string_view kSeconds = "a non-negative integer (seconds since the Unix epoch)";
  auto iss = stringOrEmpty(claims, "iss", "iss");
  if (!iss) return fail(iss.takeError());
  auto sub = stringOrEmpty(claims, "sub", "sub");
  if (!sub) return fail(sub.takeError());
  auto jti = stringOrEmpty(claims, "jti", "jti");
  if (!jti) return fail(jti.takeError());
  auto iat = optInteger(claims, "iat", "iat", 0, kMaxTime, kSeconds);
  if (!iat) return fail(iat.takeError());
  auto exp = optInteger(claims, "exp", "exp", 0, kMaxTime, kSeconds);
  if (!exp) return fail(exp.takeError());
  auto nbf = optInteger(claims, "nbf", "nbf", 0, kMaxTime, kSeconds);
  if (!nbf) return fail(nbf.takeError());
  out->issuer = std::move(*iss);
  out->subject = std::move(*sub);
  out->id = std::move(*jti);
  out->issued_at = iat->value_or(0);
  out->expires = *exp;
  out->not_before = *nbf;
  return ok();
}

std::string shortKey(const std::string& key) { return key.size() > 12 ? key.substr(0, 12) + "..." : key; }

}  // namespace

std::string base64UrlEncode(std::span<const uint8_t> data) {
  std::string out;
  out.reserve((data.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    out.push_back(kBase64UrlAlphabet[(v >> 18) & 63]);
    out.push_back(kBase64UrlAlphabet[(v >> 12) & 63]);
    out.push_back(kBase64UrlAlphabet[(v >> 6) & 63]);
    out.push_back(kBase64UrlAlphabet[v & 63]);
  }
  const size_t rest = data.size() - i;
  if (rest == 1) {
    const uint32_t v = uint32_t{data[i]} << 16;
    out.push_back(kBase64UrlAlphabet[(v >> 18) & 63]);
    out.push_back(kBase64UrlAlphabet[(v >> 12) & 63]);
  } else if (rest == 2) {
    const uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8);
    out.push_back(kBase64UrlAlphabet[(v >> 18) & 63]);
    out.push_back(kBase64UrlAlphabet[(v >> 12) & 63]);
    out.push_back(kBase64UrlAlphabet[(v >> 6) & 63]);
  }
  return out;
}

std::string base64UrlEncode(std::string_view text) {
  return base64UrlEncode(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

Expected<Bytes> base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) {
    return fail(ErrorCode::kMalformed,
                "invalid base64url length " + std::to_string(text.size()) + " (a multiple of 4 plus 1 is impossible)");
  }
  Bytes out;
  out.reserve(text.size() * 3 / 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const int v = base64UrlValue(text[i]);
    if (v < 0) {
      const unsigned char c = static_cast<unsigned char>(text[i]);
      std::string shown = (c >= 0x20 && c < 0x7F) ? std::string("'") + text[i] + "'"
                                                  : "byte 0x" + std::to_string(c);
      return fail(ErrorCode::kMalformed, "invalid base64url character " + shown + " at position " +
                                             std::to_string(i) + (text[i] == '=' ? " (padding is not allowed)" : ""));
    }
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(buffer >> bits));
      buffer &= (1u << bits) - 1;
    }
  }
  if (bits > 0 && buffer != 0) {
    return fail(ErrorCode::kMalformed, "non-canonical base64url: unused trailing bits are not zero");
  }
  return out;
}

int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string formatUnixTime(int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (static_cast<int64_t>(t) != seconds || gmtime_r(&t, &tm) == nullptr || tm.tm_year + 1900 > 9999 ||
      tm.tm_year + 1900 < 0) {
    std::string out = "@";  // built by append: GCC 12 -O3 warns falsely (-Wrestrict) on "@" + to_string()
    out += std::to_string(seconds);
    return out;
  }
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Expected<Token> parseToken(std::string_view jwt) {
  const size_t first = jwt.find('.');
  const size_t second = first == std::string_view::npos ? first : jwt.find('.', first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos ||
      jwt.find('.', second + 1) != std::string_view::npos) {
    size_t segments = 1;
    for (char c : jwt) segments += c == '.' ? 1 : 0;
    return fail(ErrorCode::kMalformed,
                "token must have 3 dot-separated segments, found " + std::to_string(segments));
  }
  Token token;
  auto header = base64UrlDecode(jwt.substr(0, first));
  if (!header) return fail(ErrorCode::kMalformed, "token header segment: " + header.error().message);
  auto body = base64UrlDecode(jwt.substr(first + 1, second - first - 1));
  if (!body) return fail(ErrorCode::kMalformed, "token claims segment: " + body.error().message);
  auto sig = base64UrlDecode(jwt.substr(second + 1));
  if (!sig) return fail(ErrorCode::kMalformed, "token signature segment: " + sig.error().message);
  if (sig->size() != token.signature.size()) {
    return fail(ErrorCode::kMalformed,
                "token signature must be 64 bytes, got " + std::to_string(sig->size()));
  }
  std::copy(sig->begin(), sig->end(), token.signature.begin());
  token.header_json.assign(header->begin(), header->end());
  token.claims_json.assign(body->begin(), body->end());
  token.signing_input = std::string(jwt.substr(0, second));

  auto header_obj = internal::parseJsonObject(token.header_json, "token header");
  if (!header_obj) return fail(header_obj.takeError());
  auto claims_obj = internal::parseJsonObject(token.claims_json, "token claims");
  if (!claims_obj) return fail(claims_obj.takeError());
  STRATUS_TRY(readRegistered(*claims_obj, &token.registered));
  return token;
}

Expected<std::string> signToken(std::string_view claims_json, const KeyPair& issuer) {
  std::string out = base64UrlEncode(kJwtHeaderJson);
  out += '.';
  out += base64UrlEncode(claims_json);
  auto sig = issuer.sign(out);
  if (!sig) return fail(sig.takeError());
  out += '.';
  out += base64UrlEncode(std::span<const uint8_t>(sig->data(), sig->size()));
  return out;
}

Expected<void> verifyTokenSignature(const Token& token) {
  auto header = internal::parseJsonObject(token.header_json, "token header");
  if (!header) return fail(header.takeError());
  const nlohmann::json* alg = internal::findField(*header, "alg");
  if (alg == nullptr || !alg->is_string() || alg->get<std::string>() != "Ed25519") {
    return fail(ErrorCode::kInvalidClaims, "unsupported token algorithm " +
                                               (alg ? alg->dump() : std::string("(none)")) + ", expected \"Ed25519\"");
  }
  const nlohmann::json* typ = internal::findField(*header, "typ");
  if (typ == nullptr || !typ->is_string() || typ->get<std::string>() != "jwt") {
    return fail(ErrorCode::kInvalidClaims,
                "unsupported token type " + (typ ? typ->dump() : std::string("(none)")) + ", expected \"jwt\"");
  }
  const RegisteredClaims& rc = token.registered;
  if (rc.issuer.empty()) return fail(ErrorCode::kInvalidClaims, "claims have no issuer ('iss' is missing or empty)");
  if (rc.subject.empty()) {
    return fail(ErrorCode::kInvalidClaims, "claims have no subject ('sub' is missing or empty)");
  }
  auto issuer = KeyPair::fromPublicKey(rc.issuer);
  if (!issuer) {
    return fail(ErrorCode::kMalformed, "claims issuer '" + rc.issuer + "' is not a valid public key: " +
                                           issuer.error().message);
  }
  if (!issuer->verify(token.signing_input, token.signature)) {
    return fail(ErrorCode::kInvalidClaims, "signature does not verify against issuer " + rc.issuer +
                                               " (the token was altered or signed by another key)");
  }
  return ok();
}

Expected<void> checkTokenTimes(const RegisteredClaims& claims, int64_t now) {
  if (claims.expires && *claims.expires < now) {
    return fail(ErrorCode::kInvalidClaims, "claims expired at " + formatUnixTime(*claims.expires) + " (subject " +
                                               shortKey(claims.subject) + ")");
  }
  if (claims.not_before && *claims.not_before > now) {
    return fail(ErrorCode::kInvalidClaims, "claims are not valid until " + formatUnixTime(*claims.not_before) +
                                               " (subject " + shortKey(claims.subject) + ")");
  }
  return ok();
}

Expected<void> validateToken(const Token& token, int64_t now) {
  STRATUS_TRY(verifyTokenSignature(token));
  return checkTokenTimes(token.registered, now);
}

std::string generateTokenId() {
  constexpr std::string_view kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string id(22, '0');
  if (!internal::sodiumReady()) return id;  // unreachable in practice: sodium_init only fails without entropy
  for (char& c : id) c = kAlphabet[randombytes_uniform(static_cast<uint32_t>(kAlphabet.size()))];
  return id;
}

}  // namespace stratus::claims
