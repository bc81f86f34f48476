// Link values of the wasmcloud:httpserver provider: what one linked actor's listener is configured with.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "stratus/common/expected.h"

namespace stratus::httpserver {

/// The listener settings of one linked actor, parsed from its link values.
struct ListenerConfig {
  /// Address to bind: an IPv4 or IPv6 literal (no brackets). Default 0.0.0.0.
  std::string address = "0.0.0.0";
  /// TCP port; 0 binds an ephemeral port (the bound one is logged). Default 8080, as wasmCloud's provider.
  uint16_t port = 8080;
  /// Largest request body accepted; a larger one is answered with 413. Link value MAX_BODY_BYTES.
  std::size_t max_body_bytes = std::size_t{1} << 20;
  /// How long the actor may take to answer HandleRequest before the client gets 504. Link value TIMEOUT_MS.
  std::chrono::milliseconds timeout{30000};
  /// How long an idle keep-alive connection (or a slow request) is kept open. Link value IDLE_TIMEOUT_MS.
  std::chrono::milliseconds idle_timeout{60000};
  /// CORS_ALLOWED_ORIGINS: comma list, or "*". Empty disables CORS handling altogether.
  std::string cors_origins;
  /// CORS_ALLOWED_METHODS: sent in preflight replies (a default list when empty).
  std::string cors_methods;
  /// CORS_ALLOWED_HEADERS: sent in preflight replies (the requested headers are echoed when empty).
  std::string cors_headers;

  /// "IP:PORT" (IPv6 in brackets) of the configured address.
  std::string endpoint() const;
};

/// Reads a listener configuration from link values:
///   PORT            "8080"; binds 0.0.0.0:PORT
///   BIND            "IP:PORT", "[IPv6]:PORT" or "PORT" (address 0.0.0.0); wins over PORT when both are given
///   MAX_BODY_BYTES  positive integer (default 1 MiB)
///   TIMEOUT_MS      positive integer (default 30000)
///   IDLE_TIMEOUT_MS positive integer (default 60000)
///   WORKERS         accepted and ignored: one shared thread pool serves every listener
///   CORS_ALLOWED_ORIGINS / _METHODS / _HEADERS
/// Other values (including the host's __wasmcloud_* ones) are ignored. Errors: kInvalidArgument naming the key and
/// the offending value.
Expected<ListenerConfig> parseListenerConfig(const std::map<std::string, std::string>& values);

}  // namespace stratus::httpserver
