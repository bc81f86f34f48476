// Claims of actors known from the lattice: actors that run (or ran) on other hosts.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stratus/claims/claims.h"
#include "stratus/common/thread_annotations.h"

namespace stratus::host {

/// What the lattice told this host about actors elsewhere, as wasmCloud 0.18's lattice cache keeps it: claims by
/// public key (kept until replaced; a stopped actor's claims stay known, as in 0.18) and call aliases (the first
/// claim of an alias wins). With it a link binds a provider here to an actor on another host, and a call alias
/// resolves lattice-wide. One leaf lock; hands out shared, immutable records.
class ClaimsCache {
 public:
  /// Records `claims` (replacing older claims of the same key). Returns false when nothing changed.
  bool put(claims::ActorClaims claims) STRATUS_EXCLUDES(mu_);
  /// The claims of `public_key`, or nullptr.
  std::shared_ptr<const claims::ActorClaims> find(std::string_view public_key) const STRATUS_EXCLUDES(mu_);
  /// Every record.
  std::vector<std::shared_ptr<const claims::ActorClaims>> all() const STRATUS_EXCLUDES(mu_);
  /// The public key that holds call alias `alias`, or "".
  std::string aliasOwner(std::string_view alias) const STRATUS_EXCLUDES(mu_);

 private:
  mutable SharedMutex mu_;
  std::map<std::string, std::shared_ptr<const claims::ActorClaims>, std::less<>> claims_ STRATUS_GUARDED_BY(mu_);
  std::map<std::string, std::string, std::less<>> aliases_ STRATUS_GUARDED_BY(mu_);
};

}  // namespace stratus::host
