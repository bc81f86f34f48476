#include "host/provider_table.h"

#include <algorithm>

namespace stratus::host {

Provider::Provider(std::unique_ptr<capability::NativeProvider> native, claims::ProviderClaims claims,
                   std::string link_name, std::string origin)
    : native_(std::move(native)),
      claims_(std::move(claims)),
      link_name_(std::move(link_name)),
      origin_(std::move(origin)),
      display_name_((claims_.metadata.name.empty() ? native_->name() : claims_.metadata.name) + " (" + claims_.subject +
                    ") for " + native_->capabilityId() + ", link name '" + link_name_ + "'") {}

ProviderInfo Provider::info() const {
  ProviderInfo info{publicKey(), contractId(),         link_name_, claims_.metadata.name,
                    origin_,     claims_.metadata.rev, true,       {},
                    native_->abiDescription()};
  MutexLock lock(health_mu_);
  info.healthy = healthy_;
  info.health_message = health_message_;
  return info;
}

bool Provider::setHealth(bool healthy, std::string message) {
  MutexLock lock(health_mu_);
  const bool changed = healthy_ != healthy;
  healthy_ = healthy;
  health_message_ = std::move(message);
  return changed;
}

std::shared_ptr<Provider::Binding> Provider::binding(std::string_view actor_id) {
  MutexLock lock(bindings_mu_);
  auto it = bindings_.find(actor_id);
  if (it == bindings_.end()) it = bindings_.emplace(std::string(actor_id), std::make_shared<Binding>()).first;
  return it->second;
}

void Provider::forgetBinding(std::string_view actor_id, std::shared_ptr<Binding> binding) {
  MutexLock lock(bindings_mu_);
  auto it = bindings_.find(actor_id);
  // Held only by the map and the caller: nobody else can reach it while bindings_mu_ is held.
  if (it == bindings_.end() || it->second != binding || binding.use_count() != 2) return;
  MutexLock record(binding->mu);
  if (!binding->values) bindings_.erase(it);
}

Expected<void> ProviderTable::insert(std::shared_ptr<Provider> provider) {
  WriterLock lock(mu_);
  auto [it, inserted] = providers_.emplace(Key{provider->contractId(), provider->linkName()}, provider);
  if (!inserted) {
    return fail(ErrorCode::kAlreadyExists, "a provider for contract '" + provider->contractId() + "', link name '" +
                                               provider->linkName() +
                                               "' already runs on this host: " + it->second->displayName());
  }
  return ok();
}

std::shared_ptr<Provider> ProviderTable::remove(std::string_view public_key, std::string_view link_name) {
  WriterLock lock(mu_);
  auto it = std::find_if(providers_.begin(), providers_.end(), [&](const auto& kv) {
    return kv.second->publicKey() == public_key && kv.second->linkName() == link_name;
  });
  if (it == providers_.end()) return nullptr;
  auto provider = std::move(it->second);
  providers_.erase(it);
  return provider;
}

std::shared_ptr<Provider> ProviderTable::find(std::string_view contract_id, std::string_view link_name) const {
  ReaderLock lock(mu_);
  auto it = providers_.find(Key{contract_id, link_name});
  return it == providers_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<Provider>> ProviderTable::all() const {
  ReaderLock lock(mu_);
  std::vector<std::shared_ptr<Provider>> out;
  out.reserve(providers_.size());
  for (const auto& [key, provider] : providers_) out.push_back(provider);
  return out;
}

std::vector<std::shared_ptr<Provider>> ProviderTable::clear() {
  WriterLock lock(mu_);
  std::vector<std::shared_ptr<Provider>> out;
  for (auto& [key, provider] : providers_) out.push_back(std::move(provider));
  providers_.clear();
  return out;
}

}  // namespace stratus::host
