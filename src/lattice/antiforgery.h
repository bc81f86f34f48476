// Signing and checking lattice invocations, as wasmCloud 0.18 does (crates/wasmcloud-host/src/dispatch.rs,
// `Invocation::new` and `validate_antiforgery`; wascap 0.6 src/jwt.rs `Claims<Invocation>` and `validate_token`):
// every invocation carries a JWT signed by the sending host whose subject is the invocation id and whose `wascap`
// metadata {target_url, origin_url, hash} binds the token to this origin, target, operation and payload.
//
// Checked in the sources: the URL forms (`WasmCloudEntity::url`: ':' -> '/' and ' ' -> '_' in the contract id,
// ' ' -> '_' in the link name, both lowercased), hash = HEXUPPER(SHA-256(origin_url ‖ target_url ‖ msg)) with
// target_url = url + "/" + operation, and that `Claims::<Invocation>::new` sets neither `exp` nor `nbf`.
// 0.18 tests `expired` before `signature_valid` (both come from one validate_token call); stratus checks the
// signature first, so it never reads times from an unauthenticated token. The set of accepted invocations is the
// same; only the message differs when a token is both forged and expired.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lattice/wire.h"
#include "stratus/claims/nkeys.h"
#include "stratus/common/expected.h"

namespace stratus::lattice {

/// The bus URL of an entity: "wasmbus://{public_key}" for an actor; for a provider
/// "wasmbus://{contract_id with ':' -> '/', ' ' -> '_', lowercased}/{link_name with ' ' -> '_',
/// lowercased}/{public_key}", e.g. "wasmbus://wasmcloud/keyvalue/default/VAG…". Lowercasing is ASCII-only (Rust's is
/// Unicode-aware; contract ids and link names are ASCII in practice).
std::string entityUrl(const WireEntity& entity);

/// The hash an invocation's claims carry: HEXUPPER(SHA-256(entityUrl(origin) ‖ entityUrl(target) + "/" + operation
/// ‖ msg)), 64 uppercase hex digits.
std::string invocationHash(const WireInvocation& invocation);

/// Fills `inv.encoded_claims` with a JWT signed by `signer`, as 0.18's `Invocation::new` does: header
/// {"typ":"jwt","alg":"Ed25519"}, claims {jti (fresh), iat = now, iss = signer's public key, sub = inv.id,
/// wascap: {target_url, origin_url, hash}}, no exp or nbf. Nothing else is changed: the caller sets `host_id`
/// (the signer's key under 0.18 rules; the host's own key when a cluster key signs).
/// Errors: kInvalidArgument when `signer` has no seed, `inv.id` is empty (wascap refuses an empty subject), `now` is
/// negative (`iat` is unsigned), or the id, operation or an entity field is not UTF-8 (the JSON claims could not
/// carry it faithfully).
Expected<void> signInvocation(WireInvocation& inv, const claims::KeyPair& signer, int64_t now);

/// Who may sign invocations this host accepts.
struct AntiforgeryPolicy {
  /// Empty: the 0.18 rule, the token's issuer must be the invocation's `host_id` (any holder of a key may invoke).
  /// Non-empty: the issuer must be one of these public keys (e.g. the lattice's cluster keys, 'C…'); the
  /// issuer == host_id rule is dropped then, since one cluster key signs for many hosts.
  std::vector<std::string> cluster_issuers;
};

/// Checks an invocation received from the lattice in 0.18's order, except that the signature comes before the times
/// (see above); each failure has its own message. kInvalidClaims: the token does not split and decode ("invocation
/// claims are unreadable: …"); its header is not {"typ":"jwt","alg":"Ed25519"}, `iss` or `sub` is empty, `iss` is not a
/// public key or the signature does not verify against it ("invocation claims signature invalid: …" and the reason);
/// `exp` < `now`
/// ("invocation claims token expired at …"); `nbf` > `now` ("attempt to use invocation before claims token allows
/// (not before …)"); no `wascap` {target_url, origin_url, hash} strings. kPermissionDenied: "invocation hash does
/// not match signed claims hash", "subject of invocation claims token does not match invocation ID", "invocation
/// claims issuer does not match invocation host" (under a cluster policy: "invocation claims issuer … is not one of
/// the lattice's cluster issuers"), "invocation claims and invocation target URL do not match", "… origin URL do
/// not match". `now` is seconds since the Unix epoch. Thread-safe; no exception escapes.
Expected<void> validateInvocation(const WireInvocation& inv, int64_t now, const AntiforgeryPolicy& policy);

}  // namespace stratus::lattice
