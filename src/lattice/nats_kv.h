// A NATS JetStream key-value bucket (libnats' KV API): put, create, delete, and a watch of every key.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <thread>

#include "lattice/nats_client.h"
#include "stratus/common/expected.h"

struct __jsCtx;
struct __kvStore;
struct __kvWatcher;

namespace stratus::lattice {

/// One bucket, created when missing (file storage, one value per key) and shared by everyone who opens it. Watching
/// runs on a thread of its own. Thread-safe.
class NatsKeyValue {
 public:
  /// What a watch reports: a key was put (with its value) or deleted.
  struct Change {
    std::string key;
    bool deleted = false;
    std::span<const uint8_t> value;
  };

  /// Opens (or creates) `bucket` on `client`'s server. Errors: kUnavailable naming the server when it has no
  /// JetStream (nats-server runs without -js) or cannot be reached.
  static Expected<std::unique_ptr<NatsKeyValue>> open(NatsClient& client, const std::string& bucket);
  ~NatsKeyValue();
  NatsKeyValue(const NatsKeyValue&) = delete;
  NatsKeyValue& operator=(const NatsKeyValue&) = delete;

  Expected<void> put(const std::string& key, std::span<const uint8_t> value);
  /// Puts `value` only when `key` has no value: false when it had one (its first writer wins).
  Expected<bool> create(const std::string& key, std::span<const uint8_t> value);
  Expected<void> erase(const std::string& key);

  /// Starts watching every key: `on_change` gets each current value first, then every change as it happens, all
  /// on the watch thread. Returns once the current values were delivered (or an error).
  Expected<void> watch(std::function<void(const Change&)> on_change);
  /// Stops the watch (waits for a change being applied). Idempotent.
  void stopWatching();

  const std::string& bucket() const { return bucket_; }

 private:
  NatsKeyValue(__jsCtx* js, __kvStore* kv, std::string bucket, std::string server)
      : js_(js), kv_(kv), bucket_(std::move(bucket)), server_(std::move(server)) {}
  Error failure(std::string_view what, int status) const;

  __jsCtx* js_;
  __kvStore* kv_;
  const std::string bucket_;
  const std::string server_;
  __kvWatcher* watcher_ = nullptr;
  std::thread watch_thread_;
};

}  // namespace stratus::lattice
