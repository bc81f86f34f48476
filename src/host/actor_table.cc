#include "host/actor_table.h"

#include <spdlog/spdlog.h>

namespace stratus::host {
std::string actorDisplayName(const claims::ActorClaims& claims) {
  return (claims.metadata.name.empty() ? std::string("actor") : claims.metadata.name) + " (" + claims.subject + ")";
}

Error actorAlreadyRunning(const std::string& display_name) {
  return {ErrorCode::kAlreadyExists, display_name + " is already running on this host"};
}

Actor::Actor(claims::ActorClaims claims, std::shared_ptr<const engine::Module> module, engine::Backend backend,
             EngineMode engine_mode, std::string image_ref)
    : claims_(std::move(claims)),
      display_name_(actorDisplayName(claims_)),
      image_ref_(std::move(image_ref)),
      engine_mode_(engine_mode),
      module_(std::move(module)),
      backend_(backend) {}

std::shared_ptr<const engine::Module> Actor::module() const {
  MutexLock lock(code_mu_);
  return module_;
}

engine::Backend Actor::backend() const {
  MutexLock lock(code_mu_);
  return backend_;
}

void Actor::setModule(std::shared_ptr<const engine::Module> module) {
  MutexLock lock(code_mu_);
  module_ = std::move(module);
}

void Actor::setBackend(engine::Backend backend) {
  MutexLock lock(code_mu_);
  backend_ = backend;
}

Expected<void> ActorTable::insert(std::shared_ptr<Actor> actor) {
  std::string alias_owner;
  const auto& alias = actor->claims().metadata.call_alias;
  {
    WriterLock lock(mu_);
    if (actors_.count(actor->publicKey())) {
      return fail(actorAlreadyRunning(actor->displayName()));
    }
    if (alias && !alias->empty()) {
      auto [it, inserted] = aliases_.emplace(*alias, actor->publicKey());
      if (!inserted) alias_owner = it->second;
    }
    actors_.emplace(actor->publicKey(), actor);
  }
  if (!alias_owner.empty()) {
    spdlog::warn("call alias '{}' of {} is already claimed by {}; the first claim wins", *alias, actor->displayName(),
                 alias_owner);
  }
  return ok();
}

Expected<void> ActorTable::replace(const std::shared_ptr<Actor>& running, std::shared_ptr<Actor> updated) {
  std::string alias_owner;
  const auto& alias = updated->claims().metadata.call_alias;
  {
    WriterLock lock(mu_);
    auto it = actors_.find(running->publicKey());
    if (it == actors_.end() || it->second != running) {
      return fail(ErrorCode::kNotFound, running->displayName() + " stopped or was updated meanwhile");
    }
    std::erase_if(aliases_, [&](const auto& kv) { return kv.second == running->publicKey(); });
    if (alias && !alias->empty()) {
      auto [owner, inserted] = aliases_.emplace(*alias, updated->publicKey());
      if (!inserted) alias_owner = owner->second;
    }
    it->second = std::move(updated);
  }
  if (!alias_owner.empty()) {
    spdlog::warn("call alias '{}' of {} is already claimed by {}; the first claim wins", *alias,
                 running->displayName(), alias_owner);
  }
  return ok();
}

std::shared_ptr<Actor> ActorTable::remove(std::string_view public_key) {
  WriterLock lock(mu_);
  auto it = actors_.find(public_key);
  if (it == actors_.end()) return nullptr;
  auto actor = std::move(it->second);
  actors_.erase(it);
  std::erase_if(aliases_, [&](const auto& kv) { return kv.second == public_key; });
  return actor;
}

std::shared_ptr<Actor> ActorTable::find(std::string_view public_key) const {
  ReaderLock lock(mu_);
  auto it = actors_.find(public_key);
  return it == actors_.end() ? nullptr : it->second;
}

std::shared_ptr<Actor> ActorTable::resolve(std::string_view key_or_alias) const {
  ReaderLock lock(mu_);
  if (auto it = actors_.find(key_or_alias); it != actors_.end()) return it->second;
  if (auto alias = aliases_.find(key_or_alias); alias != aliases_.end()) {
    if (auto it = actors_.find(alias->second); it != actors_.end()) return it->second;
  }
  return nullptr;
}

std::vector<std::shared_ptr<Actor>> ActorTable::all() const {
  ReaderLock lock(mu_);
  std::vector<std::shared_ptr<Actor>> out;
  out.reserve(actors_.size());
  for (const auto& [key, actor] : actors_) out.push_back(actor);
  return out;
}

std::vector<std::shared_ptr<Actor>> ActorTable::clear() {
  WriterLock lock(mu_);
  std::vector<std::shared_ptr<Actor>> out;
  for (auto& [key, actor] : actors_) out.push_back(std::move(actor));
  actors_.clear();
  aliases_.clear();
  return out;
}

}  // namespace stratus::host
