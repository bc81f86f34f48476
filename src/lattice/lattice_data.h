// Links and actor claims shared by every host of a lattice: kept in a JetStream key-value bucket, and advertised as
// wasmCloud 0.18 does on wasmbus.rpc.{ns}.links, .remlinks and .claims.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "lattice/nats_client.h"
#include "lattice/nats_kv.h"
#include "lattice/subjects.h"
#include "common/work_queue.h"
#include "stratus/host/host.h"

namespace stratus::lattice {

/// Writes this host's link changes and the claims of the actors it starts to the namespace's bucket
/// (LATTICEDATA_{ns}: LINKDEF_{hash} and CLAIMS_{pk}, msgpack values), where they outlive every host, and
/// publishes them as 0.18 adverts (msgpack). Applies what the bucket and the adverts say, from any host or
/// 0.18-style client: a link set or removed anywhere is set or removed here (so a provider here binds or unbinds
/// its actor), and claims become known to the host. Bucket changes are applied on the bucket's watch thread (in
/// the bucket's order, the same on every host), adverts on the WorkQueue, never on a libnats thread; applying
/// one does not write or publish it again. Without JetStream on the server the host warns and uses the adverts
/// alone. Thread-safe.
class LatticeData {
 public:
  LatticeData(NatsClient& rpc, WorkQueue& work, Subjects subjects, std::string ns, host::Host& host)
      : rpc_(rpc), work_(work), subjects_(std::move(subjects)), ns_(std::move(ns)), host_(host) {}

  /// Opens the bucket and applies what it holds (returns once it has), then subscribes to the adverts. Errors: a
  /// subscription failed.
  Expected<void> start();
  /// Stops watching and unsubscribes (applies in flight finish).
  void stop();
  /// Publishes what `event` (from this host) changed: a link set or removed, an actor's claims.
  void onHostEvent(const host::HostEvent& event);

 private:
  void publish(const std::string& subject, const Bytes& payload, std::string_view what);
  void store(const std::string& key, const Bytes& value);
  void apply(const NatsMessage& message);
  void apply(const NatsKeyValue::Change& change);
  void applyLink(const host::LinkDefinition& link);
  void applyClaims(std::span<const uint8_t> bytes, std::string_view source);

  NatsClient& rpc_;
  WorkQueue& work_;
  const Subjects subjects_;
  const std::string ns_;
  host::Host& host_;
  std::unique_ptr<NatsKeyValue> bucket_;  // null without JetStream
  // The link each LINKDEF_ key holds, for deletions (which carry the key alone). Watch thread only.
  std::map<std::string, host::LinkDefinition> stored_links_;
  std::vector<std::unique_ptr<NatsSubscription>> subscriptions_;
};

}  // namespace stratus::lattice
