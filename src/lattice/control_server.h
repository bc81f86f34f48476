// This host's side of the lattice control interface (wasmbus.ctl.{ns}.*, JSON, wasmCloud 0.18.2).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "lattice/control_wire.h"
#include "lattice/nats_client.h"
#include "lattice/subjects.h"
#include "common/work_queue.h"
#include "stratus/host/host.h"

namespace stratus::lattice {

/// Answers the control interface: get.hosts, get.{host}.inv, get.links, get.claims, the actor and provider
/// auctions, and the commands cmd.{host}.la / sa / lp / sp / upd. Subscribes without a queue group (every host
/// answers; single-answer queries take the first). Requests are handled on the WorkQueue, never on a libnats
/// thread; a request that does not parse is answered with nothing but a log line, as 0.18 does. Thread-safe.
class ControlServer {
 public:
  ControlServer(NatsClient& ctl, WorkQueue& work, Subjects subjects, host::Host& host)
      : ctl_(ctl), work_(work), subjects_(std::move(subjects)), host_(host) {}

  /// Subscribes. Errors: a subscription failed.
  Expected<void> start();
  /// Unsubscribes (requests in flight finish on the WorkQueue).
  void stop();

  /// The answers, one per subject; each returns the JSON reply, or nullopt for no reply (an auction this host
  /// does not qualify for, or a request that does not parse).
  std::optional<std::string> answer(std::string_view subject, std::string_view request);

 private:
  std::string hosts() const;
  std::string inventory() const;
  std::string links() const;
  std::string claims() const;
  std::optional<std::string> actorAuction(std::string_view request) const;
  std::optional<std::string> providerAuction(std::string_view request) const;
  std::optional<std::string> startActor(std::string_view request);
  std::optional<std::string> stopActor(std::string_view request);
  std::optional<std::string> startProvider(std::string_view request);
  std::optional<std::string> stopProvider(std::string_view request);
  std::optional<std::string> updateActor(std::string_view request);
  bool satisfies(const ctl::StringMap& constraints) const;
  /// The public key of the running actor started from `image_ref`, or "".
  std::string actorByRef(const std::string& image_ref) const;

  NatsClient& ctl_;
  WorkQueue& work_;
  const Subjects subjects_;
  host::Host& host_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<NatsSubscription>> subscriptions_;
};

}  // namespace stratus::lattice
