#include "host/dispatcher.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdint>

#include "stratus/common/strings.h"

namespace stratus::host {
namespace {

bool isActorKey(std::string_view s) { return s.size() == 56 && s[0] == 'M'; }

// xoshiro256** seeded once per thread from libsodium: invocation ids need uniqueness, not secrecy, and a system
// call per invocation would cost more than the call itself on the aot engine.
class IdGenerator {
 public:
  IdGenerator() {
    if (sodium_init() < 0) std::abort();
    randombytes_buf(state_.data(), sizeof(state_));
  }
  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> state_{};
};

}  // namespace

InvocationId newInvocationId() {
  thread_local IdGenerator generator;
  InvocationId id;
  const uint64_t hi = generator.next(), lo = generator.next();
  for (int i = 0; i < 8; ++i) {
    id.bytes[i] = static_cast<uint8_t>(hi >> (56 - 8 * i));
    id.bytes[8 + i] = static_cast<uint8_t>(lo >> (56 - 8 * i));
  }
  id.bytes[6] = static_cast<uint8_t>((id.bytes[6] & 0x0f) | 0x40);  // version 4
  id.bytes[8] = static_cast<uint8_t>((id.bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return id;
}

std::string InvocationId::text() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0x0f];
  }
  return out;
}

Expected<Bytes> Dispatcher::send(const Entity& origin, const Entity& target, std::string_view operation,
                                 std::span<const uint8_t> msg, const claims::ActorClaims* claims) const {
  return bus_->invoke({newInvocationId(), host_id_, origin, target, operation, msg, claims});
}

Expected<void> Dispatcher::authorize(const Actor& caller, const Entity& target, std::string_view operation,
                                     std::string_view target_name) const {
  if (authorizer_ && !authorizer_->canInvoke(caller.claims(), target, operation)) {
    return fail(ErrorCode::kPermissionDenied, "the authorizer refused " + caller.displayName() + " calling '" +
                                                  std::string(operation) + "' on " + std::string(target_name));
  }
  return ok();
}

std::string_view Dispatcher::resolveActor(std::string_view key_or_alias, std::shared_ptr<Actor>& holder,
                                         std::string& lattice_key) const {
  if (isActorKey(key_or_alias)) return key_or_alias;
  if ((holder = actors_.resolve(key_or_alias))) return holder->publicKey();
  lattice_key = lattice_claims_.aliasOwner(key_or_alias);
  return lattice_key;
}

Expected<Bytes> Dispatcher::fromHost(std::string_view actor, std::string_view operation,
                                     std::span<const uint8_t> payload) const {
  const Entity origin{EntityKind::kActor, kSystemOrigin, {}, {}};
  std::shared_ptr<Actor> holder;
  std::string lattice_key;
  const std::string_view key = resolveActor(actor, holder, lattice_key);
  if (key.empty()) {
    return fail(ErrorCode::kNotFound, "no actor with public key or call alias '" + std::string(actor) +
                                          "' is running on this host or known in its lattice");
  }
  return send(origin, {EntityKind::kActor, key, {}, {}}, operation, payload, nullptr);
}

Expected<Bytes> Dispatcher::fromActor(const Actor& caller, std::string_view binding, std::string_view ns,
                                      std::string_view operation, std::span<const uint8_t> payload) const {
  const Entity origin{EntityKind::kActor, caller.publicKey(), {}, {}};
  std::shared_ptr<Actor> holder;
  std::string lattice_key;
  const std::string_view target_key = resolveActor(ns, holder, lattice_key);
  if (!target_key.empty()) {
    const Entity target{EntityKind::kActor, target_key, {}, {}};
    STRATUS_TRY(authorize(caller, target, operation, target_key));
    return send(origin, target, operation, payload, &caller.claims());
  }

  const auto& caps = caller.claims().metadata.caps;
  if (std::find(caps.begin(), caps.end(), ns) == caps.end()) {
    return fail(ErrorCode::kPermissionDenied,
                caller.displayName() + " has no capability claim for '" + std::string(ns) +
                    "' (its claims allow: " + (caps.empty() ? std::string("none") : join(caps, ", ")) + ")");
  }
  const std::string_view link_name = trim(binding).empty() ? std::string_view("default") : binding;
  const std::string provider_id = links_.providerOf(caller.publicKey(), ns, link_name);
  if (provider_id.empty()) {
    return fail(ErrorCode::kNotFound, "no link definition for actor " + caller.publicKey() + ", contract '" +
                                          std::string(ns) + "', link name '" + std::string(link_name) +
                                          "': the target was not found as an actor public key, a call alias, or "
                                          "a linked contract");
  }
  const Entity target{EntityKind::kCapability, provider_id, ns, link_name};
  STRATUS_TRY(authorize(caller, target, operation, ns));
  return send(origin, target, operation, payload, &caller.claims());
}

Expected<Bytes> Dispatcher::fromProvider(const Entity& provider, std::string_view actor, std::string_view operation,
                                         std::span<const uint8_t> msg) const {
  return send(provider, {EntityKind::kActor, actor, {}, {}}, operation, msg, nullptr);
}

}  // namespace stratus::host
