// The in-process bus: delivers invocations to this host's own actors and providers.
#pragma once

#include <chrono>

#include "host/actor_table.h"
#include "host/provider_health.h"
#include "host/provider_table.h"
#include "stratus/host/bus.h"

namespace stratus::host {

/// Runs an invocation on a local actor (an instance from its pool, waiting up to `acquire_timeout` for one) or a
/// local provider. Errors: kNotFound for an actor, kUnavailable for a provider, that does not run here (naming
/// it); kResourceExhausted when the actor's instances stay busy; the target's own error otherwise. A provider
/// that crashes in the call is marked unhealthy. Thread-safe; holds no lock while the target runs.
class LocalBus final : public Bus {
 public:
  LocalBus(const ActorTable& actors, const ProviderTable& providers, const ProviderHealth& health,
           std::chrono::milliseconds acquire_timeout)
      : actors_(actors), providers_(providers), health_(health), acquire_timeout_(acquire_timeout) {}

  Expected<Bytes> invoke(const Invocation& invocation) override;

 private:
  Expected<Bytes> toActor(const Invocation& invocation);
  Expected<Bytes> toProvider(const Invocation& invocation);

  const ActorTable& actors_;
  const ProviderTable& providers_;
  const ProviderHealth& health_;
  const std::chrono::milliseconds acquire_timeout_;
};

}  // namespace stratus::host
