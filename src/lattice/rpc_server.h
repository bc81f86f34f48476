// Invocations from the lattice to this host's actors and providers.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "lattice/antiforgery.h"
#include "lattice/nats_client.h"
#include "lattice/subjects.h"
#include "common/work_queue.h"
#include "stratus/common/thread_annotations.h"
#include "stratus/host/bus.h"
#include "stratus/host/host.h"

namespace stratus::lattice {

/// Queue-subscribes each local actor on wasmbus.rpc.{ns}.{pk} and each local provider on
/// wasmbus.rpc.{ns}.{pk}.{link_name} (the queue group is the subject, so hosts running the same entity share its
/// calls), and answers what arrives: the libnats thread only hands the message to the WorkQueue; a worker decodes
/// it, refuses it unless it passes the antiforgery check (signature, expiry, hash, subject, issuer, URLs) and, for
/// a provider target, the calling actor's known claims hold the contract; then delivers it to the local bus and
/// replies with an InvocationResponse (the error in it when anything failed). Thread-safe.
class RpcServer {
 public:
  RpcServer(NatsClient& rpc, WorkQueue& work, Subjects subjects, host::Bus& local, const host::Host& host,
            AntiforgeryPolicy policy)
      : rpc_(rpc), work_(work), subjects_(std::move(subjects)), local_(local), host_(host), policy_(std::move(policy)) {}

  /// Starts serving an actor / a provider here (nothing when already served). Errors: the subscription failed.
  Expected<void> serveActor(const std::string& public_key) STRATUS_EXCLUDES(mu_);
  Expected<void> serveProvider(const std::string& public_key, const std::string& link_name) STRATUS_EXCLUDES(mu_);
  /// Stops serving it: returns once no new delivery can start (those queued still run).
  void stopServing(const std::string& subject) STRATUS_EXCLUDES(mu_);
  /// Stops serving everything.
  void stop() STRATUS_EXCLUDES(mu_);

  const Subjects& subjects() const { return subjects_; }

 private:
  Expected<void> serve(const std::string& subject) STRATUS_EXCLUDES(mu_);
  void handle(const NatsMessage& message) const;
  Expected<Bytes> run(const WireInvocation& invocation) const;
  // The caller's claims: known (from_actor) or not needed (the host, a provider).
  Expected<void> authorize(const WireInvocation& invocation, bool from_actor,
                           const std::optional<claims::ActorClaims>& claims) const;

  NatsClient& rpc_;
  WorkQueue& work_;
  const Subjects subjects_;
  host::Bus& local_;
  const host::Host& host_;
  const AntiforgeryPolicy policy_;
  Mutex mu_;
  std::map<std::string, std::unique_ptr<NatsSubscription>> subscriptions_ STRATUS_GUARDED_BY(mu_);
};

/// Parses an invocation id's text form (a UUID, with or without dashes); a zero id when it is not one.
host::InvocationId parseInvocationId(std::string_view text);

}  // namespace stratus::lattice
