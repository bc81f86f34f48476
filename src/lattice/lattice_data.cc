#include "lattice/lattice_data.h"

#include <spdlog/spdlog.h>

#include "lattice/lattice_keys.h"
#include "lattice/wire.h"

namespace stratus::lattice {
namespace {

// Set while this thread applies lattice data: the host's events about it must not be written or published again.
thread_local bool applying_lattice_data = false;

struct ApplyingLatticeData {
  ApplyingLatticeData() { applying_lattice_data = true; }
  ~ApplyingLatticeData() { applying_lattice_data = false; }
};

}  // namespace

Expected<void> LatticeData::start() {
  auto bucket = NatsKeyValue::open(rpc_, bucketName(ns_));
  if (bucket) {
    bucket_ = std::move(*bucket);
    STRATUS_TRY(bucket_->watch([this](const NatsKeyValue::Change& change) { apply(change); }));
  } else {
    spdlog::warn("{}; links and claims are shared by adverts only and do not outlive the hosts",
                 bucket.error().message);
  }
  for (const std::string& subject : {subjects_.links(), subjects_.removedLinks(), subjects_.claims()}) {
    auto subscription = rpc_.subscribe(subject, {}, [this](NatsMessage message) {
      auto shared = std::make_shared<NatsMessage>(std::move(message));
      work_.post([this, shared] { apply(*shared); });
    });
    if (!subscription) return fail(subscription.takeError());
    subscriptions_.push_back(std::move(*subscription));
  }
  return ok();
}

void LatticeData::stop() {
  if (bucket_) bucket_->stopWatching();
  subscriptions_.clear();
}

void LatticeData::applyLink(const host::LinkDefinition& link) {
  if (auto set = host_.setLink(link); !set) spdlog::warn("cannot apply a lattice link: {}", set.error().message);
}

void LatticeData::applyClaims(std::span<const uint8_t> bytes, std::string_view source) {
  auto claims = decodeActorClaims(bytes);
  if (!claims) {
    spdlog::warn("ignoring actor claims from {}: {}", source, claims.error().message);
    return;
  }
  host_.learnActorClaims(std::move(*claims));
}

void LatticeData::apply(const NatsKeyValue::Change& change) {
  ApplyingLatticeData applying;
  const std::string_view key = change.key;
  if (key.starts_with(kClaimsKeyPrefix)) {
    if (!change.deleted) applyClaims(change.value, "bucket key " + change.key);
    return;
  }
  if (!key.starts_with(kLinkKeyPrefix)) return;
  if (change.deleted) {
    auto it = stored_links_.find(change.key);
    if (it == stored_links_.end()) return;
    (void)host_.removeLink(it->second.actor_id, it->second.contract_id, it->second.link_name);  // gone already: fine
    stored_links_.erase(it);
    return;
  }
  auto link = decodeLinkDefinition(change.value);
  if (!link) {
    spdlog::warn("ignoring bucket key {}: {}", change.key, link.error().message);
    return;
  }
  stored_links_[change.key] = *link;
  applyLink(*link);
}

void LatticeData::apply(const NatsMessage& message) {
  const std::string_view subject = message.subject();
  ApplyingLatticeData applying;
  if (subject == subjects_.claims()) {
    applyClaims(message.data(), subject);
    return;
  }
  auto link = decodeLinkDefinition(message.data());
  if (!link) {
    spdlog::warn("ignoring an advert on {}: {}", subject, link.error().message);
    return;
  }
  if (subject == subjects_.links()) {
    applyLink(*link);
  } else {
    (void)host_.removeLink(link->actor_id, link->contract_id, link->link_name);  // gone already: fine
  }
}

void LatticeData::publish(const std::string& subject, const Bytes& payload, std::string_view what) {
  if (auto sent = rpc_.publish(subject, payload); !sent) {
    spdlog::warn("cannot advertise {} to the lattice: {}", what, sent.error().message);
  }
}

void LatticeData::store(const std::string& key, const Bytes& value) {
  if (!bucket_) return;
  auto stored = value.empty() ? bucket_->erase(key) : bucket_->put(key, value);
  if (!stored) spdlog::warn("lattice data not stored: {}", stored.error().message);
}

void LatticeData::onHostEvent(const host::HostEvent& event) {
  if (applying_lattice_data) return;
  using Kind = host::HostEvent::Kind;
  switch (event.kind) {
    case Kind::kLinkSet:
      for (auto& link : host_.links()) {
        if (link.actor_id == event.actor_id && link.contract_id == event.contract_id &&
            link.link_name == event.link_name) {
          const Bytes encoded = encodeLinkDefinition(link);
          store(linkKey(link.actor_id, link.contract_id, link.link_name), encoded);
          publish(subjects_.links(), encoded, "a link");
        }
      }
      break;
    case Kind::kLinkRemoved:
      store(linkKey(event.actor_id, event.contract_id, event.link_name), {});
      publish(subjects_.removedLinks(),
              encodeLinkDefinition({event.actor_id, event.public_key, event.contract_id, event.link_name, {}}),
              "a removed link");
      break;
    case Kind::kActorStarted:
    case Kind::kActorUpdateCompleted:  // a new revision: new claims
      if (auto claims = host_.knownActorClaims(event.public_key)) {
        const Bytes encoded = encodeActorClaims(*claims);
        store(claimsKey(event.public_key), encoded);
        publish(subjects_.claims(), encoded, "an actor's claims");
      }
      break;
    default:
      break;
  }
}

}  // namespace stratus::lattice
