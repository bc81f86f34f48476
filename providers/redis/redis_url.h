// The link value URL of the Redis key-value provider: redis://[[user]:password@]host[:port][/db].
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "stratus/common/expected.h"

namespace stratus::providers::redis {

/// The URL wasmCloud's Redis provider used when a link has no URL (it said 0.0.0.0; we connect to loopback).
inline constexpr std::string_view kDefaultRedisUrl = "redis://127.0.0.1:6379/0";

/// Where and how to connect to one Redis server.
struct RedisUrl {
  std::string host;      ///< host name, IPv4 address, or IPv6 address without brackets
  uint16_t port = 6379;
  uint32_t db = 0;       ///< SELECTed after connecting when not 0
  std::string user;      ///< ACL user name (Redis 6+); empty: AUTH with the password alone
  std::string password;  ///< empty: no AUTH
  /// The URL with the password replaced by "***": the only form that appears in messages and logs.
  std::string redacted;
};

/// Parses `text` (redis://[[user]:password@]host[:port][/db], user and password percent-decoded; IPv6 hosts in
/// brackets). Errors (kInvalidArgument, naming the URL without its password and what is wrong): another scheme
/// (rediss:// says TLS is not supported), an empty host, a port outside 1..65535, a db that is not a number below
/// 2^31, a query or fragment, bad percent-encoding.
Expected<RedisUrl> parseRedisUrl(std::string_view text);

}  // namespace stratus::providers::redis
