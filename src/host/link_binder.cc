#include "host/link_binder.h"

#include <spdlog/spdlog.h>

#include <optional>

#include "stratus/codec/core.h"
#include "stratus/common/strings.h"

namespace stratus::host {

void LinkBinder::actorChanged(std::string_view actor_id) const {
  for (const auto& provider : providers_.all()) reconcile(*provider, actor_id);
}

void LinkBinder::providerStarted(Provider& provider) const {
  for (const auto& link : links_.all()) {
    if (link.provider_id == provider.publicKey() && link.contract_id == provider.contractId() &&
        link.link_name == provider.linkName()) {
      reconcile(provider, link.actor_id);
    }
  }
}

void LinkBinder::linkChanged(std::string_view actor_id, std::string_view contract_id,
                             std::string_view link_name) const {
  if (auto provider = providers_.find(contract_id, link_name)) reconcile(*provider, actor_id);
}

void LinkBinder::reconcile(Provider& provider, std::string_view actor_id) const {
  std::optional<HostEvent> bind_failed;
  std::shared_ptr<Provider::Binding> binding = provider.binding(actor_id);
  {
    MutexLock lock(binding->mu);
    if (provider.retired.load()) return;

    // What the tables say now: the values to be bound with, or none.
    std::optional<codec::CapabilityConfiguration> desired;
    std::shared_ptr<const claims::ActorClaims> known;
    std::shared_ptr<Actor> actor = actors_.find(actor_id);
    const claims::ActorClaims* claims = actor ? &actor->claims() : (known = lattice_claims_.find(actor_id)).get();
    auto link = links_.find(actor_id, provider.contractId(), provider.linkName());
    if (claims && link && link->provider_id == provider.publicKey()) {
      desired = codec::CapabilityConfiguration{std::string(actor_id), link->values};
      const auto& c = *claims;
      auto& values = desired->values;
      values[std::string(codec::kValueIssuer)] = c.issuer;
      values[std::string(codec::kValueCapabilities)] = join(c.metadata.caps, ",");
      values[std::string(codec::kValueName)] = c.metadata.name;
      values[std::string(codec::kValueExpires)] = std::to_string(c.expires.value_or(0));
      values[std::string(codec::kValueTags)] = join(c.metadata.tags, ",");
    }

    if (binding->values) {
      if (desired && *binding->values == desired->values) return;  // bound as it should be
      binding->values.reset();
      auto removed = provider.native().call(codec::kSystemActor, codec::kOpRemoveActor,
                                            codec::encode(codec::CapabilityConfiguration{std::string(actor_id), {}}));
      if (!removed) {
        spdlog::warn("{}: RemoveActor for {} failed: {}", provider.displayName(), actor_id, removed.error().message);
      }
    }
    if (desired) {
      auto bound = provider.native().call(codec::kSystemActor, codec::kOpBindActor, codec::encode(*desired));
      if (bound) {
        binding->values = std::move(desired->values);
        spdlog::info("bound {} to {}", actorDisplayName(*claims), provider.displayName());
      } else {
        spdlog::error("{} refused to bind {}: {}", provider.displayName(), actorDisplayName(*claims),
                      bound.error().message);
        bind_failed = HostEvent{HostEvent::Kind::kBindFailed, provider.publicKey(),  provider.contractId(),
                                provider.linkName(),          std::string(actor_id), bound.error().message};
      }
    }
  }
  provider.forgetBinding(actor_id, std::move(binding));
  if (bind_failed) events_.emit(*bind_failed);
}

}  // namespace stratus::host
