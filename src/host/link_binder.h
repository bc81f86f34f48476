// Keeps what each provider was told about actors (BindActor / RemoveActor) in line with the tables.
#pragma once

#include <string_view>

#include "host/actor_table.h"
#include "host/claims_cache.h"
#include "host/events.h"
#include "host/link_table.h"
#include "host/provider_table.h"

namespace stratus::host {

/// Brings a provider's bindings to the state the actor, provider and link tables describe: an actor is bound, with
/// its link's values plus the hidden __wasmcloud_* values of its claims, exactly while its claims are known (it runs
/// here, or the lattice knows it), a link names it with this provider's contract, link name and key, and the
/// provider runs; otherwise it is not. A rebind with
/// other values sends RemoveActor, then BindActor.
///
/// Lifecycle changes update the tables first and then reconcile the pairs they touched, so whatever the
/// interleaving of concurrent changes the last reconcile of a pair sees the final tables. A per-(provider, actor)
/// lock serializes the messages about one actor to one provider, and nothing else: a slow BindActor holds up only
/// later changes to that same binding. No table lock is held while a provider runs, and events are emitted with
/// no lock held.
class LinkBinder {
 public:
  LinkBinder(const ActorTable& actors, const ClaimsCache& lattice_claims, const ProviderTable& providers,
             const LinkTable& links, const EventSink& events)
      : actors_(actors), lattice_claims_(lattice_claims), providers_(providers), links_(links), events_(events) {}

  /// Reconciles `actor_id` with every provider (an actor started or stopped, or the lattice told its claims).
  void actorChanged(std::string_view actor_id) const;
  /// Reconciles every link that names `provider` (it started).
  void providerStarted(Provider& provider) const;
  /// Reconciles `actor_id` with the provider serving (contract, link name) here, if any (a link changed).
  void linkChanged(std::string_view actor_id, std::string_view contract_id, std::string_view link_name) const;
  /// Reconciles one pair.
  void reconcile(Provider& provider, std::string_view actor_id) const;

 private:
  const ActorTable& actors_;
  const ClaimsCache& lattice_claims_;
  const ProviderTable& providers_;
  const LinkTable& links_;
  const EventSink& events_;
};

}  // namespace stratus::host
