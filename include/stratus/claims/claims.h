// Typed wascap claims (wascap 0.6.1 / wasmCloud 0.18): the `wascap` metadata of actors, capability providers and
// accounts, on top of the generic token layer in jwt.h.
//
// Claims JSON is written in serde's field order: exp?, jti, iat, iss, sub, nbf?, wascap. Decoding tolerates real
// tokens from wascap/wash: unknown fields are ignored and optional metadata fields may be absent.
#pragma once

#include <concepts>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stratus/claims/jwt.h"
#include "stratus/claims/nkeys.h"
#include "stratus/common/expected.h"

namespace stratus::claims {

/// `wascap` metadata of an actor (a wasm module).
struct ActorMetadata {
  std::string name;                       ///< `name`: friendly name ("" when absent)
  std::string hash;                       ///< `hash`: SHA-256 HEXUPPER of the module without its `jwt` section
  std::vector<std::string> tags;          ///< `tags`: free-form tags (empty when absent)
  std::vector<std::string> caps;          ///< `caps`: capability contract ids the actor may use (empty when absent)
  std::optional<int32_t> rev;             ///< `rev`: monotonically increasing revision
  std::optional<std::string> ver;         ///< `ver`: human-readable version
  std::optional<std::string> call_alias;  ///< `call_alias`: normalized alias (see normalizeCallAlias)
  bool provider = false;                  ///< `prov`: whether the module is a (wasm) provider; false when absent
};

/// `wascap` metadata of a native capability provider (the claims.jwt of a provider archive).
struct ProviderMetadata {
  std::string name;                                 ///< `name` ("" when absent)
  std::string capid;                                ///< `capid`: the contract id, e.g. "wasmcloud:keyvalue"
  std::string vendor;                               ///< `vendor`
  std::optional<int32_t> rev;                       ///< `rev`
  std::optional<std::string> ver;                   ///< `ver`
  std::map<std::string, std::string> target_hashes; ///< `target_hashes`: target triple -> SHA-256 HEXUPPER
};

/// `wascap` metadata of an account or operator.
struct AccountMetadata {
  std::string name;                        ///< `name` ("" when absent)
  std::vector<std::string> valid_signers;  ///< `valid_signers`: additional keys allowed to sign (empty when absent)
};

/// The metadata types Claims can carry (encode/decode are provided for exactly these).
template <typename M>
concept ClaimsMetadata =
    std::same_as<M, ActorMetadata> || std::same_as<M, ProviderMetadata> || std::same_as<M, AccountMetadata>;

/// A decoded wascap token: the registered claims plus typed `wascap` metadata. Plain value type.
template <ClaimsMetadata M>
struct Claims : RegisteredClaims {
  M metadata;  ///< the `wascap` object
};

/// Claims about an actor: issuer is an account ('A'), subject a module ('M').
using ActorClaims = Claims<ActorMetadata>;
/// Claims about a capability provider: issuer is an account ('A'), subject a service ('V').
using ProviderClaims = Claims<ProviderMetadata>;
/// Claims about an account: issuer is an operator ('O') or the account itself, subject an account ('A').
using AccountClaims = Claims<AccountMetadata>;

/// The claims JSON text (serde field order) of `claims`, exactly what encodeClaims signs.
template <ClaimsMetadata M>
std::string claimsToJson(const Claims<M>& claims);

/// Signs `claims` into a token with `issuer`'s seed. `claims.issuer` is overwritten with the issuer's public key;
/// an empty `claims.id` is replaced by a fresh generateTokenId(). Nothing else is changed or checked.
/// Errors: kInvalidArgument if `issuer` has no seed.
template <ClaimsMetadata M>
Expected<std::string> encodeClaims(Claims<M> claims, const KeyPair& issuer);

/// Decodes a token WITHOUT verifying its signature or times (for inspection). Errors: kMalformed for an
/// unparseable token or a field of the wrong type; kInvalidClaims if it has no `wascap` metadata object.
template <ClaimsMetadata M>
Expected<Claims<M>> decodeClaims(std::string_view jwt);

/// Decodes and validates a token (validateToken: header, issuer, signature, exp, nbf at `now`, seconds since the
/// Unix epoch). Errors: as decodeClaims and validateToken, each with a distinct message.
template <ClaimsMetadata M>
Expected<Claims<M>> verifyClaims(std::string_view jwt, int64_t now);

/// Normalizes a call alias as wascap does when claims are created: lowercase, trim whitespace, drop non-ASCII
/// characters, then ' ', '-' and '.' become '_' ('/' is kept). E.g. " My-Actor.v1 " -> "my_actor_v1".
std::string normalizeCallAlias(std::string_view alias);

extern template std::string claimsToJson(const ActorClaims&);
extern template std::string claimsToJson(const ProviderClaims&);
extern template std::string claimsToJson(const AccountClaims&);
extern template Expected<std::string> encodeClaims(ActorClaims, const KeyPair&);
extern template Expected<std::string> encodeClaims(ProviderClaims, const KeyPair&);
extern template Expected<std::string> encodeClaims(AccountClaims, const KeyPair&);
extern template Expected<ActorClaims> decodeClaims<ActorMetadata>(std::string_view);
extern template Expected<ProviderClaims> decodeClaims<ProviderMetadata>(std::string_view);
extern template Expected<AccountClaims> decodeClaims<AccountMetadata>(std::string_view);
extern template Expected<ActorClaims> verifyClaims<ActorMetadata>(std::string_view, int64_t);
extern template Expected<ProviderClaims> verifyClaims<ProviderMetadata>(std::string_view, int64_t);
extern template Expected<AccountClaims> verifyClaims<AccountMetadata>(std::string_view, int64_t);

}  // namespace stratus::claims
