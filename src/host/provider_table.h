// The running capability providers of a host, one per (contract id, link name).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stratus/capability/native_provider.h"
#include "stratus/claims/claims.h"
#include "stratus/common/expected.h"
#include "stratus/common/thread_annotations.h"
#include "stratus/host/host.h"

namespace stratus::host {

/// One running provider. Shared: calls in flight and health checks keep it alive after it stops. Thread-safe.
class Provider {
 public:
  Provider(std::unique_ptr<capability::NativeProvider> native, claims::ProviderClaims claims, std::string link_name,
           std::string origin);

  const std::string& publicKey() const { return claims_.subject; }
  const std::string& contractId() const { return native_->capabilityId(); }
  const std::string& linkName() const { return link_name_; }
  const claims::ProviderClaims& claims() const { return claims_; }
  /// "name (Vxxx) for contract, link name 'x'", for logs and errors.
  const std::string& displayName() const { return display_name_; }
  capability::NativeProvider& native() const { return *native_; }
  /// The archive or library path, or "built-in".
  const std::string& origin() const { return origin_; }

  /// As the host reports it.
  ProviderInfo info() const STRATUS_EXCLUDES(health_mu_);
  /// Records the outcome of a health check or a crash; true when the state changed.
  bool setHealth(bool healthy, std::string message) STRATUS_EXCLUDES(health_mu_);

  /// What this provider was told about one actor, owned by the LinkBinder: the values it was bound with, if it
  /// was. `mu` serializes BindActor / RemoveActor for this actor at this provider, and nothing else; it is never
  /// held together with a table's lock.
  struct Binding {
    Mutex mu;
    std::optional<std::map<std::string, std::string>> values STRATUS_GUARDED_BY(mu);
  };
  /// The binding record of `actor_id` (made when missing).
  std::shared_ptr<Binding> binding(std::string_view actor_id) STRATUS_EXCLUDES(bindings_mu_);
  /// Drops the record of an actor when it holds no binding and no other thread holds the record.
  void forgetBinding(std::string_view actor_id, std::shared_ptr<Binding> binding) STRATUS_EXCLUDES(bindings_mu_);
  /// Set once the provider is leaving: no more BindActor or RemoveActor.
  std::atomic<bool> retired{false};

 private:
  const std::unique_ptr<capability::NativeProvider> native_;
  const claims::ProviderClaims claims_;
  const std::string link_name_;
  const std::string origin_;
  const std::string display_name_;
  Mutex bindings_mu_;  // leaf lock
  std::map<std::string, std::shared_ptr<Binding>, std::less<>> bindings_ STRATUS_GUARDED_BY(bindings_mu_);
  mutable Mutex health_mu_;  // leaf lock
  bool healthy_ STRATUS_GUARDED_BY(health_mu_) = true;
  std::string health_message_ STRATUS_GUARDED_BY(health_mu_);
};

/// The providers of one host, keyed by (contract id, link name). Thread-safe; its lock is a leaf, and it hands out
/// shared ownership.
class ProviderTable {
 public:
  /// Adds a started provider. kAlreadyExists naming the one that serves its (contract, link name) already.
  Expected<void> insert(std::shared_ptr<Provider> provider) STRATUS_EXCLUDES(mu_);
  /// Removes the provider `public_key` serving under `link_name`; nullptr when there is none.
  std::shared_ptr<Provider> remove(std::string_view public_key, std::string_view link_name) STRATUS_EXCLUDES(mu_);
  /// The provider serving (contract, link name), or nullptr.
  std::shared_ptr<Provider> find(std::string_view contract_id, std::string_view link_name) const STRATUS_EXCLUDES(mu_);
  /// Every provider, sorted by contract id and link name.
  std::vector<std::shared_ptr<Provider>> all() const STRATUS_EXCLUDES(mu_);
  /// Removes every provider and returns them.
  std::vector<std::shared_ptr<Provider>> clear() STRATUS_EXCLUDES(mu_);

 private:
  using Key = std::pair<std::string, std::string>;  // contract id, link name
  mutable SharedMutex mu_;
  std::map<Key, std::shared_ptr<Provider>, std::less<>> providers_ STRATUS_GUARDED_BY(mu_);
};

}  // namespace stratus::host
