// The references (file paths today, OCI references later) that this host's actors came from.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "stratus/common/thread_annotations.h"

namespace stratus::lattice {

/// Which reference each running actor (by public key) was started from, for inventories, events and stop commands
/// that name a reference. (A provider's is the origin the host reports for it.) Thread-safe.
class EntityRefs {
 public:
  void setActor(const std::string& public_key, std::string ref) STRATUS_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    actors_[public_key] = std::move(ref);
  }
  void forgetActor(const std::string& public_key) STRATUS_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    actors_.erase(public_key);
  }
  std::optional<std::string> actor(const std::string& public_key) const STRATUS_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    auto it = actors_.find(public_key);
    return it == actors_.end() ? std::nullopt : std::optional(it->second);
  }
  /// The public key of the actor started from `ref`, or "".
  std::string actorByRef(const std::string& ref) const STRATUS_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    for (const auto& [key, r] : actors_) {
      if (r == ref) return key;
    }
    return {};
  }

 private:
  mutable Mutex mu_;
  std::map<std::string, std::string> actors_ STRATUS_GUARDED_BY(mu_);
};

}  // namespace stratus::lattice
