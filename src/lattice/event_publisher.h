// Events on wasmbus.ctl.{ns}.events: what happens on this host, and its periodic Heartbeat.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <thread>

#include "lattice/control_wire.h"
#include "lattice/nats_client.h"
#include "lattice/subjects.h"
#include "stratus/common/thread_annotations.h"

namespace stratus::lattice {

/// Publishes PublishedEvents (JSON, 0.18.2) stamped with this host's id and the time, and, once started, a
/// Heartbeat every interval made by `heartbeat` (which runs on the publisher's own thread). Thread-safe.
class EventPublisher {
 public:
  EventPublisher(NatsClient& ctl, Subjects subjects, std::string host_id)
      : ctl_(ctl), subjects_(std::move(subjects)), host_id_(std::move(host_id)) {}
  ~EventPublisher() { stopHeartbeat(); }

  /// Publishes `event` (a failure is logged: events are best effort, as in wasmCloud).
  void publish(ctl::ControlEvent event);
  /// Starts the heartbeat thread; the first beat goes out after one interval.
  void startHeartbeat(std::chrono::milliseconds interval, std::function<ctl::Heartbeat()> heartbeat)
      STRATUS_EXCLUDES(mu_);
  /// Stops it (waits for a beat in progress). Idempotent.
  void stopHeartbeat() STRATUS_EXCLUDES(mu_);

 private:
  NatsClient& ctl_;
  const Subjects subjects_;
  const std::string host_id_;
  Mutex mu_;
  std::condition_variable cv_;
  bool stopping_ STRATUS_GUARDED_BY(mu_) = false;
  std::thread heartbeat_;
};

}  // namespace stratus::lattice
