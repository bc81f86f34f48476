#include "host/claims_cache.h"

#include <spdlog/spdlog.h>

namespace stratus::host {

bool ClaimsCache::put(claims::ActorClaims claims) {
  std::string alias_owner;
  const std::string key = claims.subject;
  const std::optional<std::string> alias = claims.metadata.call_alias;
  {
    WriterLock lock(mu_);
    auto it = claims_.find(key);
    if (it != claims_.end() && it->second->id == claims.id && it->second->metadata.hash == claims.metadata.hash) {
      return false;
    }
    claims_[key] = std::make_shared<const claims::ActorClaims>(std::move(claims));
    if (alias && !alias->empty()) {
      auto [owner, inserted] = aliases_.emplace(*alias, key);
      if (!inserted && owner->second != key) alias_owner = owner->second;
    }
  }
  if (!alias_owner.empty()) {
    spdlog::warn("call alias '{}' of actor {} is already claimed by {} in the lattice; the first claim wins", *alias,
                 key, alias_owner);
  }
  return true;
}

std::shared_ptr<const claims::ActorClaims> ClaimsCache::find(std::string_view public_key) const {
  ReaderLock lock(mu_);
  auto it = claims_.find(public_key);
  return it == claims_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const claims::ActorClaims>> ClaimsCache::all() const {
  ReaderLock lock(mu_);
  std::vector<std::shared_ptr<const claims::ActorClaims>> out;
  for (const auto& [key, claims] : claims_) out.push_back(claims);
  return out;
}

std::string ClaimsCache::aliasOwner(std::string_view alias) const {
  ReaderLock lock(mu_);
  auto it = aliases_.find(alias);
  return it == aliases_.end() ? std::string() : it->second;
}

}  // namespace stratus::host
