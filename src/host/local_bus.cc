#include "host/local_bus.h"

#include <spdlog/spdlog.h>

namespace stratus::host {

Expected<Bytes> LocalBus::invoke(const Invocation& invocation) {
  return invocation.target.kind == EntityKind::kActor ? toActor(invocation) : toProvider(invocation);
}

Expected<Bytes> LocalBus::toActor(const Invocation& invocation) {
  const std::string_view key = invocation.target.public_key;
  std::shared_ptr<Actor> actor = actors_.find(key);
  if (!actor) return fail(ErrorCode::kNotFound, "actor " + std::string(key) + " is not running on this host");
  auto lease = actor->pool().acquire(acquire_timeout_);
  if (!lease) return fail(ErrorCode::kResourceExhausted, actor->displayName() + ": " + lease.error().message);
  auto result = (*lease)->call(invocation.operation, invocation.msg);
  if (!result && result.error().code != ErrorCode::kGuestError) {
    spdlog::warn("{}: call to {} failed: {}", actor->displayName(), invocation.operation, result.error().toString());
  }
  return result;
}

Expected<Bytes> LocalBus::toProvider(const Invocation& invocation) {
  const Entity& target = invocation.target;
  std::shared_ptr<Provider> provider = providers_.find(target.contract_id, target.link_name);
  if (!provider || provider->publicKey() != target.public_key) {
    return fail(ErrorCode::kUnavailable, "provider " + std::string(target.public_key) + " for contract '" +
                                             std::string(target.contract_id) + "', link name '" +
                                             std::string(target.link_name) + "' is not running on this host");
  }
  auto result = provider->native().call(invocation.origin.public_key, invocation.operation, invocation.msg);
  if (!result) {
    Error e = result.takeError();
    e.message = provider->displayName() + ": '" + std::string(invocation.operation) + "' failed: " + e.message;
    if (provider->native().crashed()) {
      spdlog::error("{}", e.message);
      health_.mark(*provider, false, "crashed: " + e.message);
    }
    return fail(std::move(e));
  }
  return result;
}

}  // namespace stratus::host
