// The dispatcher: every invocation of a host starts here — from the host itself, from an actor's __host_call, from
// a provider — is resolved to its target, authorized, and handed to the bus.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "host/actor_table.h"
#include "host/claims_cache.h"
#include "host/link_table.h"
#include "stratus/host/bus.h"
#include "stratus/host/host.h"

namespace stratus::host {

/// Resolves, authorizes and sends invocations (DESIGN.md's security order): calls from the host ("system") go to
/// any running actor; an actor may call another actor (by public key or call alias, resolved here first, then in
/// the lattice) when the Authorizer allows,
/// and a provider only when its claims hold the contract, a link (actor, contract, link name) exists, and the
/// Authorizer allows; calls from providers to actors are not checked (as in wasmCloud 0.18). Only what passed goes
/// to the bus, carrying a fresh invocation id, this host's id and the caller's claims. Stateless besides its
/// references; thread-safe.
class Dispatcher {
 public:
  Dispatcher(const ActorTable& actors, const ClaimsCache& lattice_claims, const LinkTable& links,
             std::shared_ptr<const Authorizer> authorizer, std::string host_id)
      : actors_(actors),
        lattice_claims_(lattice_claims),
        links_(links),
        authorizer_(std::move(authorizer)),
        host_id_(std::move(host_id)) {}

  /// The bus invocations go to. Set once, before the first call.
  void setBus(Bus& bus) { bus_ = &bus; }

  /// The host calls an actor by public key or call alias (of an actor here, else one the lattice knows). kNotFound
  /// when the alias is unknown; the bus says when no actor with the key runs.
  Expected<Bytes> fromHost(std::string_view actor, std::string_view operation, std::span<const uint8_t> payload) const;
  /// An actor's __host_call(binding, namespace, operation, payload): `ns` is an actor public key, a call alias, or a
  /// contract id reached through the link (caller, contract, binding or "default").
  Expected<Bytes> fromActor(const Actor& caller, std::string_view binding, std::string_view ns,
                            std::string_view operation, std::span<const uint8_t> payload) const;
  /// A provider's call to an actor (by public key), through the dispatcher the host configured in it.
  Expected<Bytes> fromProvider(const Entity& provider, std::string_view actor, std::string_view operation,
                               std::span<const uint8_t> msg) const;

 private:
  Expected<Bytes> send(const Entity& origin, const Entity& target, std::string_view operation,
                       std::span<const uint8_t> msg, const claims::ActorClaims* claims) const;
  // The public key behind `key_or_alias`: a key as given, else an alias of an actor here, else one the lattice
  // knows; "" when none. `holder` keeps a local actor's record (and so the returned view) alive.
  std::string_view resolveActor(std::string_view key_or_alias, std::shared_ptr<Actor>& holder,
                                std::string& lattice_key) const;
  Expected<void> authorize(const Actor& caller, const Entity& target, std::string_view operation,
                           std::string_view target_name) const;

  const ActorTable& actors_;
  const ClaimsCache& lattice_claims_;
  const LinkTable& links_;
  const std::shared_ptr<const Authorizer> authorizer_;
  const std::string host_id_;
  Bus* bus_ = nullptr;
};

/// A new invocation id, from a per-thread generator seeded by the system's random source: unique, cheap enough for
/// every invocation (no allocation, no system call), not a secret.
InvocationId newInvocationId();

}  // namespace stratus::host
