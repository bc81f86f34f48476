#include "oci/auth.h"

#include <curl/curl.h>
#include <sodium.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "oci/http.h"
#include "stratus/common/strings.h"

namespace stratus::oci {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string urlEncode(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::optional<std::string> base64Decode(const std::string& text) {
  std::string out(text.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                        &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

// "https://index.docker.io/v1/" → "index.docker.io"; "host:5000" → "host:5000".
std::string authsKeyHost(std::string key) {
  if (const auto scheme = key.find("://"); scheme != std::string::npos) key = key.substr(scheme + 3);
  if (const auto slash = key.find('/'); slash != std::string::npos) key.resize(slash);
  return key;
}

std::string dockerConfigPath(const AuthOptions& options) {
  if (!options.credentials_file.empty()) return options.credentials_file;
  if (const char* dir = std::getenv("DOCKER_CONFIG"); dir && *dir) return std::string(dir) + "/config.json";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.docker/config.json";
  return {};
}

}  // namespace

std::string Challenge::param(const std::string& name) const {
  const auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

Expected<Challenge> parseChallenge(std::string_view header) {
  Challenge challenge;
  size_t i = 0;
  while (i < header.size() && header[i] == ' ') ++i;
  const size_t scheme_end = header.find(' ', i);
  challenge.scheme = lower(std::string(header.substr(i, scheme_end == std::string_view::npos ? header.size() - i
                                                                                                : scheme_end - i)));
  if (challenge.scheme.empty()) {
    return fail(ErrorCode::kMalformed, "WWW-Authenticate header '" + std::string(header) + "' names no scheme");
  }
  i = scheme_end == std::string_view::npos ? header.size() : scheme_end + 1;
  while (i < header.size()) {
    while (i < header.size() && (header[i] == ' ' || header[i] == ',')) ++i;
    const size_t eq = header.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string name = lower(std::string(trim(header.substr(i, eq - i))));
    i = eq + 1;
    std::string value;
    if (i < header.size() && header[i] == '"') {
      ++i;
      while (i < header.size() && header[i] != '"') {
        if (header[i] == '\\' && i + 1 < header.size()) ++i;
        value += header[i++];
      }
      if (i >= header.size()) {
        return fail(ErrorCode::kMalformed, "WWW-Authenticate header '" + std::string(header) + "': unclosed quote");
      }
      ++i;
    } else {
      while (i < header.size() && header[i] != ',') value += header[i++];
    }
    // A second challenge ("…, Basic realm=…") starts after a comma with a bare scheme: stop at the first.
    if (name.find(' ') != std::string::npos) break;
    challenge.params[name] = value;
  }
  return challenge;
}

Expected<std::optional<Credentials>> findCredentials(const AuthOptions& options, const std::string& registry) {
  if (options.credentials) return options.credentials;
  const char* user = std::getenv("OCI_REGISTRY_USER");
  const char* password = std::getenv("OCI_REGISTRY_PASSWORD");
  if (user && *user && password) return std::optional<Credentials>(Credentials{user, password});

  const std::string path = dockerConfigPath(options);
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) {
    if (!options.credentials_file.empty()) {
      return fail(ErrorCode::kNotFound, "registry credentials file " + path + " does not exist");
    }
    return std::optional<Credentials>();
  }
  std::ifstream in(path);
  const auto config = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded() || !config.is_object()) {
    return fail(ErrorCode::kMalformed, "registry credentials file " + path + " is not JSON");
  }
  const auto auths = config.find("auths");
  if (auths == config.end() || !auths->is_object()) return std::optional<Credentials>();
  for (const auto& [key, entry] : auths->items()) {
    const std::string host = authsKeyHost(key);
    const bool docker_hub = registry == "docker.io" && (host == "index.docker.io" || host == "registry-1.docker.io");
    if (host != registry && !docker_hub) continue;
    if (!entry.is_object()) break;
    if (entry.contains("auth") && entry["auth"].is_string()) {
      const auto decoded = base64Decode(entry["auth"].get<std::string>());
      const auto colon = decoded ? decoded->find(':') : std::string::npos;
      if (colon == std::string::npos) {
        return fail(ErrorCode::kMalformed, "registry credentials file " + path + ": the auth of '" + key +
                                               "' is not base64 of user:password");
      }
      return std::optional<Credentials>(Credentials{decoded->substr(0, colon), decoded->substr(colon + 1)});
    }
    if (entry.contains("username") && entry.contains("password") && entry["username"].is_string() &&
        entry["password"].is_string()) {
      return std::optional<Credentials>(
          Credentials{entry["username"].get<std::string>(), entry["password"].get<std::string>()});
    }
  }
  return std::optional<Credentials>();
}

std::string basicAuthorization(const Credentials& credentials) {
  const std::string plain = credentials.username + ":" + credentials.password;
  std::string encoded(sodium_base64_ENCODED_LEN(plain.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(encoded.data(), encoded.size(), reinterpret_cast<const unsigned char*>(plain.data()),
                    plain.size(), sodium_base64_VARIANT_ORIGINAL);
  encoded.resize(std::strlen(encoded.c_str()));
  return "Basic " + encoded;
}

Expected<std::string> fetchBearerToken(const Challenge& challenge, const std::string& scope,
                                       const std::optional<Credentials>& credentials,
                                       std::chrono::milliseconds timeout) {
  const std::string realm = challenge.param("realm");
  if (realm.empty()) return fail(ErrorCode::kMalformed, "Bearer challenge without a realm");
  std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
  if (const auto service = challenge.param("service"); !service.empty()) url += "service=" + urlEncode(service) + "&";
  const std::string wanted = challenge.param("scope").empty() ? scope : challenge.param("scope");
  url += "scope=" + urlEncode(wanted);
  HttpRequest request;
  request.url = url;
  request.timeout = timeout;
  if (credentials) request.headers.push_back("Authorization: " + basicAuthorization(*credentials));
  auto response = performHttp(request);
  if (!response) return fail(response.takeError().prefixed("token server: "));
  if (response->status == 401 || response->status == 403) {
    return fail(ErrorCode::kPermissionDenied, "token server " + realm + " refused " +
                                                  (credentials ? "the credentials of " + credentials->username
                                                               : std::string("anonymous access")) +
                                                  " (HTTP " + std::to_string(response->status) + ")");
  }
  if (response->status != 200) {
    return fail(ErrorCode::kUnavailable,
                "token server " + realm + " answered HTTP " + std::to_string(response->status));
  }
  const auto body = nlohmann::json::parse(response->text(), nullptr, false);
  for (const char* field : {"token", "access_token"}) {
    if (body.is_object() && body.contains(field) && body[field].is_string() &&
        !body[field].get<std::string>().empty()) {
      return body[field].get<std::string>();
    }
  }
  return fail(ErrorCode::kMalformed, "token server " + realm + " answered without a token");
}

}  // namespace stratus::oci
