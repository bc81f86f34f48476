// One connection to a NATS server (libnats): connect with credentials, publish, request, subscribe. The lattice's
// RPC and control clients are each one of these.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stratus/common/expected.h"
#include "stratus/lattice/lattice.h"

struct __natsConnection;
struct __natsMsg;
struct __natsSubscription;

namespace stratus::lattice {

/// A received message; owns libnats' message. Movable, not copyable.
class NatsMessage {
 public:
  explicit NatsMessage(__natsMsg* msg) : msg_(msg) {}
  NatsMessage(NatsMessage&& other) noexcept : msg_(std::exchange(other.msg_, nullptr)) {}
  NatsMessage& operator=(NatsMessage&& other) noexcept;
  NatsMessage(const NatsMessage&) = delete;
  NatsMessage& operator=(const NatsMessage&) = delete;
  ~NatsMessage();

  std::string_view subject() const;
  /// The reply subject, "" when the sender expects no reply.
  std::string_view reply() const;
  std::span<const uint8_t> data() const;

 private:
  __natsMsg* msg_;
};

/// A subscription whose handler runs on a libnats thread. Destroying it unsubscribes and waits (up to 5 s) until
/// the handler has returned for the last time, so what the handler uses may be freed right after.
class NatsSubscription {
 public:
  ~NatsSubscription();
  NatsSubscription(const NatsSubscription&) = delete;
  NatsSubscription& operator=(const NatsSubscription&) = delete;

 private:
  friend class NatsClient;
  struct State;
  explicit NatsSubscription(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

/// A connection that reconnects by itself (forever, with a backoff from 100 ms doubling to 5 s) and then restores
/// its subscriptions (libnats does), logging each loss and return. Requests fail at once while it is down.
/// Thread-safe.
class NatsClient {
 public:
  /// Connects to `endpoint` with its credentials (a creds file, a JWT with its seed, or an nkey seed alone).
  /// `role` names the connection in messages ("RPC", "control"). Errors: kUnavailable naming the server when none
  /// answers, kPermissionDenied when it refuses the credentials, kInvalidArgument for unusable credentials.
  static Expected<std::unique_ptr<NatsClient>> connect(const NatsEndpoint& endpoint, std::string role,
                                                       std::string client_name);
  ~NatsClient();
  NatsClient(const NatsClient&) = delete;
  NatsClient& operator=(const NatsClient&) = delete;

  /// Sends `data` on `subject`. kUnavailable when the connection is closed.
  Expected<void> publish(const std::string& subject, std::span<const uint8_t> data);
  /// Sends a request and waits up to `timeout` for the first reply. Errors: kDeadlineExceeded when none came,
  /// kNotFound when no one subscribes to `subject`, kUnavailable when the connection is down.
  Expected<Bytes> request(const std::string& subject, std::span<const uint8_t> data, std::chrono::milliseconds timeout);
  /// Sends a request and gathers every reply that comes within `timeout` (or until `max_replies` came, when not 0),
  /// as control-interface queries answered by every host do. No reply is not an error.
  Expected<std::vector<Bytes>> collect(const std::string& subject, std::span<const uint8_t> data,
                                       std::chrono::milliseconds timeout, size_t max_replies = 0);
  /// Subscribes `handler` (run on a libnats thread: it must return quickly) to `subject`, in `queue_group` unless
  /// empty.
  Expected<std::unique_ptr<NatsSubscription>> subscribe(const std::string& subject, const std::string& queue_group,
                                                        std::function<void(NatsMessage)> handler);
  /// Waits until the server has processed everything sent so far (e.g. subscriptions), up to `timeout`.
  Expected<void> flush(std::chrono::milliseconds timeout);
  /// Whether the connection is up now.
  bool connected() const;
  /// "RPC connection to nats://host:port", for messages.
  const std::string& description() const { return description_; }

 private:
  friend class NatsKeyValue;
  struct Callbacks;
  NatsClient(__natsConnection* connection, Callbacks* callbacks, std::string description)
      : connection_(connection), callbacks_(callbacks), description_(std::move(description)) {}
  Error failure(ErrorCode code, std::string_view what, int status) const;

  __natsConnection* connection_;
  Callbacks* callbacks_;  // owned by the connection: deleted by its closed callback
  const std::string description_;
};

}  // namespace stratus::lattice
