#include "lattice/control_server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "stratus/claims/wasm.h"
#include "stratus/common/files.h"

namespace stratus::lattice {
namespace {

std::span<const uint8_t> bytesOf(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

bool isKey(std::string_view s, char prefix) { return s.size() == 56 && s[0] == prefix; }

// A parse failure is logged and not answered (the requester times out), as a 0.18 host does.
template <typename T>
std::optional<T> parsed(Expected<T> request, std::string_view subject) {
  if (!request) {
    spdlog::warn("control interface: ignoring a request on {}: {}", subject, request.error().message);
    return std::nullopt;
  }
  return std::move(*request);
}

std::optional<std::string> failureOf(const Expected<void>& result) {
  if (result) return std::nullopt;
  return result.error().message;
}

}  // namespace

Expected<void> ControlServer::start() {
  const std::string& id = host_.id();
  for (const std::string& subject :
       {subjects_.ctl("get.hosts"), subjects_.ctl("get." + id + ".inv"), subjects_.ctl("get.links"),
        subjects_.ctl("get.claims"), subjects_.ctl("auction.actor"), subjects_.ctl("auction.provider"),
        subjects_.ctl("cmd." + id + ".*")}) {
    auto subscription = ctl_.subscribe(subject, {}, [this](NatsMessage message) {
      auto shared = std::make_shared<NatsMessage>(std::move(message));
      work_.post([this, shared] {
        const NatsMessage& m = *shared;
        const std::string_view request(reinterpret_cast<const char*>(m.data().data()), m.data().size());
        auto reply = answer(m.subject(), request);
        if (!reply || m.reply().empty()) return;
        if (auto sent = ctl_.publish(std::string(m.reply()), bytesOf(*reply)); !sent) {
          spdlog::warn("control interface: cannot answer on {}: {}", m.subject(), sent.error().message);
        }
      });
    });
    if (!subscription) return fail(subscription.takeError());
    subscriptions_.push_back(std::move(*subscription));
  }
  return ok();
}

void ControlServer::stop() { subscriptions_.clear(); }

std::optional<std::string> ControlServer::answer(std::string_view subject, std::string_view request) {
  const std::string cmd = subjects_.ctl("cmd." + host_.id() + ".");
  if (subject == subjects_.ctl("get.hosts")) return hosts();
  if (subject == subjects_.ctl("get." + host_.id() + ".inv")) return inventory();
  if (subject == subjects_.ctl("get.links")) return links();
  if (subject == subjects_.ctl("get.claims")) return claims();
  if (subject == subjects_.ctl("auction.actor")) return actorAuction(request);
  if (subject == subjects_.ctl("auction.provider")) return providerAuction(request);
  if (subject.starts_with(cmd)) {
    const std::string_view verb = subject.substr(cmd.size());
    if (verb == "la") return startActor(request);
    if (verb == "sa") return stopActor(request);
    if (verb == "lp") return startProvider(request);
    if (verb == "sp") return stopProvider(request);
    if (verb == "upd") return updateActor(request);
  }
  spdlog::warn("control interface: no such request: {}", subject);
  return std::nullopt;
}

std::string ControlServer::hosts() const {
  const auto uptime = std::chrono::steady_clock::now() - started_;
  return ctl::toJson(ctl::Host{host_.id(), static_cast<uint64_t>(
                                               std::chrono::duration_cast<std::chrono::seconds>(uptime).count())});
}

std::string ControlServer::inventory() const {
  ctl::HostInventory inventory{host_.id(), host_.labels(), {}, {}};
  for (const auto& actor : host_.actors()) {
    const auto& name = actor.claims.metadata.name;
    inventory.actors.push_back({actor.public_key,
                                actor.image_ref.empty() ? std::nullopt : std::optional(actor.image_ref),
                                name.empty() ? std::nullopt : std::optional(name),
                                actor.claims.metadata.rev.value_or(0)});
  }
  for (const auto& provider : host_.providers()) {
    inventory.providers.push_back({provider.public_key, provider.link_name,
                                   provider.origin == "built-in" ? std::nullopt : std::optional(provider.origin),
                                   provider.name.empty() ? std::nullopt : std::optional(provider.name),
                                   provider.revision.value_or(0)});
  }
  return ctl::toJson(inventory);
}

std::string ControlServer::actorByRef(const std::string& image_ref) const {
  for (const auto& actor : host_.actors()) {
    if (actor.image_ref == image_ref) return actor.public_key;
  }
  return {};
}

std::string ControlServer::links() const { return ctl::toJson(ctl::LinkDefinitionList{host_.links()}); }

std::string ControlServer::claims() const {
  ctl::ClaimsList list;
  for (const auto& claims : host_.knownActorClaims()) list.claims.push_back(ctl::claimsValues(claims));
  return ctl::toJson(list);
}

bool ControlServer::satisfies(const ctl::StringMap& constraints) const {
  const auto& labels = host_.labels();
  return std::all_of(constraints.begin(), constraints.end(), [&](const auto& kv) {
    auto it = labels.find(kv.first);
    return it != labels.end() && it->second == kv.second;
  });
}

std::optional<std::string> ControlServer::actorAuction(std::string_view request) const {
  auto auction = parsed(ctl::parseActorAuctionRequest(request), "auction.actor");
  if (!auction || !satisfies(auction->constraints)) return std::nullopt;
  // Not when the actor runs here already: known by its reference, or by the key in the module's claims.
  std::string key = actorByRef(auction->actor_ref);
  if (key.empty() && isKey(auction->actor_ref, 'M')) key = auction->actor_ref;
  if (key.empty()) {
    if (auto wasm = readFileBytes(auction->actor_ref)) {
      if (auto claims = claims::decodeActor(*wasm)) key = claims->subject;
    }
  }
  const auto running = host_.actors();
  if (std::any_of(running.begin(), running.end(), [&](const auto& a) { return a.public_key == key; })) {
    return std::nullopt;
  }
  return ctl::toJson(ctl::ActorAuctionAck{auction->actor_ref, auction->constraints, host_.id()});
}

std::optional<std::string> ControlServer::providerAuction(std::string_view request) const {
  auto auction = parsed(ctl::parseProviderAuctionRequest(request), "auction.provider");
  if (!auction || !satisfies(auction->constraints)) return std::nullopt;
  for (const auto& provider : host_.providers()) {
    if ((provider.origin == auction->provider_ref || provider.public_key == auction->provider_ref) &&
        provider.link_name == auction->link_name) {
      return std::nullopt;
    }
  }
  return ctl::toJson(ctl::ProviderAuctionAck{auction->provider_ref, auction->link_name, host_.id()});
}

std::optional<std::string> ControlServer::startActor(std::string_view request) {
  auto command = parsed(ctl::parseStartActorCommand(request), "cmd.la");
  if (!command) return std::nullopt;
  ctl::StartActorAck ack{host_.id(), command->actor_ref, std::nullopt};
  auto started = host::startActorFromRef(host_, command->actor_ref);
  if (!started) ack.failure = started.error().message;
  return ctl::toJson(ack);
}

std::optional<std::string> ControlServer::stopActor(std::string_view request) {
  auto command = parsed(ctl::parseStopActorCommand(request), "cmd.sa");
  if (!command) return std::nullopt;
  std::string key = isKey(command->actor_ref, 'M') ? command->actor_ref : actorByRef(command->actor_ref);
  ctl::StopActorAck ack;
  if (key.empty()) {
    ack.failure = "no actor started from '" + command->actor_ref + "' runs on host " + host_.id();
  } else {
    ack.failure = failureOf(host_.stopActor(key));
  }
  return ctl::toJson(ack);
}

std::optional<std::string> ControlServer::startProvider(std::string_view request) {
  auto command = parsed(ctl::parseStartProviderCommand(request), "cmd.lp");
  if (!command) return std::nullopt;
  const std::string link_name = command->link_name.empty() ? "default" : command->link_name;
  auto started = host::startProviderFromRef(host_, command->provider_ref, link_name);
  ctl::StartProviderAck ack{host_.id(), command->provider_ref, std::nullopt};
  if (!started) ack.failure = started.error().message;
  return ctl::toJson(ack);
}

std::optional<std::string> ControlServer::stopProvider(std::string_view request) {
  auto command = parsed(ctl::parseStopProviderCommand(request), "cmd.sp");
  if (!command) return std::nullopt;
  const std::string link_name = command->link_name.empty() ? "default" : command->link_name;
  std::string key;
  for (const auto& provider : host_.providers()) {
    if ((provider.public_key == command->provider_ref || provider.origin == command->provider_ref) &&
        provider.link_name == link_name) {
      key = provider.public_key;
    }
  }
  ctl::StopProviderAck ack;
  if (key.empty()) {
    ack.failure = "no provider '" + command->provider_ref + "' with link name '" + link_name + "' runs on host " +
                  host_.id();
  } else {
    ack.failure = failureOf(host_.stopProvider(key, link_name));
  }
  return ctl::toJson(ack);
}

std::optional<std::string> ControlServer::updateActor(std::string_view request) {
  auto command = parsed(ctl::parseUpdateActorCommand(request), "cmd.upd");
  if (!command) return std::nullopt;
  auto updated = host::updateActorFromRef(host_, command->actor_id, command->new_actor_ref);
  if (!updated) {
    // 0.18's acknowledgement has no room for the reason: it goes to the log.
    spdlog::warn("control interface: live update of {} to '{}' refused: {}", command->actor_id,
                 command->new_actor_ref, updated.error().message);
  }
  return ctl::toJson(ctl::UpdateActorAck{updated.hasValue()});
}

}  // namespace stratus::lattice
