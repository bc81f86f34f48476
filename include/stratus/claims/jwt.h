// The generic JWT layer of wascap tokens: split, base64url-decode, sign and validate, independent of the kind of
// metadata the token carries (actor, provider, account, ...). Typed views live in claims.h.
//
// Wire format (wascap 0.6.1): "b64(header).b64(claims).b64(signature)", base64url without padding, header exactly
// {"typ":"jwt","alg":"Ed25519"}, signature = Ed25519(issuer seed, ASCII "b64(header).b64(claims)").
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "stratus/claims/nkeys.h"
#include "stratus/common/expected.h"

namespace stratus::claims {

/// The header every wascap token carries, byte for byte.
inline constexpr std::string_view kJwtHeaderJson = R"({"typ":"jwt","alg":"Ed25519"})";

/// Base64url (RFC 4648 §5) without padding.
std::string base64UrlEncode(std::span<const uint8_t> data);
/// base64UrlEncode over the bytes of `text`.
std::string base64UrlEncode(std::string_view text);

/// Decodes unpadded base64url. Errors (kMalformed): a character outside the alphabet (including '=' padding),
/// an impossible length, or non-zero unused trailing bits (a non-canonical encoding).
Expected<Bytes> base64UrlDecode(std::string_view text);

/// Seconds since the Unix epoch, now (system clock).
int64_t unixNow();

/// Formats seconds since the Unix epoch as RFC 3339 UTC, e.g. "2021-05-01T00:00:00Z".
std::string formatUnixTime(int64_t seconds);

/// The registered claims every wascap token has, whatever its metadata. Times are seconds since the Unix epoch.
struct RegisteredClaims {
  std::string issuer;                 ///< `iss`: public key of the signer (an account for actors and providers)
  std::string subject;                ///< `sub`: public key of the thing the claims are about
  std::string id;                     ///< `jti`: unique token id
  int64_t issued_at = 0;              ///< `iat`
  std::optional<int64_t> expires;     ///< `exp`: unusable from this time on
  std::optional<int64_t> not_before;  ///< `nbf`: unusable before this time
};

/// A JWT split into its parts and decoded, but NOT verified. Plain value; safe to copy and share read-only.
struct Token {
  std::string header_json;      ///< decoded header segment (JSON text)
  std::string claims_json;      ///< decoded claims segment (JSON text)
  std::string signing_input;    ///< the first two segments as they appear in the token ("h.c"), what was signed
  Signature signature{};        ///< decoded third segment
  RegisteredClaims registered;  ///< iss/sub/jti/iat/exp/nbf read from claims_json
};

/// Splits and decodes a token without verifying anything but its shape. Unknown claims are ignored; absent
/// `jti`/`iat` read as ""/0. Errors (kMalformed): not three segments, bad base64url, header or claims not a JSON
/// object, a registered claim of the wrong type, a signature that is not 64 bytes.
Expected<Token> parseToken(std::string_view jwt);

/// Builds a signed token from claims JSON: kJwtHeaderJson, the given claims text (used verbatim) and the
/// Ed25519 signature by `issuer`. Errors: kInvalidArgument if `issuer` has no seed.
Expected<std::string> signToken(std::string_view claims_json, const KeyPair& issuer);

/// Checks a parsed token the way wascap's validate_token does, in this order, each failure a distinct message:
/// header `alg` is "Ed25519" and `typ` is "jwt"; `iss` and `sub` are non-empty; `iss` decodes as an nkey public key
/// (kMalformed if not); the signature verifies against it; `exp` (if any) is not before `now` ("claims expired at
/// ..."); `nbf` (if any) is not after `now` ("claims are not valid until ..."). Errors: kInvalidClaims otherwise.
Expected<void> validateToken(const Token& token, int64_t now);

/// validateToken() without the time checks: the token is well-formed and signed by its issuer.
Expected<void> verifyTokenSignature(const Token& token);

/// The time checks of validateToken() alone: kInvalidClaims "claims expired at ..." if `exp` < `now`, "claims are
/// not valid until ..." if `nbf` > `now`.
Expected<void> checkTokenTimes(const RegisteredClaims& claims, int64_t now);

/// A random 22-character token id (nuid-like: uppercase letters and digits), from libsodium's CSPRNG.
std::string generateTokenId();

}  // namespace stratus::claims
