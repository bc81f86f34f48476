#include "sigv4.h"

#include <sodium.h>

#include <algorithm>
#include <map>

namespace stratus::providers::s3 {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Trims the value and collapses runs of spaces to one, as the canonical header form requires.
std::string canonicalValue(std::string_view v) {
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!v.empty() && blank(v.front())) v.remove_prefix(1);
  while (!v.empty() && blank(v.back())) v.remove_suffix(1);
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (blank(c)) {
      if (!out.empty() && out.back() == ' ') continue;
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string toHex(std::string_view raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string sha256Hex(std::string_view data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return toHex(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string hmacSha256(std::string_view key, std::string_view data) {
  crypto_auth_hmacsha256_state state;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  crypto_auth_hmacsha256_final(&state, mac);
  sodium_memzero(&state, sizeof state);
  return std::string(reinterpret_cast<const char*>(mac), sizeof mac);
}

std::string uriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                            c == '.' || c == '_' || c == '~';
    if (unreserved || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 15]);
    }
  }
  return out;
}

std::string canonicalQueryString(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) encoded.emplace_back(uriEncode(name, false), uriEncode(value, false));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out.append(name);
    out.push_back('=');
    out.append(value);
  }
  return out;
}

std::string amzDate(std::time_t t) {
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &utc);
  return buf;
}

std::string signingKey(std::string_view secret_access_key, std::string_view date, std::string_view region,
                       std::string_view service) {
  std::string k_secret = "AWS4";
  k_secret.append(secret_access_key);
  std::string key = hmacSha256(k_secret, date);
  sodium_memzero(k_secret.data(), k_secret.size());
  key = hmacSha256(key, region);
  key = hmacSha256(key, service);
  return hmacSha256(key, "aws4_request");
}

SigV4Signature signV4(const SigV4Request& request, const Credentials& credentials, std::string_view region,
                      std::string_view service, std::string_view amz_date) {
  // Canonical headers: lowercase names, sorted; repeated names joined with ',' in their original order.
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : request.headers) {
    std::string key(name.size(), '\0');
    std::transform(name.begin(), name.end(), key.begin(), lower);
    auto [it, inserted] = headers.try_emplace(key, canonicalValue(value));
    if (!inserted) {
      it->second.push_back(',');
      it->second.append(canonicalValue(value));
    }
  }
  SigV4Signature out;
  std::string canonical_headers;
  for (const auto& [name, value] : headers) {
    canonical_headers.append(name);
    canonical_headers.push_back(':');
    canonical_headers.append(value);
    canonical_headers.push_back('\n');
    if (!out.signed_headers.empty()) out.signed_headers.push_back(';');
    out.signed_headers.append(name);
  }

  std::string& creq = out.canonical_request;
  creq.append(request.method).push_back('\n');
  creq.append(request.canonical_uri.empty() ? "/" : request.canonical_uri).push_back('\n');
  creq.append(canonicalQueryString(request.query)).push_back('\n');
  creq.append(canonical_headers).push_back('\n');
  creq.append(out.signed_headers).push_back('\n');
  creq.append(request.payload_hash);

  const std::string_view date = amz_date.substr(0, std::min<size_t>(8, amz_date.size()));
  std::string scope(date);
  scope.push_back('/');
  scope.append(region);
  scope.push_back('/');
  scope.append(service);
  scope.append("/aws4_request");

  std::string& sts = out.string_to_sign;
  sts.append("AWS4-HMAC-SHA256\n");
  sts.append(amz_date).push_back('\n');
  sts.append(scope).push_back('\n');
  sts.append(sha256Hex(creq));

  std::string key = signingKey(credentials.secret_access_key, date, region, service);
  out.signature = toHex(hmacSha256(key, sts));
  sodium_memzero(key.data(), key.size());

  std::string& authz = out.authorization;
  authz.append("AWS4-HMAC-SHA256 Credential=");
  authz.append(credentials.access_key_id);
  authz.push_back('/');
  authz.append(scope);
  authz.append(", SignedHeaders=");
  authz.append(out.signed_headers);
  authz.append(", Signature=");
  authz.append(out.signature);
  return out;
}

}  // namespace stratus::providers::s3
