#include "host/link_table.h"

#include "stratus/common/strings.h"

namespace stratus::host {
namespace {

bool isKey(std::string_view s, char prefix) { return s.size() == 56 && s[0] == prefix; }

}  // namespace

Expected<void> normalizeLink(LinkDefinition& link) {
  if (trim(link.link_name).empty()) link.link_name = "default";
  if (!isKey(link.actor_id, 'M')) {
    return fail(ErrorCode::kInvalidArgument, "link: actor_id '" + link.actor_id +
                                                 "' is not an actor public key "
                                                 "(56 characters starting with M)");
  }
  if (!isKey(link.provider_id, 'V')) {
    return fail(ErrorCode::kInvalidArgument, "link: provider_id '" + link.provider_id +
                                                 "' is not a provider public key (56 characters starting with V)");
  }
  if (trim(link.contract_id).empty()) return fail(ErrorCode::kInvalidArgument, "link: contract_id is empty");
  return ok();
}

LinkTable::PutResult LinkTable::put(const LinkDefinition& link) {
  WriterLock lock(mu_);
  auto [it, inserted] = links_.try_emplace(Key{link.actor_id, link.contract_id, link.link_name}, link);
  if (inserted) return PutResult::kAdded;
  if (it->second.provider_id == link.provider_id && it->second.values == link.values) return PutResult::kUnchanged;
  it->second = link;
  return PutResult::kReplaced;
}

std::optional<LinkDefinition> LinkTable::remove(std::string_view actor_id, std::string_view contract_id,
                                                std::string_view link_name) {
  WriterLock lock(mu_);
  auto it = links_.find(Key{actor_id, contract_id, link_name});
  if (it == links_.end()) return std::nullopt;
  LinkDefinition removed = std::move(it->second);
  links_.erase(it);
  return removed;
}

std::optional<LinkDefinition> LinkTable::find(std::string_view actor_id, std::string_view contract_id,
                                              std::string_view link_name) const {
  ReaderLock lock(mu_);
  auto it = links_.find(Key{actor_id, contract_id, link_name});
  if (it == links_.end()) return std::nullopt;
  return it->second;
}

std::string LinkTable::providerOf(std::string_view actor_id, std::string_view contract_id,
                                  std::string_view link_name) const {
  ReaderLock lock(mu_);
  auto it = links_.find(Key{actor_id, contract_id, link_name});
  return it == links_.end() ? std::string() : it->second.provider_id;
}

std::vector<LinkDefinition> LinkTable::all() const {
  ReaderLock lock(mu_);
  std::vector<LinkDefinition> out;
  out.reserve(links_.size());
  for (const auto& [key, link] : links_) out.push_back(link);
  return out;
}

}  // namespace stratus::host
