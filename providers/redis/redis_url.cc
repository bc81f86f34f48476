#include "redis_url.h"

#include <charconv>
#include <optional>

namespace stratus::providers::redis {
namespace {

constexpr std::string_view kScheme = "redis://";

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

// The user info ends at the last '@': a password may hold any character, even unencoded '/', '?' or '@', and
// nothing after the host may contain '@' in a valid URL, so this split is never wrong for a valid one.
size_t userInfoEnd(std::string_view rest) { return rest.rfind('@'); }

// `text` with any password replaced by ***, for error messages about a URL that may not even parse.
std::string redactRaw(std::string_view text) {
  const size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return std::string(text.substr(0, 200));
  std::string_view rest = text.substr(scheme_end + 3);
  const size_t at = userInfoEnd(rest);
  if (at == std::string_view::npos) return std::string(text.substr(0, 200));
  std::string_view user = rest.substr(0, at);
  user = user.substr(0, user.find(':'));
  std::string out(text.substr(0, scheme_end + 3));
  out.append(user);
  out.append(":***@");
  out.append(rest.substr(at + 1, 200));
  return out;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = hexValue(s[i + 1]);
    const int lo = hexValue(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

template <typename T>
std::optional<T> parseNumber(std::string_view s, T max) {
  T v{};
  if (s.empty() || s.size() > 10) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

}  // namespace

Expected<RedisUrl> parseRedisUrl(std::string_view text) {
  const std::string shown = redactRaw(text);
  auto bad = [&](std::string_view why) {
    std::string msg = "link value URL='";
    msg += shown;
    msg += "': ";
    msg += why;
    msg += " (expected redis://[[user]:password@]host[:port][/db])";
    return fail(ErrorCode::kInvalidArgument, std::move(msg));
  };
  if (startsWithNoCase(text, "rediss://")) {
    return bad("TLS (rediss://) is not supported by this provider; use redis:// on a trusted network");
  }
  if (!startsWithNoCase(text, kScheme)) return bad("the scheme must be redis://");
  std::string_view rest = text.substr(kScheme.size());

  RedisUrl url;
  const size_t at = userInfoEnd(rest);
  if (at != std::string_view::npos) {
    std::string_view info = rest.substr(0, at);
    const size_t colon = info.find(':');
    if (colon == std::string_view::npos) return bad("the user info must be [user]:password");
    auto user = percentDecode(info.substr(0, colon));
    auto password = percentDecode(info.substr(colon + 1));
    if (!user || !password) return bad("bad percent-encoding in the user info");
    if (password->empty()) return bad("the password is empty");
    url.user = std::move(*user);
    url.password = std::move(*password);
    rest = rest.substr(at + 1);
  }
  if (rest.find_first_of("?#") != std::string_view::npos) return bad("query parameters are not supported");

  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);

  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("an IPv6 host needs a closing ']'");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("unexpected text after the IPv6 host");
      port_text = after.substr(1);
      if (port_text.empty()) return bad("the port is empty");
    }
  } else {
    const size_t colon = authority.find(':');
    if (colon != std::string_view::npos && authority.find(':', colon + 1) != std::string_view::npos) {
      return bad("an IPv6 host must be in brackets");
    }
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return bad("the port is empty");
    }
  }
  if (url.host.empty()) return bad("the host is empty");
  if (!port_text.empty()) {
    auto port = parseNumber<uint32_t>(port_text, 65535);
    if (!port || *port == 0) return bad("the port must be a number from 1 to 65535");
    url.port = static_cast<uint16_t>(*port);
  }
  if (!path.empty()) {
    auto db = parseNumber<uint32_t>(path, INT32_MAX);
    if (!db) return bad("the path must be a database number");
    url.db = *db;
  }

  // Rebuilt from the parts, so the form in messages is canonical and never carries the password.
  std::string redacted(kScheme);
  if (!url.password.empty()) {
    redacted.append(url.user);
    redacted.append(":***@");
  }
  const bool ipv6 = url.host.find(':') != std::string::npos;
  if (ipv6) redacted += '[';
  redacted.append(url.host);
  if (ipv6) redacted += ']';
  redacted += ':';
  redacted.append(std::to_string(url.port));
  redacted += '/';
  redacted.append(std::to_string(url.db));
  url.redacted = std::move(redacted);
  return url;
}

}  // namespace stratus::providers::redis
