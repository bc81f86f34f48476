#include "stratus/claims/claims.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>

#include "claims/json_util.h"

namespace stratus::claims {
namespace {

using nlohmann::ordered_json;
constexpr int64_t kI32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kI32Max = std::numeric_limits<int32_t>::max();
constexpr std::string_view kI32 = "a 32-bit integer";

// serde field order of wascap 0.6.1's structs.
ordered_json metadataJson(const ActorMetadata& m) {
  ordered_json j = ordered_json::object();
  j["name"] = m.name;
  j["hash"] = m.hash;
  j["tags"] = m.tags;
  j["caps"] = m.caps;
  if (m.rev) j["rev"] = *m.rev;
  if (m.ver) j["ver"] = *m.ver;
  if (m.call_alias) j["call_alias"] = *m.call_alias;
  j["prov"] = m.provider;
  return j;
}

ordered_json metadataJson(const ProviderMetadata& m) {
  ordered_json j = ordered_json::object();
  j["name"] = m.name;
  j["capid"] = m.capid;
  j["vendor"] = m.vendor;
  if (m.rev) j["rev"] = *m.rev;
  if (m.ver) j["ver"] = *m.ver;
  ordered_json hashes = ordered_json::object();
  for (const auto& [target, hash] : m.target_hashes) hashes[target] = hash;
  j["target_hashes"] = std::move(hashes);
  return j;
}

ordered_json metadataJson(const AccountMetadata& m) {
  ordered_json j = ordered_json::object();
  j["name"] = m.name;
  j["valid_signers"] = m.valid_signers;
  return j;
}

Expected<std::optional<int32_t>> optI32(const nlohmann::json& obj, std::string_view key, std::string_view path) {
  auto v = internal::optInteger(obj, key, path, kI32Min, kI32Max, kI32);
  if (!v) return fail(v.takeError());
  if (!*v) return std::optional<int32_t>();
  return std::optional<int32_t>(static_cast<int32_t>(**v));
}

Expected<void> readMetadata(const nlohmann::json& w, ActorMetadata* m) {
  auto name = internal::stringOrEmpty(w, "name", "wascap.name");
  if (!name) return fail(name.takeError());
  auto hash = internal::stringOrEmpty(w, "hash", "wascap.hash");
  if (!hash) return fail(hash.takeError());
  auto tags = internal::stringList(w, "tags", "wascap.tags");
  if (!tags) return fail(tags.takeError());
  auto caps = internal::stringList(w, "caps", "wascap.caps");
  if (!caps) return fail(caps.takeError());
  auto rev = optI32(w, "rev", "wascap.rev");
  if (!rev) return fail(rev.takeError());
  auto ver = internal::optString(w, "ver", "wascap.ver");
  if (!ver) return fail(ver.takeError());
  auto alias = internal::optString(w, "call_alias", "wascap.call_alias");
  if (!alias) return fail(alias.takeError());
  auto prov = internal::boolOr(w, "prov", "wascap.prov", false);
  if (!prov) return fail(prov.takeError());
  m->name = std::move(*name);
  m->hash = std::move(*hash);
  m->tags = std::move(*tags);
  m->caps = std::move(*caps);
  m->rev = *rev;
  m->ver = std::move(*ver);
  m->call_alias = std::move(*alias);
  m->provider = *prov;
  return ok();
}

Expected<void> readMetadata(const nlohmann::json& w, ProviderMetadata* m) {
  auto name = internal::stringOrEmpty(w, "name", "wascap.name");
  if (!name) return fail(name.takeError());
  auto capid = internal::stringOrEmpty(w, "capid", "wascap.capid");
  if (!capid) return fail(capid.takeError());
  auto vendor = internal::stringOrEmpty(w, "vendor", "wascap.vendor");
  if (!vendor) return fail(vendor.takeError());
  auto rev = optI32(w, "rev", "wascap.rev");
  if (!rev) return fail(rev.takeError());
  auto ver = internal::optString(w, "ver", "wascap.ver");
  if (!ver) return fail(ver.takeError());
  std::map<std::string, std::string> hashes;
  if (const nlohmann::json* th = internal::findField(w, "target_hashes")) {
    if (!th->is_object()) return internal::typeError("wascap.target_hashes", "an object of target -> hash");
    for (const auto& [target, hash] : th->items()) {
      if (!hash.is_string()) return internal::typeError("wascap.target_hashes." + target, "a string");
      hashes.emplace(target, hash.get<std::string>());
    }
  }
  m->name = std::move(*name);
  m->capid = std::move(*capid);
  m->vendor = std::move(*vendor);
  m->rev = *rev;
  m->ver = std::move(*ver);
  m->target_hashes = std::move(hashes);
  return ok();
}

Expected<void> readMetadata(const nlohmann::json& w, AccountMetadata* m) {
  auto name = internal::stringOrEmpty(w, "name", "wascap.name");
  if (!name) return fail(name.takeError());
  auto signers = internal::stringList(w, "valid_signers", "wascap.valid_signers");
  if (!signers) return fail(signers.takeError());
  m->name = std::move(*name);
  m->valid_signers = std::move(*signers);
  return ok();
}

template <ClaimsMetadata M>
Expected<Claims<M>> typedClaims(const Token& token) {
  auto obj = internal::parseJsonObject(token.claims_json, "token claims");
  if (!obj) return fail(obj.takeError());
  const nlohmann::json* w = internal::findField(*obj, "wascap");
  if (w == nullptr) {
    return fail(ErrorCode::kInvalidClaims, "claims have no 'wascap' metadata (subject " +
                                               token.registered.subject + ")");
  }
  if (!w->is_object()) return internal::typeError("wascap", "an object");
  Claims<M> claims;
  static_cast<RegisteredClaims&>(claims) = token.registered;
  STRATUS_TRY(readMetadata(*w, &claims.metadata));
  return claims;
}

// Unicode White_Space, which Rust's str::trim strips.
bool isUnicodeSpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// Decodes UTF-8 leniently: an invalid byte becomes U+FFFD (it is non-ASCII and so dropped later anyway).
std::u32string decodeUtf8(std::string_view s) {
  std::u32string out;
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    int len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
    char32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
    bool good = len > 0 && i + static_cast<size_t>(len) <= s.size();
    for (int k = 1; good && k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
      if ((b & 0xC0) != 0x80) good = false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (!good) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += static_cast<size_t>(len);
  }
  return out;
}

}  // namespace

template <ClaimsMetadata M>
std::string claimsToJson(const Claims<M>& claims) {
  ordered_json j = ordered_json::object();
  if (claims.expires) j["exp"] = *claims.expires;
  j["jti"] = claims.id;
  j["iat"] = claims.issued_at;
  j["iss"] = claims.issuer;
  j["sub"] = claims.subject;
  if (claims.not_before) j["nbf"] = *claims.not_before;
  j["wascap"] = metadataJson(claims.metadata);
  // serde_json writes UTF-8 as is; replace (rather than throw on) invalid UTF-8 from callers.
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

template <ClaimsMetadata M>
Expected<std::string> encodeClaims(Claims<M> claims, const KeyPair& issuer) {
  if (!issuer.hasSeed()) {
    return fail(ErrorCode::kInvalidArgument,
                "issuer " + issuer.publicKey() + " is a public key only; signing needs its seed");
  }
  claims.issuer = issuer.publicKey();
  if (claims.id.empty()) claims.id = generateTokenId();
  return signToken(claimsToJson(claims), issuer);
}

template <ClaimsMetadata M>
Expected<Claims<M>> decodeClaims(std::string_view jwt) {
  auto token = parseToken(jwt);
  if (!token) return fail(token.takeError());
  return typedClaims<M>(*token);
}

template <ClaimsMetadata M>
Expected<Claims<M>> verifyClaims(std::string_view jwt, int64_t now) {
  auto token = parseToken(jwt);
  if (!token) return fail(token.takeError());
  STRATUS_TRY(validateToken(*token, now));
  return typedClaims<M>(*token);
}

std::string normalizeCallAlias(std::string_view alias) {
  std::u32string lowered;
  for (char32_t c : decodeUtf8(alias)) {
    if (c >= 'A' && c <= 'Z') {
      lowered.push_back(c - 'A' + 'a');
    } else if (c == 0x130) {  // 'İ' lowercases to "i\u0307": its ASCII 'i' survives
      lowered.push_back('i');
      lowered.push_back(0x307);
    } else if (c == 0x212A) {  // KELVIN SIGN lowercases to ASCII 'k'
      lowered.push_back('k');
    } else {
      lowered.push_back(c);
    }
  }
  size_t begin = 0;
  size_t end = lowered.size();
  while (begin < end && isUnicodeSpace(lowered[begin])) ++begin;
  while (end > begin && isUnicodeSpace(lowered[end - 1])) --end;
  std::string out;
  for (size_t i = begin; i < end; ++i) {
    const char32_t c = lowered[i];
    if (c >= 0x80) continue;
    out.push_back(c == ' ' || c == '-' || c == '.' ? '_' : static_cast<char>(c));
  }
  return out;
}

template std::string claimsToJson(const ActorClaims&);
template std::string claimsToJson(const ProviderClaims&);
template std::string claimsToJson(const AccountClaims&);
template Expected<std::string> encodeClaims(ActorClaims, const KeyPair&);
template Expected<std::string> encodeClaims(ProviderClaims, const KeyPair&);
template Expected<std::string> encodeClaims(AccountClaims, const KeyPair&);
template Expected<ActorClaims> decodeClaims<ActorMetadata>(std::string_view);
template Expected<ProviderClaims> decodeClaims<ProviderMetadata>(std::string_view);
template Expected<AccountClaims> decodeClaims<AccountMetadata>(std::string_view);
template Expected<ActorClaims> verifyClaims<ActorMetadata>(std::string_view, int64_t);
template Expected<ProviderClaims> verifyClaims<ProviderMetadata>(std::string_view, int64_t);
template Expected<AccountClaims> verifyClaims<AccountMetadata>(std::string_view, int64_t);

}  // namespace stratus::claims
