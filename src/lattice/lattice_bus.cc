#include "lattice/lattice_bus.h"

#include "lattice/antiforgery.h"
#include "stratus/claims/jwt.h"

namespace stratus::lattice {

WireEntity toWire(const host::Entity& entity) {
  return {entity.kind, std::string(entity.public_key), std::string(entity.contract_id),
          std::string(entity.link_name)};
}

std::string describeEntity(const WireEntity& entity) {
  if (entity.kind == host::EntityKind::kActor) return "actor " + entity.public_key;
  return "provider " + entity.public_key + " (" + entity.contract_id + ", link name '" + entity.link_name + "')";
}

Expected<Bytes> LatticeBus::invoke(const host::Invocation& invocation) {
  if (runs_here_(invocation.target)) return local_.invoke(invocation);
  return remote(invocation);
}

Expected<Bytes> LatticeBus::remote(const host::Invocation& invocation) {
  WireInvocation wire{toWire(invocation.origin),
                      toWire(invocation.target),
                      std::string(invocation.operation),
                      Bytes(invocation.msg.begin(), invocation.msg.end()),
                      invocation.id.text(),
                      {},
                      std::string(invocation.origin_host)};
  STRATUS_TRY(signInvocation(wire, signer_, claims::unixNow()));
  const std::string subject = invocation.target.kind == host::EntityKind::kActor
                                  ? subjects_.actor(invocation.target.public_key)
                                  : subjects_.provider(invocation.target.public_key, invocation.target.link_name);
  const std::string target = describeEntity(wire.target);
  auto reply = rpc_.request(subject, encodeInvocation(wire), timeout_);
  if (!reply) {
    Error e = reply.takeError();
    if (e.code == ErrorCode::kNotFound) {
      e.message = target + " does not run on this host nor anywhere in the lattice (" + e.message + ")";
    } else {
      e.message = "calling '" + wire.operation + "' on " + target + " in the lattice: " + e.message;
    }
    return fail(std::move(e));
  }
  auto response = decodeInvocationResponse(*reply);
  if (!response) return fail(response.takeError().prefixed("the reply of " + target + ": "));
  if (response->invocation_id != wire.id) {
    return fail(ErrorCode::kMalformed, "the reply of " + target + " is for invocation '" + response->invocation_id +
                                           "', not '" + wire.id + "'");
  }
  if (response->error && !response->error->empty()) {
    return fail(ErrorCode::kHostError, target + " (on another host): " + *response->error);
  }
  return std::move(response->msg);
}

}  // namespace stratus::lattice
