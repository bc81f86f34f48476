// Hand-off of received NATS messages to an actor: libnats' delivery threads only copy a message into a bounded
// queue; a few worker threads per actor call the actor's HandleMessage through the host's dispatcher.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "stratus/codec/messaging.h"
#include "stratus/common/thread_annotations.h"
#include "stratus/provider.hpp"

namespace stratus::providers::nats {

/// The host log as seen from provider threads (libnats callbacks, workers): lines go through until deactivate()
/// returns, never after, so nothing logs once the provider's stop has returned. Thread-safe.
class LogSink {
 public:
  explicit LogSink(provider::Dispatcher dispatcher) : dispatcher_(dispatcher) {}

  /// Writes `text` at `level` unless deactivated.
  void log(stratus_log_level level, const std::string& text) STRATUS_EXCLUDES(mu_);
  /// Stops logging; waits for a line being written.
  void deactivate() STRATUS_EXCLUDES(mu_);

 private:
  provider::Dispatcher dispatcher_;
  Mutex mu_;
  bool active_ STRATUS_GUARDED_BY(mu_) = true;
};

/// Lets a repeated event through at most once per interval and counts the ones held back. Thread-safe.
class Throttle {
 public:
  explicit Throttle(std::chrono::milliseconds interval) : interval_(interval) {}
  /// True when the event should be reported now; `suppressed` is set to how many were held back since the last
  /// report.
  bool allow(uint64_t& suppressed) STRATUS_EXCLUDES(mu_);

 private:
  std::chrono::milliseconds interval_;
  Mutex mu_;
  std::chrono::steady_clock::time_point last_ STRATUS_GUARDED_BY(mu_) = {};
  bool reported_ STRATUS_GUARDED_BY(mu_) = false;
  uint64_t held_back_ STRATUS_GUARDED_BY(mu_) = 0;
};

/// The queue of messages for one actor and the threads that deliver them as HandleMessage calls. At most
/// `max_pending` messages wait; a message arriving at a full queue is dropped and the drops are logged (at most
/// once a second, with a count). With one thread messages reach the actor in arrival order. A failed
/// HandleMessage is logged (throttled the same way); the actor's reply is ignored: in wasmCloud 0.18 an actor
/// answers a request by publishing to its replyTo itself. Thread-safe.
class Delivery {
 public:
  Delivery(std::string actor, provider::Dispatcher dispatcher, std::shared_ptr<LogSink> log, size_t max_pending,
           unsigned threads);
  ~Delivery();
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  /// Starts the worker threads. Errors: kResourceExhausted when a thread cannot be created.
  Expected<void> start() STRATUS_EXCLUDES(join_mu_);
  /// Queues `message` (called on libnats' threads; never blocks on the actor). Ignored after close().
  void push(codec::BrokerMessage message) STRATUS_EXCLUDES(mu_);
  /// Stops taking messages, discards the queued ones, waits for the calls in flight and joins the workers.
  /// Returns how many queued messages were discarded. Idempotent.
  size_t close() STRATUS_EXCLUDES(join_mu_, mu_);

  /// Messages dropped because the queue was full, since creation.
  uint64_t dropped() const STRATUS_EXCLUDES(mu_);

 private:
  void work() STRATUS_EXCLUDES(mu_);

  const std::string actor_;
  const provider::Dispatcher dispatcher_;
  const std::shared_ptr<LogSink> log_;
  const size_t max_pending_;
  const unsigned thread_count_;

  mutable Mutex mu_;
  std::condition_variable cv_;
  std::deque<codec::BrokerMessage> queue_ STRATUS_GUARDED_BY(mu_);
  bool closed_ STRATUS_GUARDED_BY(mu_) = false;
  uint64_t dropped_ STRATUS_GUARDED_BY(mu_) = 0;
  Mutex join_mu_;                                                  // serializes start() and close() callers
  std::vector<std::thread> threads_ STRATUS_GUARDED_BY(join_mu_);  // started by start(), joined by close()

  Throttle drop_throttle_{std::chrono::seconds(1)};
  Throttle failure_throttle_{std::chrono::seconds(1)};
};

}  // namespace stratus::providers::nats
