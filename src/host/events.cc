#include "host/events.h"

namespace stratus::host {

std::string_view hostEventName(HostEvent::Kind kind) {
  switch (kind) {
    case HostEvent::Kind::kActorStarted: return "ActorStarted";
    case HostEvent::Kind::kActorStopped: return "ActorStopped";
    case HostEvent::Kind::kProviderStarted: return "ProviderStarted";
    case HostEvent::Kind::kProviderStopped: return "ProviderStopped";
    case HostEvent::Kind::kProviderUnhealthy: return "ProviderUnhealthy";
    case HostEvent::Kind::kProviderHealthy: return "ProviderHealthy";
    case HostEvent::Kind::kLinkSet: return "LinkSet";
    case HostEvent::Kind::kLinkRemoved: return "LinkRemoved";
    case HostEvent::Kind::kBindFailed: return "BindFailed";
    case HostEvent::Kind::kActorUpdateBegan: return "ActorUpdateBegan";
    case HostEvent::Kind::kActorUpdateCompleted: return "ActorUpdateCompleted";
  }
  return "Unknown";
}

}  // namespace stratus::host
