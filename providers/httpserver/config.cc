#include "config.h"

#include <arpa/inet.h>

#include <charconv>
#include <limits>
#include <string_view>

namespace stratus::httpserver {
namespace {

bool isIpv6(const std::string& address) { return address.find(':') != std::string::npos; }

// Link values come from manifests and the lattice, so they are untrusted text: parse strictly (whole string, no
// sign, no spaces around) and say which key was wrong.
Expected<uint64_t> parseUnsigned(std::string_view key, std::string_view text, uint64_t max) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v > max) {
    return fail(ErrorCode::kInvalidArgument, "httpserver link value " + std::string(key) + "='" + std::string(text) +
                                                 "' is not an integer in [0, " + std::to_string(max) + "]");
  }
  return v;
}

Expected<uint16_t> parsePort(std::string_view key, std::string_view text) {
  auto v = parseUnsigned(key, text, std::numeric_limits<uint16_t>::max());
  if (!v) return fail(v.takeError());
  return static_cast<uint16_t>(*v);
}

Expected<std::string> checkAddress(std::string_view key, std::string address) {
  if (address == "localhost") return std::string("127.0.0.1");
  unsigned char buf[sizeof(in6_addr)];
  int family = isIpv6(address) ? AF_INET6 : AF_INET;
  if (inet_pton(family, address.c_str(), buf) != 1) {
    return fail(ErrorCode::kInvalidArgument,
                "httpserver link value " + std::string(key) + ": '" + address + "' is not an IPv4 or IPv6 address");
  }
  return address;
}

// BIND is "PORT", "IP:PORT" or "[IPv6]:PORT".
Expected<void> parseBind(std::string_view text, ListenerConfig& out) {
  const std::string_view key = "BIND";
  std::string_view host;
  std::string_view port = text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return fail(ErrorCode::kInvalidArgument,
                  "httpserver link value BIND='" + std::string(text) + "' is not of the form [IPv6]:PORT");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else if (auto colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument,
                  "httpserver link value BIND='" + std::string(text) + "': put an IPv6 address in brackets");
    }
  }
  auto p = parsePort(key, port);
  if (!p) return fail(p.takeError());
  out.port = *p;
  if (!host.empty()) {
    auto a = checkAddress(key, std::string(host));
    if (!a) return fail(a.takeError());
    out.address = std::move(*a);
  }
  return ok();
}

Expected<std::chrono::milliseconds> parseMillis(std::string_view key, std::string_view text) {
  // A day is far beyond any sensible request deadline, and keeps the steady_clock arithmetic far from overflow.
  auto v = parseUnsigned(key, text, 24ull * 3600 * 1000);
  if (!v) return fail(v.takeError());
  if (*v == 0) {
    return fail(ErrorCode::kInvalidArgument, "httpserver link value " + std::string(key) + " must be positive");
  }
  return std::chrono::milliseconds(static_cast<int64_t>(*v));
}

}  // namespace

std::string ListenerConfig::endpoint() const {
  std::string port_text = std::to_string(port);
  return isIpv6(address) ? "[" + address + "]:" + port_text : address + ":" + port_text;
}

Expected<ListenerConfig> parseListenerConfig(const std::map<std::string, std::string>& values) {
  ListenerConfig config;
  auto get = [&](std::string_view key) -> const std::string* {
    auto it = values.find(std::string(key));
    return it == values.end() ? nullptr : &it->second;
  };

  if (const std::string* bind = get("BIND")) {
    STRATUS_TRY(parseBind(*bind, config));
  } else if (const std::string* port = get("PORT")) {
    auto p = parsePort("PORT", *port);
    if (!p) return fail(p.takeError());
    config.port = *p;
  }
  if (const std::string* v = get("MAX_BODY_BYTES")) {
    // Bodies are held in memory while the actor handles them; 1 GiB bounds what one link can make us allocate.
    auto n = parseUnsigned("MAX_BODY_BYTES", *v, uint64_t{1} << 30);
    if (!n) return fail(n.takeError());
    if (*n == 0) return fail(ErrorCode::kInvalidArgument, "httpserver link value MAX_BODY_BYTES must be positive");
    config.max_body_bytes = static_cast<std::size_t>(*n);
  }
  if (const std::string* v = get("TIMEOUT_MS")) {
    auto t = parseMillis("TIMEOUT_MS", *v);
    if (!t) return fail(t.takeError());
    config.timeout = *t;
  }
  if (const std::string* v = get("IDLE_TIMEOUT_MS")) {
    auto t = parseMillis("IDLE_TIMEOUT_MS", *v);
    if (!t) return fail(t.takeError());
    config.idle_timeout = *t;
  }
  if (const std::string* v = get("CORS_ALLOWED_ORIGINS")) config.cors_origins = *v;
  if (const std::string* v = get("CORS_ALLOWED_METHODS")) config.cors_methods = *v;
  if (const std::string* v = get("CORS_ALLOWED_HEADERS")) config.cors_headers = *v;
  return config;
}

}  // namespace stratus::httpserver
