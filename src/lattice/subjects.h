// The NATS subjects of a lattice namespace, as wasmCloud 0.18.2 names them.
#pragma once

#include <string>
#include <string_view>

namespace stratus::lattice {

/// Subjects of one namespace `ns`.
class Subjects {
 public:
  explicit Subjects(std::string ns) : rpc_("wasmbus.rpc." + ns), ctl_("wasmbus.ctl." + ns) {}

  /// Invocations of an actor: wasmbus.rpc.{ns}.{actor_pk} (also its queue group).
  std::string actor(std::string_view public_key) const { return rpc_ + "." + std::string(public_key); }
  /// Invocations of a provider: wasmbus.rpc.{ns}.{provider_pk}.{link_name} (also its queue group).
  std::string provider(std::string_view public_key, std::string_view link_name) const {
    return rpc_ + "." + std::string(public_key) + "." + std::string(link_name);
  }
  /// Link adverts (msgpack LinkDefinition): set, removed; actor claims adverts (msgpack Claims<Actor>).
  std::string links() const { return rpc_ + ".links"; }
  std::string removedLinks() const { return rpc_ + ".remlinks"; }
  std::string claims() const { return rpc_ + ".claims"; }

  /// Control interface: wasmbus.ctl.{ns}.{rest}, e.g. ctl("get.hosts"), ctl("cmd." + host + ".la").
  std::string ctl(std::string_view rest) const { return ctl_ + "." + std::string(rest); }
  /// Where events go (0.18.2: on the control prefix).
  std::string events() const { return ctl_ + ".events"; }

 private:
  std::string rpc_;
  std::string ctl_;
};

}  // namespace stratus::lattice
