#include "lattice/antiforgery.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <utility>

#include "stratus/claims/jwt.h"

namespace stratus::lattice {
namespace {

// One URL path segment as WasmCloudEntity::url builds it: replace(":", "/") (contract ids only), replace(" ", "_"),
// to_lowercase().
std::string urlSegment(std::string_view s, bool colon_to_slash) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == ':' && colon_to_slash) {
      c = '/';
    } else if (c == ' ') {
      c = '_';
    } else if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
    out.push_back(c);
  }
  return out;
}

std::string targetUrl(const WireInvocation& inv) { return entityUrl(inv.target) + "/" + inv.operation; }

// Subjects and URLs in a token are chosen by whoever holds a key: keep them short in messages.
std::string clip(const std::string& s) { return s.size() > 200 ? s.substr(0, 200) + "..." : s; }

Unexpected denied(std::string message) { return fail(ErrorCode::kPermissionDenied, std::move(message)); }
Unexpected invalid(std::string message) { return fail(ErrorCode::kInvalidClaims, std::move(message)); }

struct InvocationMetadata {
  std::string target_url;
  std::string origin_url;
  std::string hash;
};

// The `wascap` object of Claims<Invocation>: all three fields are plain Strings in wascap, so all are required.
Expected<InvocationMetadata> readMetadata(const std::string& claims_json) {
  const nlohmann::json j = nlohmann::json::parse(claims_json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return invalid("invocation claims are not a JSON object");
  const auto w = j.find("wascap");
  if (w == j.end() || !w->is_object()) return invalid("invocation claims have no 'wascap' metadata object");
  InvocationMetadata out;
  const std::pair<const char*, std::string*> fields[] = {
      {"target_url", &out.target_url}, {"origin_url", &out.origin_url}, {"hash", &out.hash}};
  for (const auto& [name, dest] : fields) {
    const auto f = w->find(name);
    if (f == w->end() || !f->is_string()) {
      return invalid(std::string("invocation claims field 'wascap.") + name + "' is missing or not a string");
    }
    *dest = f->get<std::string>();
  }
  return out;
}

}  // namespace

std::string entityUrl(const WireEntity& entity) {
  if (entity.kind == host::EntityKind::kActor) return "wasmbus://" + entity.public_key;
  return "wasmbus://" + urlSegment(entity.contract_id, true) + "/" + urlSegment(entity.link_name, false) + "/" +
         entity.public_key;
}

std::string invocationHash(const WireInvocation& inv) {
  static const bool sodium_ready = sodium_init() >= 0;  // hashing works either way; init picks fast code paths
  (void)sodium_ready;
  const std::string origin = entityUrl(inv.origin);
  const std::string target = targetUrl(inv);
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(origin.data()), origin.size());
  crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(target.data()), target.size());
  crypto_hash_sha256_update(&state, inv.msg.data(), inv.msg.size());
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256_final(&state, digest.data());
  constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(digest.size() * 2);
  for (unsigned char b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0x0F]);
  }
  return out;
}

Expected<void> signInvocation(WireInvocation& inv, const claims::KeyPair& signer, int64_t now) {
  if (!signer.hasSeed()) {
    return fail(ErrorCode::kInvalidArgument, "cannot sign an invocation with " + signer.publicKey() +
                                                 ": it is a public key only, signing needs its seed");
  }
  if (inv.id.empty()) return fail(ErrorCode::kInvalidArgument, "cannot sign an invocation without an id");
  if (now < 0) return fail(ErrorCode::kInvalidArgument, "cannot sign an invocation at a time before 1970");
  const std::pair<const char*, const std::string*> texts[] = {{"id", &inv.id},
                                                              {"operation", &inv.operation},
                                                              {"origin public key", &inv.origin.public_key},
                                                              {"origin contract id", &inv.origin.contract_id},
                                                              {"origin link name", &inv.origin.link_name},
                                                              {"target public key", &inv.target.public_key},
                                                              {"target contract id", &inv.target.contract_id},
                                                              {"target link name", &inv.target.link_name}};
  for (const auto& [name, value] : texts) {
    if (!isUtf8(*value)) {
      return fail(ErrorCode::kInvalidArgument,
                  std::string("cannot sign an invocation whose ") + name + " is not valid UTF-8");
    }
  }
  // serde field order of wascap's Claims<Invocation> (exp and nbf are None, so skipped).
  nlohmann::ordered_json wascap = nlohmann::ordered_json::object();
  wascap["target_url"] = targetUrl(inv);
  wascap["origin_url"] = entityUrl(inv.origin);
  wascap["hash"] = invocationHash(inv);
  nlohmann::ordered_json claims_json = nlohmann::ordered_json::object();
  claims_json["jti"] = claims::generateTokenId();
  claims_json["iat"] = now;
  claims_json["iss"] = signer.publicKey();
  claims_json["sub"] = inv.id;
  claims_json["wascap"] = std::move(wascap);
  auto token =
      claims::signToken(claims_json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace), signer);
  if (!token) return fail(token.takeError());
  inv.encoded_claims = std::move(*token);
  return ok();
}

Expected<void> validateInvocation(const WireInvocation& inv, int64_t now, const AntiforgeryPolicy& policy) {
  auto token = claims::parseToken(inv.encoded_claims);
  if (!token) return invalid("invocation claims are unreadable: " + token.error().message);
  if (auto signature = claims::verifyTokenSignature(*token); !signature) {
    return invalid("invocation claims signature invalid: " + signature.error().message);
  }
  const claims::RegisteredClaims& rc = token->registered;
  if (rc.expires && *rc.expires < now) {
    return invalid("invocation claims token expired at " + claims::formatUnixTime(*rc.expires));
  }
  if (rc.not_before && *rc.not_before > now) {
    return invalid("attempt to use invocation before claims token allows (not before " +
                   claims::formatUnixTime(*rc.not_before) + ")");
  }
  auto metadata = readMetadata(token->claims_json);
  if (!metadata) return fail(metadata.takeError());

  if (metadata->hash != invocationHash(inv)) {
    return denied(
        "invocation hash does not match signed claims hash (its origin, target, operation or payload "
        "differs from what " +
        rc.issuer + " signed)");
  }
  if (rc.subject != inv.id) {
    return denied("subject of invocation claims token does not match invocation ID ('" + clip(rc.subject) + "' vs '" +
                  clip(inv.id) + "')");
  }
  if (policy.cluster_issuers.empty()) {
    if (rc.issuer != inv.host_id) {
      return denied("invocation claims issuer does not match invocation host (issuer " + rc.issuer + ", host " +
                    clip(inv.host_id) + ")");
    }
  } else if (std::find(policy.cluster_issuers.begin(), policy.cluster_issuers.end(), rc.issuer) ==
             policy.cluster_issuers.end()) {
    return denied("invocation claims issuer " + rc.issuer + " is not one of the lattice's cluster issuers");
  }
  if (const std::string target = targetUrl(inv); metadata->target_url != target) {
    return denied("invocation claims and invocation target URL do not match (claims '" + clip(metadata->target_url) +
                  "', invocation '" + clip(target) + "')");
  }
  if (const std::string origin = entityUrl(inv.origin); metadata->origin_url != origin) {
    return denied("invocation claims and invocation origin URL do not match (claims '" + clip(metadata->origin_url) +
                  "', invocation '" + clip(origin) + "')");
  }
  return ok();
}

}  // namespace stratus::lattice
