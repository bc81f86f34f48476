// One linked actor's NATS connection: its subscriptions, its delivery queue, Publish and Request.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "delivery.h"
#include "stratus/codec/messaging.h"
#include "stratus/common/thread_annotations.h"
#include "stratus/provider.hpp"

// libnats types, kept out of this header's users.
typedef struct __natsConnection natsConnection;
typedef struct __natsSubscription natsSubscription;

namespace stratus::providers::nats {

struct ConnContext;

/// A connection to NATS for one actor. Created connected (or, when no server answers yet, connecting in the
/// background); reconnects forever with a doubling wait (RECONNECT_WAIT_MS .. RECONNECT_MAX_WAIT_MS, ±20% jitter)
/// and restores its subscriptions; logs disconnects and reconnects. Publish and Request are thread-safe and fail
/// at once while the connection is down. Held by shared_ptr: calls in flight keep it alive past removal.
class Link {
 public:
  /// Connects for `actor` with `config` and subscribes. When no server accepts the first attempt, the link comes
  /// up anyway, logs a warning and keeps trying in the background (subscriptions are sent once connected).
  /// Errors (kUnavailable / kInvalidArgument, naming the actor and the cause): a bad URL, rejected credentials, a
  /// credentials file libnats cannot use, a subject libnats refuses, no thread available.
  static Expected<std::shared_ptr<Link>> open(std::string actor, NatsConfig config, provider::Dispatcher dispatcher);

  ~Link();
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  /// Publishes `args.body` on `args.subject` (with `args.reply_to` when set). Errors (kUnavailable unless said
  /// otherwise), each naming the subject: not connected (reconnecting), connection closed, payload over the
  /// server's limit, an invalid subject (kInvalidArgument).
  Expected<void> publish(const codec::PublishArgs& args);
  /// Sends a request and waits for the first reply, up to `args.timeout_ms` (REQUEST_TIMEOUT_MS when <= 0).
  /// The reply comes back as {subject: the reply's subject (the inbox), replyTo, body}. Errors naming the subject:
  /// kDeadlineExceeded on timeout; kUnavailable for no responders, not connected, or a connection lost or closed
  /// while waiting.
  Expected<codec::BrokerMessage> request(const codec::RequestArgs& args);

  /// Stops delivery: unsubscribes, discards what is queued for the actor and waits for the HandleMessage calls in
  /// flight (which may still Publish). Idempotent.
  void stopDelivery() STRATUS_EXCLUDES(state_mu_);
  /// Closes the connection (after stopDelivery, flushing what was published). Later calls fail with "closed".
  /// Idempotent.
  void close() STRATUS_EXCLUDES(state_mu_);

  /// Whether the connection is up right now.
  bool connected() const;
  /// "connected to <url>", "reconnecting to <servers>", "closed", ... for health messages.
  std::string state() const;
  const NatsConfig& config() const { return config_; }
  const std::string& actor() const { return actor_; }

 private:
  Link(std::string actor, NatsConfig config) : actor_(std::move(actor)), config_(std::move(config)) {}
  Expected<void> subscribeAll() STRATUS_EXCLUDES(state_mu_);
  /// Fails fast when the connection is not up; `what` is e.g. "Publish to 'a.b'".
  Expected<void> requireConnected(const std::string& what) const;

  const std::string actor_;
  const NatsConfig config_;
  std::shared_ptr<LogSink> log_;
  std::shared_ptr<Delivery> delivery_;
  std::shared_ptr<ConnContext> context_;
  natsConnection* nc_ = nullptr;  // set once by open(); destroyed by ~Link
  Mutex state_mu_;                // serializes stopDelivery/close
  std::vector<natsSubscription*> subscriptions_ STRATUS_GUARDED_BY(state_mu_);
  bool delivery_stopped_ STRATUS_GUARDED_BY(state_mu_) = false;
  bool closed_ STRATUS_GUARDED_BY(state_mu_) = false;
};

}  // namespace stratus::providers::nats
