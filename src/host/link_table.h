// The link definitions a host knows, keyed by (actor, contract id, link name).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "stratus/common/expected.h"
#include "stratus/common/thread_annotations.h"
#include "stratus/host/host.h"

namespace stratus::host {

/// Checks a link's key (actor and provider public keys, a contract id) and gives an empty link name the name
/// "default". kInvalidArgument naming the bad field.
Expected<void> normalizeLink(LinkDefinition& link);

/// The link definitions of one host. Thread-safe; its lock is a leaf.
class LinkTable {
 public:
  enum class PutResult { kAdded, kReplaced, kUnchanged };
  /// Adds or replaces the link with `link`'s key; kUnchanged when an equal one is there already.
  PutResult put(const LinkDefinition& link) STRATUS_EXCLUDES(mu_);
  /// Removes the link and returns it; nullopt when there is none.
  std::optional<LinkDefinition> remove(std::string_view actor_id, std::string_view contract_id,
                                       std::string_view link_name) STRATUS_EXCLUDES(mu_);
  /// The link with that key, or nullopt.
  std::optional<LinkDefinition> find(std::string_view actor_id, std::string_view contract_id,
                                     std::string_view link_name) const STRATUS_EXCLUDES(mu_);
  /// The provider id of the link with that key, or "" (the hot path of every actor→provider call).
  std::string providerOf(std::string_view actor_id, std::string_view contract_id, std::string_view link_name) const
      STRATUS_EXCLUDES(mu_);
  /// Every link, sorted by actor, contract id and link name.
  std::vector<LinkDefinition> all() const STRATUS_EXCLUDES(mu_);

 private:
  using Key = std::tuple<std::string, std::string, std::string>;  // actor, contract id, link name
  mutable SharedMutex mu_;
  std::map<Key, LinkDefinition, std::less<>> links_ STRATUS_GUARDED_BY(mu_);
};

}  // namespace stratus::host
