// AWS Signature Version 4 (header-based), as S3 and every other AWS service check it:
// https://docs.aws.amazon.com/general/latest/gr/sigv4_signing.html and the S3 specifics in
// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html.
//
// The signer is pure: it sees the request as the caller will send it and returns the pieces (canonical request,
// string to sign, signature, Authorization header), so each step can be tested against AWS's published vectors.
// SHA-256 and HMAC-SHA256 come from libsodium. Thread-safe (no state).
#pragma once

#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stratus::providers::s3 {

/// The payload hash S3 accepts when the body is not hashed (sent as x-amz-content-sha256).
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

/// Long-term (or temporary, with a session token) AWS credentials.
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  ///< empty unless temporary credentials; sent as x-amz-security-token
};

/// A request as it goes on the wire, for signing.
struct SigV4Request {
  std::string method;         ///< "GET", "PUT", ...
  std::string canonical_uri;  ///< the path exactly as sent, already percent-encoded (S3: encoded once, no dot-segment
                              ///< normalization), e.g. "/bucket/my%20key"
  /// Query parameters, raw (not encoded), in any order; a parameter without a value has an empty second.
  std::vector<std::pair<std::string, std::string>> query;
  /// Headers to sign, raw names in any case and values as sent; must include host and x-amz-date (and, for S3,
  /// x-amz-content-sha256). Repeated names are joined in order, as AWS does.
  std::vector<std::pair<std::string, std::string>> headers;
  /// Lowercase hex SHA-256 of the body, or kUnsignedPayload.
  std::string payload_hash;
};

/// The signature and the intermediate strings (for tests and error messages).
struct SigV4Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  ///< "host;x-amz-date"
  std::string signature;       ///< lowercase hex
  std::string authorization;   ///< the Authorization header value
};

/// Lowercase hex SHA-256 of `data`.
std::string sha256Hex(std::string_view data);
/// Raw (32-byte) HMAC-SHA256 of `data` under `key` (any length).
std::string hmacSha256(std::string_view key, std::string_view data);
/// Lowercase hex of raw bytes.
std::string toHex(std::string_view raw);

/// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters (A-Z a-z 0-9 - . _ ~) stay, everything
/// else becomes %XX with uppercase hex; '/' stays when `keep_slash` (paths) and is encoded otherwise (query).
std::string uriEncode(std::string_view s, bool keep_slash);

/// The canonical query string: names and values encoded, sorted by name then value, joined with '&'.
std::string canonicalQueryString(const std::vector<std::pair<std::string, std::string>>& query);

/// `t` as the x-amz-date timestamp "YYYYMMDDTHHMMSSZ" (UTC).
std::string amzDate(std::time_t t);

/// The signing key HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"), raw.
/// `date` is the "YYYYMMDD" part of the x-amz-date.
std::string signingKey(std::string_view secret_access_key, std::string_view date, std::string_view region,
                       std::string_view service);

/// Signs `request` for `region`/`service` at `amz_date` ("YYYYMMDDTHHMMSSZ", which must equal the request's
/// x-amz-date header). Never fails: garbage in gives a signature the server rejects.
SigV4Signature signV4(const SigV4Request& request, const Credentials& credentials, std::string_view region,
                      std::string_view service, std::string_view amz_date);

}  // namespace stratus::providers::s3
