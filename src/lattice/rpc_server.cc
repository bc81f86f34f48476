#include "lattice/rpc_server.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "lattice/lattice_bus.h"
#include "lattice/wire.h"
#include "stratus/claims/jwt.h"

namespace stratus::lattice {

host::InvocationId parseInvocationId(std::string_view text) {
  host::InvocationId id;
  size_t n = 0;
  int high = -1;
  for (char c : text) {
    if (c == '-') continue;
    int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
    if (v < 0 || n == id.bytes.size()) return {};
    if (high < 0) {
      high = v;
    } else {
      id.bytes[n++] = static_cast<uint8_t>(high << 4 | v);
      high = -1;
    }
  }
  return n == id.bytes.size() ? id : host::InvocationId{};
}

Expected<void> RpcServer::serveActor(const std::string& public_key) { return serve(subjects_.actor(public_key)); }

Expected<void> RpcServer::serveProvider(const std::string& public_key, const std::string& link_name) {
  return serve(subjects_.provider(public_key, link_name));
}

Expected<void> RpcServer::serve(const std::string& subject) {
  MutexLock lock(mu_);
  if (subscriptions_.count(subject)) return ok();
  auto subscription = rpc_.subscribe(subject, subject, [this](NatsMessage message) {
    auto shared = std::make_shared<NatsMessage>(std::move(message));
    if (!work_.post([this, shared] { handle(*shared); })) {
      spdlog::debug("invocation on {} dropped: the host is stopping", shared->subject());
    }
  });
  if (!subscription) return fail(subscription.takeError());
  subscriptions_.emplace(subject, std::move(*subscription));
  // The server has the subscription when the start returns, so a call made right after finds it. While the
  // connection is down this fails, and libnats subscribes when it is back.
  if (auto flushed = rpc_.flush(std::chrono::seconds(2)); !flushed) {
    spdlog::warn("{} (it is subscribed once the connection is back)", flushed.error().message);
  }
  return ok();
}

void RpcServer::stopServing(const std::string& subject) {
  std::unique_ptr<NatsSubscription> subscription;
  {
    MutexLock lock(mu_);
    auto it = subscriptions_.find(subject);
    if (it == subscriptions_.end()) return;
    subscription = std::move(it->second);
    subscriptions_.erase(it);
  }
  subscription.reset();  // waits for the handler, which takes mu_ never
}

void RpcServer::stop() {
  std::map<std::string, std::unique_ptr<NatsSubscription>> subscriptions;
  {
    MutexLock lock(mu_);
    subscriptions.swap(subscriptions_);
  }
  subscriptions.clear();
}

void RpcServer::handle(const NatsMessage& message) const {
  WireInvocationResponse response;
  auto invocation = decodeInvocation(message.data());
  if (!invocation) {
    response.error = "malformed invocation on " + std::string(message.subject()) + ": " + invocation.error().message;
  } else if (const std::string expected = invocation->target.kind == host::EntityKind::kActor
                                              ? subjects_.actor(invocation->target.public_key)
                                              : subjects_.provider(invocation->target.public_key,
                                                                   invocation->target.link_name);
             expected != message.subject()) {
    response.invocation_id = invocation->id;
    response.error = "invocation " + invocation->id + " refused: it targets " +
                     describeEntity(invocation->target) + " but came on " + std::string(message.subject());
  } else {
    response.invocation_id = invocation->id;
    auto result = run(*invocation);
    if (result) {
      response.msg = std::move(*result);
    } else {
      response.error = result.error().message;
    }
  }
  if (response.error) spdlog::warn("lattice invocation refused or failed: {}", *response.error);
  if (message.reply().empty()) return;
  if (auto sent = rpc_.publish(std::string(message.reply()), encodeInvocationResponse(response)); !sent) {
    spdlog::warn("cannot answer an invocation: {}", sent.error().message);
  }
}

Expected<Bytes> RpcServer::run(const WireInvocation& invocation) const {
  if (auto valid = validateInvocation(invocation, claims::unixNow(), policy_); !valid) {
    return fail(valid.takeError().prefixed("invocation " + invocation.id + " refused: "));
  }
  std::optional<claims::ActorClaims> caller;
  const bool from_actor =
      invocation.origin.kind == host::EntityKind::kActor && invocation.origin.public_key != host::kSystemOrigin;
  if (from_actor) caller = host_.knownActorClaims(invocation.origin.public_key);
  STRATUS_TRY(authorize(invocation, from_actor, caller));
  const auto entity = [](const WireEntity& e) {
    return host::Entity{e.kind, e.public_key, e.contract_id, e.link_name};
  };
  const host::Invocation local{parseInvocationId(invocation.id),
                               invocation.host_id,
                               entity(invocation.origin),
                               entity(invocation.target),
                               invocation.operation,
                               invocation.msg,
                               caller ? &*caller : nullptr};
  return local_.invoke(local);
}

// What wasmCloud 0.18's receiving host checks beyond antiforgery: a calling actor's claims must be known in the
// lattice, and hold the contract of a provider it calls.
Expected<void> RpcServer::authorize(const WireInvocation& invocation, bool from_actor,
                                    const std::optional<claims::ActorClaims>& claims) const {
  const WireEntity& origin = invocation.origin;
  if (!from_actor) return ok();
  if (!claims) {
    return fail(ErrorCode::kPermissionDenied, "invocation " + invocation.id + " refused: the claims of the caller, " +
                                                  describeEntity(origin) + ", are not known in the lattice");
  }
  if (invocation.target.kind == host::EntityKind::kCapability) {
    const auto& caps = claims->metadata.caps;
    if (std::find(caps.begin(), caps.end(), invocation.target.contract_id) == caps.end()) {
      return fail(ErrorCode::kPermissionDenied, "invocation " + invocation.id + " refused: " +
                                                    describeEntity(origin) + " has no capability claim for '" +
                                                    invocation.target.contract_id + "'");
    }
  }
  return ok();
}

}  // namespace stratus::lattice
