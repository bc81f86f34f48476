// The running actors of a host, by public key and by call alias.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "host/instance_pool.h"
#include "stratus/claims/claims.h"
#include "stratus/common/expected.h"
#include "stratus/common/thread_annotations.h"
#include "stratus/engine/engine.h"
#include "stratus/host/engine_mode.h"

namespace stratus::host {

/// "name (Mxxx)" of an actor, for logs and errors.
std::string actorDisplayName(const claims::ActorClaims& claims);

/// kAlreadyExists: the actor runs here already.
Error actorAlreadyRunning(const std::string& display_name);

/// One running actor: its verified claims, the compiled code new instances are made from, and its instance pool.
/// Shared: calls in flight keep it alive after it stops. Thread-safe.
class Actor {
 public:
  Actor(claims::ActorClaims claims, std::shared_ptr<const engine::Module> module, engine::Backend backend,
        EngineMode engine_mode, std::string image_ref);

  const std::string& publicKey() const { return claims_.subject; }
  const claims::ActorClaims& claims() const { return claims_; }
  /// "name (Mxxx)", for logs and errors.
  const std::string& displayName() const { return display_name_; }
  /// The file or OCI reference it was started from, or "".
  const std::string& imageRef() const { return image_ref_; }
  /// The engine choice it was started with (a live update keeps it).
  EngineMode engineMode() const { return engine_mode_; }

  /// The instances; set once by the host right after construction, before the actor is shared.
  InstancePool& pool() const { return *pool_; }
  void setPool(std::unique_ptr<InstancePool> pool) { pool_ = std::move(pool); }

  /// The code new instances are made from.
  std::shared_ptr<const engine::Module> module() const STRATUS_EXCLUDES(code_mu_);
  /// The backend that runs the actor's instances now (reported after the idle instances were replaced).
  engine::Backend backend() const STRATUS_EXCLUDES(code_mu_);
  void setModule(std::shared_ptr<const engine::Module> module) STRATUS_EXCLUDES(code_mu_);
  void setBackend(engine::Backend backend) STRATUS_EXCLUDES(code_mu_);

 private:
  const claims::ActorClaims claims_;
  const std::string display_name_;
  const std::string image_ref_;
  const EngineMode engine_mode_;
  std::unique_ptr<InstancePool> pool_;
  mutable Mutex code_mu_;  // leaf lock
  std::shared_ptr<const engine::Module> module_ STRATUS_GUARDED_BY(code_mu_);
  engine::Backend backend_ STRATUS_GUARDED_BY(code_mu_);
};

/// The actors of one host. Thread-safe; its lock is a leaf (held only inside these methods), and what it hands out
/// is shared ownership, so callers use an actor after the lock is gone while a concurrent stop removes it.
class ActorTable {
 public:
  /// Adds a started actor. kAlreadyExists when an actor with its key runs already. Its call alias, if any, is
  /// taken unless another running actor holds it (the first claim wins; logged).
  Expected<void> insert(std::shared_ptr<Actor> actor) STRATUS_EXCLUDES(mu_);
  /// Puts `updated` (same public key) in the place of `running`, atomically: calls that resolved `running` finish
  /// on it, later ones get `updated`. The call alias follows the new claims (taken if free). kNotFound when
  /// `running` is no longer the running actor (it stopped, or another update won).
  Expected<void> replace(const std::shared_ptr<Actor>& running, std::shared_ptr<Actor> updated) STRATUS_EXCLUDES(mu_);
  /// Removes the actor and the call alias it holds; nullptr when it is not running.
  std::shared_ptr<Actor> remove(std::string_view public_key) STRATUS_EXCLUDES(mu_);
  /// The actor with this public key, or nullptr.
  std::shared_ptr<Actor> find(std::string_view public_key) const STRATUS_EXCLUDES(mu_);
  /// The actor with this public key or call alias, or nullptr.
  std::shared_ptr<Actor> resolve(std::string_view key_or_alias) const STRATUS_EXCLUDES(mu_);
  /// Every running actor, sorted by public key.
  std::vector<std::shared_ptr<Actor>> all() const STRATUS_EXCLUDES(mu_);
  /// Removes every actor and returns them.
  std::vector<std::shared_ptr<Actor>> clear() STRATUS_EXCLUDES(mu_);

 private:
  mutable SharedMutex mu_;
  std::map<std::string, std::shared_ptr<Actor>, std::less<>> actors_ STRATUS_GUARDED_BY(mu_);
  std::map<std::string, std::string, std::less<>> aliases_ STRATUS_GUARDED_BY(mu_);  // alias -> public key
};

}  // namespace stratus::host
