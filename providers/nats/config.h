// The link values of the wasmcloud:messaging NATS provider, parsed and checked once at BindActor.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "stratus/common/expected.h"

namespace stratus::providers::nats {

/// The default server when a link has no URL (wasmCloud's provider used nats://0.0.0.0:4222).
inline constexpr const char* kDefaultUrl = "nats://127.0.0.1:4222";

/// One actor's connection settings. Plain data; compared to tell a repeated BindActor from a changed link.
struct NatsConfig {
  std::vector<std::string> servers;        ///< URL: comma list, each item trimmed, empty items skipped
  std::vector<std::string> subscriptions;  ///< SUBSCRIPTION: comma list of subjects (wildcards allowed)
  std::string queue_group;                 ///< QUEUEGROUP_NAME: subscribe as this queue group ("" = plain)
  std::string client_jwt;                  ///< CLIENT_JWT: a NATS user JWT (needs CLIENT_SEED)
  std::string client_seed;                 ///< CLIENT_SEED: the user's nkey seed ("SU...") signing the nonce
  std::string creds_file;                  ///< CREDSFILE: a .creds file (JWT + seed); wins over CLIENT_JWT
  int64_t request_timeout_ms = 1000;       ///< REQUEST_TIMEOUT_MS: a Request whose `timeout` is <= 0 uses this
  int64_t connect_timeout_ms = 2000;       ///< CONNECT_TIMEOUT_MS: per connection attempt
  int64_t reconnect_wait_ms = 100;         ///< RECONNECT_WAIT_MS: first wait between reconnect rounds
  int64_t reconnect_max_wait_ms = 2000;    ///< RECONNECT_MAX_WAIT_MS: the doubling wait stops growing here
  uint64_t max_pending = 1024;             ///< MAX_PENDING: messages queued for the actor before new ones drop
  uint32_t delivery_threads = 1;           ///< DELIVERY_THREADS: concurrent HandleMessage calls (1 keeps order)
  bool send_asap = true;                   ///< SEND_ASAP: write each publish at once (false: batch ~1 ms)

  bool operator==(const NatsConfig&) const = default;

  /// The servers as one comma-separated text, for messages.
  std::string serverList() const;
};

/// Parses the link values of one actor (the host's hidden __wasmcloud_* values are ignored). Errors
/// (kInvalidArgument, naming the value): a number out of range, a boolean that is not true/false, CLIENT_JWT
/// without CLIENT_SEED or the reverse, a CLIENT_SEED that is not a valid nkey seed, a CREDSFILE that cannot be read,
/// a URL list with no server in it.
Expected<NatsConfig> parseConfig(const std::map<std::string, std::string>& values);

}  // namespace stratus::providers::nats
