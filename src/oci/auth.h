// Registry authentication: WWW-Authenticate challenges, where credentials come from, and Bearer tokens from a
// registry's token server (the distribution token spec: GET realm?service=…&scope=…, Basic credentials if any).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "stratus/common/expected.h"
#include "stratus/oci/oci.h"

namespace stratus::oci {

/// A parsed WWW-Authenticate header: `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`.
struct Challenge {
  std::string scheme;  ///< lowercased: "bearer", "basic"
  std::map<std::string, std::string> params;

  std::string param(const std::string& name) const;
};

/// Parses the first challenge of a WWW-Authenticate value. kMalformed naming the header when it is not one.
Expected<Challenge> parseChallenge(std::string_view header);

/// The credentials for `registry` ("host:port") by AuthOptions' rules, or nullopt (anonymous). kMalformed when a
/// credentials file exists but cannot be read as Docker's config.json, naming the file.
Expected<std::optional<Credentials>> findCredentials(const AuthOptions& options, const std::string& registry);

/// The value of an `Authorization: Basic …` header.
std::string basicAuthorization(const Credentials& credentials);

/// Asks the token server named by a Bearer challenge for a token with `scope` (the challenge's scope wins when it
/// has one). kPermissionDenied when the server refuses the credentials, kUnavailable when it cannot be reached,
/// kMalformed when its answer has no token.
Expected<std::string> fetchBearerToken(const Challenge& challenge, const std::string& scope,
                                       const std::optional<Credentials>& credentials,
                                       std::chrono::milliseconds timeout);

}  // namespace stratus::oci
