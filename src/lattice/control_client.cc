#include "stratus/lattice/control_client.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>

#include "lattice/antiforgery.h"
#include "lattice/control_wire.h"
#include "lattice/lattice_keys.h"
#include "lattice/nats_client.h"
#include "lattice/nats_kv.h"
#include "lattice/subjects.h"
#include "lattice/wire.h"
#include "stratus/claims/jwt.h"
#include "stratus/claims/nkeys.h"
#include "stratus/common/thread_annotations.h"

namespace stratus::lattice {
namespace {

std::span<const uint8_t> bytesOf(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

std::string_view textOf(const Bytes& bytes) { return {reinterpret_cast<const char*>(bytes.data()), bytes.size()}; }

bool isPublicKey(std::string_view text, claims::KeyType type) {
  auto key = claims::KeyPair::fromPublicKey(text);
  return key && key->type() == type;
}

std::string orDefault(const std::string& link_name) { return link_name.empty() ? "default" : link_name; }

// A UUID v4, as wasmCloud's invocation ids.
std::string newInvocationId() {
  host::InvocationId id;
  randombytes_buf(id.bytes.data(), id.bytes.size());
  id.bytes[6] = static_cast<uint8_t>((id.bytes[6] & 0x0f) | 0x40);
  id.bytes[8] = static_cast<uint8_t>((id.bytes[8] & 0x3f) | 0x80);
  return id.text();
}

std::string describe(const Constraints& constraints) {
  if (constraints.empty()) return "";
  std::string text = " (constraints";
  for (const auto& [key, value] : constraints) text += " " + key + "=" + value;
  return text + ")";
}

InventoryActor toPublic(const ctl::ActorDescription& a) { return {a.id, a.image_ref, a.name, a.revision}; }
InventoryProvider toPublic(const ctl::ProviderDescription& p) {
  return {p.id, p.link_name, p.image_ref, p.name, p.revision};
}

class NatsControlClient final : public ControlClient {
 public:
  NatsControlClient(std::unique_ptr<NatsClient> nats, std::string ns, std::chrono::milliseconds timeout,
                    std::string server, claims::KeyPair key, std::optional<claims::KeyPair> cluster_key)
      : nats_(std::move(nats)),
        subjects_(ns),
        ns_(std::move(ns)),
        timeout_(timeout),
        server_(std::move(server)),
        key_(std::move(key)),
        cluster_key_(std::move(cluster_key)),
        id_(key_.publicKey()) {}

  const std::string& ns() const override { return ns_; }
  std::chrono::milliseconds timeout() const override { return timeout_; }
  const std::string& server() const override { return server_; }
  const std::string& id() const override { return id_; }

  Expected<std::vector<HostSummary>> hosts() override {
    const std::string subject = subjects_.ctl("get.hosts");
    auto replies = nats_->collect(subject, {}, timeout_);
    if (!replies) return fail(replies.takeError());
    std::vector<HostSummary> hosts;
    std::optional<Error> unreadable;
    for (const Bytes& reply : *replies) {
      auto host = ctl::parseHost(textOf(reply));
      if (!host) {
        spdlog::warn("ignoring an unreadable answer to {}: {}", subject, host.error().message);
        unreadable = host.takeError();
        continue;
      }
      hosts.push_back({host->id, host->uptime});
    }
    if (hosts.empty() && unreadable) {
      return fail(std::move(*unreadable).prefixed("every answer to " + subject + " was unreadable: "));
    }
    if (hosts.empty()) {
      return fail(ErrorCode::kUnavailable,
                  "no host answered get.hosts within " + ms() + " on " + server_ + " (namespace '" + ns_ + "')");
    }
    std::sort(hosts.begin(), hosts.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return hosts;
  }

  Expected<HostInventory> inventory(const std::string& host_id) override {
    STRATUS_TRY(checkHostId(host_id));
    auto reply = ask(host_id, "get." + host_id + ".inv", {}, "the inventory query");
    if (!reply) return fail(reply.takeError());
    auto parsed = ctl::parseHostInventory(textOf(*reply));
    if (!parsed) return fail(parsed.takeError().prefixed("host " + host_id + " sent an unreadable inventory: "));
    HostInventory inventory{parsed->host_id, parsed->labels, {}, {}};
    for (const auto& actor : parsed->actors) inventory.actors.push_back(toPublic(actor));
    for (const auto& provider : parsed->providers) inventory.providers.push_back(toPublic(provider));
    return inventory;
  }

  Expected<std::vector<host::LinkDefinition>> links() override {
    auto reply = askAnyHost("get.links");
    if (!reply) return fail(reply.takeError());
    auto parsed = ctl::parseLinkDefinitionList(textOf(*reply));
    if (!parsed) return fail(parsed.takeError().prefixed("unreadable answer to get.links: "));
    return std::move(parsed->links);
  }

  Expected<std::vector<ClaimsValues>> claims() override {
    auto reply = askAnyHost("get.claims");
    if (!reply) return fail(reply.takeError());
    auto parsed = ctl::parseClaimsList(textOf(*reply));
    if (!parsed) return fail(parsed.takeError().prefixed("unreadable answer to get.claims: "));
    std::vector<ClaimsValues> claims;
    for (auto& entry : parsed->claims) claims.push_back(std::move(entry.values));
    return claims;
  }

  Expected<std::vector<std::string>> actorAuction(const std::string& ref, const Constraints& constraints) override {
    if (ref.empty()) return fail(ErrorCode::kInvalidArgument, "an actor auction needs an actor reference");
    return auction("auction.actor", ctl::toJson(ctl::ActorAuctionRequest{ref, constraints}),
                   [](std::string_view json) -> Expected<std::string> {
                     auto ack = ctl::parseActorAuctionAck(json);
                     if (!ack) return fail(ack.takeError());
                     return std::move(ack->host_id);
                   });
  }

  Expected<std::vector<std::string>> providerAuction(const std::string& ref, const std::string& link_name,
                                                     const Constraints& constraints) override {
    if (ref.empty()) return fail(ErrorCode::kInvalidArgument, "a provider auction needs a provider reference");
    return auction("auction.provider", ctl::toJson(ctl::ProviderAuctionRequest{ref, orDefault(link_name), constraints}),
                   [](std::string_view json) -> Expected<std::string> {
                     auto ack = ctl::parseProviderAuctionAck(json);
                     if (!ack) return fail(ack.takeError());
                     return std::move(ack->host_id);
                   });
  }

  Expected<void> startActor(const std::string& host_id, const std::string& ref) override {
    const std::string what = "start actor " + ref;
    auto ack = command(host_id, "la", ctl::toJson(ctl::StartActorCommand{ref, host_id}), what, ctl::parseStartActorAck);
    if (!ack) return fail(ack.takeError());
    return refused(host_id, what, ack->failure);
  }

  Expected<void> stopActor(const std::string& host_id, const std::string& ref_or_key) override {
    const std::string what = "stop actor " + ref_or_key;
    auto ack =
        command(host_id, "sa", ctl::toJson(ctl::StopActorCommand{host_id, ref_or_key}), what, ctl::parseStopActorAck);
    if (!ack) return fail(ack.takeError());
    return refused(host_id, what, ack->failure);
  }

  Expected<void> startProvider(const std::string& host_id, const std::string& ref,
                               const std::string& link_name) override {
    const std::string what = "start provider " + ref + " (link name '" + orDefault(link_name) + "')";
    auto ack = command(host_id, "lp", ctl::toJson(ctl::StartProviderCommand{host_id, ref, orDefault(link_name)}), what,
                       ctl::parseStartProviderAck);
    if (!ack) return fail(ack.takeError());
    return refused(host_id, what, ack->failure);
  }

  Expected<void> stopProvider(const std::string& host_id, const std::string& ref_or_key, const std::string& link_name,
                              const std::string& contract_id) override {
    const std::string what =
        "stop provider " + ref_or_key + " (" + contract_id + ", link name '" + orDefault(link_name) + "')";
    auto ack = command(host_id, "sp",
                       ctl::toJson(ctl::StopProviderCommand{host_id, ref_or_key, orDefault(link_name), contract_id}),
                       what, ctl::parseStopProviderAck);
    if (!ack) return fail(ack.takeError());
    return refused(host_id, what, ack->failure);
  }

  Expected<void> updateActor(const std::string& host_id, const std::string& actor_id,
                             const std::string& new_ref) override {
    const std::string what = "update actor " + actor_id + " to " + new_ref;
    auto ack = command(host_id, "upd", ctl::toJson(ctl::UpdateActorCommand{host_id, actor_id, new_ref}), what,
                       ctl::parseUpdateActorAck);
    if (!ack) return fail(ack.takeError());
    if (!ack->accepted) {
      return refused(host_id, what,
                     "not accepted (the acknowledgement carries no reason: the actor may not run there, live "
                     "updates may be disabled; see the host's log)");
    }
    return ok();
  }

  Expected<std::string> startActorAnywhere(const std::string& ref, const Constraints& constraints) override {
    auto bidders = actorAuction(ref, constraints);
    if (!bidders) return fail(bidders.takeError());
    auto chosen = choose(*bidders, "actor " + ref, constraints);
    if (!chosen) return fail(chosen.takeError());
    STRATUS_TRY(startActor(*chosen, ref));
    return chosen;
  }

  Expected<std::string> startProviderAnywhere(const std::string& ref, const std::string& link_name,
                                              const Constraints& constraints) override {
    auto bidders = providerAuction(ref, link_name, constraints);
    if (!bidders) return fail(bidders.takeError());
    auto chosen = choose(*bidders, "provider " + ref + " (link name '" + orDefault(link_name) + "')", constraints);
    if (!chosen) return fail(chosen.takeError());
    STRATUS_TRY(startProvider(*chosen, ref, link_name));
    return chosen;
  }

  Expected<void> putLink(const host::LinkDefinition& given) override {
    host::LinkDefinition link = given;
    link.link_name = orDefault(link.link_name);
    if (link.actor_id.empty() || link.provider_id.empty() || link.contract_id.empty()) {
      return fail(ErrorCode::kInvalidArgument, "a link needs an actor id, a provider id and a contract id");
    }
    const Bytes encoded = encodeLinkDefinition(link);
    const std::string what = "the link " + link.actor_id + " -> " + link.provider_id + " (" + link.contract_id +
                             ", link name '" + link.link_name + "')";
    STRATUS_TRY(store(linkKey(link.actor_id, link.contract_id, link.link_name), encoded, what));
    return advertise(subjects_.links(), encoded, what);
  }

  Expected<void> deleteLink(const std::string& actor_id, const std::string& contract_id,
                            const std::string& link_name) override {
    if (actor_id.empty() || contract_id.empty()) {
      return fail(ErrorCode::kInvalidArgument, "removing a link needs its actor id and contract id");
    }
    // As 0.18's control client: the provider id and values are left empty in a removal.
    const host::LinkDefinition link{actor_id, {}, contract_id, orDefault(link_name), {}};
    const std::string what =
        "the removal of the link of " + actor_id + " (" + contract_id + ", link name '" + link.link_name + "')";
    STRATUS_TRY(store(linkKey(link.actor_id, link.contract_id, link.link_name), {}, what));
    return advertise(subjects_.removedLinks(), encodeLinkDefinition(link), what);
  }

  Expected<Bytes> call(const std::string& actor_key, const std::string& operation,
                       std::span<const uint8_t> payload) override {
    if (!isPublicKey(actor_key, claims::KeyType::kModule)) {
      return fail(ErrorCode::kInvalidArgument,
                  "'" + actor_key + "' is not an actor's public key (a module key: 'M' and 55 more characters)");
    }
    if (operation.empty()) return fail(ErrorCode::kInvalidArgument, "calling actor " + actor_key + ": no operation");
    WireInvocation invocation{{host::EntityKind::kActor, std::string(host::kSystemOrigin), {}, {}},
                              {host::EntityKind::kActor, actor_key, {}, {}},
                              operation,
                              Bytes(payload.begin(), payload.end()),
                              newInvocationId(),
                              {},
                              id_};
    STRATUS_TRY(signInvocation(invocation, cluster_key_ ? *cluster_key_ : key_, claims::unixNow()));
    const std::string subject = subjects_.actor(actor_key);
    const std::string what = "calling '" + operation + "' on actor " + actor_key;
    auto reply = nats_->request(subject, encodeInvocation(invocation), timeout_);
    if (!reply) {
      Error e = reply.takeError();
      if (e.code == ErrorCode::kNotFound) {
        e.message = "actor " + actor_key + " runs on no host in namespace '" + ns_ + "' on " + server_ +
                    " (nothing subscribes to " + subject + ")";
      } else if (e.code == ErrorCode::kDeadlineExceeded) {
        e.message = what + ": no reply within " + ms();
      } else {
        e.message = what + ": " + e.message;
      }
      return fail(std::move(e));
    }
    auto response = decodeInvocationResponse(*reply);
    if (!response) return fail(response.takeError().prefixed(what + ": unreadable reply: "));
    if (response->error && !response->error->empty()) {
      return fail(ErrorCode::kHostError, what + ": " + *response->error);
    }
    if (response->invocation_id != invocation.id) {
      return fail(ErrorCode::kMalformed, what + ": the reply is for invocation '" + response->invocation_id +
                                             "', not '" + invocation.id + "'");
    }
    return std::move(response->msg);
  }

 private:
  std::string ms() const { return std::to_string(timeout_.count()) + " ms"; }

  Expected<void> checkHostId(const std::string& host_id) const {
    if (isPublicKey(host_id, claims::KeyType::kServer)) return ok();
    return fail(ErrorCode::kInvalidArgument,
                "'" + host_id + "' is not a host id (a server public key: 'N' and 55 more characters)");
  }

  // One request to one host on wasmbus.ctl.{ns}.{rest}; `what` names it in errors.
  Expected<Bytes> ask(const std::string& host_id, const std::string& rest, std::string_view body,
                      const std::string& what) {
    const std::string subject = subjects_.ctl(rest);
    auto reply = nats_->request(subject, bytesOf(body), timeout_);
    if (reply) return reply;
    Error e = reply.takeError();
    if (e.code == ErrorCode::kNotFound) {
      e.message = "no host " + host_id + " in namespace '" + ns_ + "' on " + server_ + " (nothing subscribes to " +
                  subject + ")";
    } else if (e.code == ErrorCode::kDeadlineExceeded) {
      e.message = "host " + host_id + " did not answer " + what + " within " + ms();
    } else {
      e.message = "cannot send " + what + " to host " + host_id + ": " + e.message;
    }
    return fail(std::move(e));
  }

  // A query every host answers: the first answer wins.
  Expected<Bytes> askAnyHost(const std::string& rest) {
    const std::string subject = subjects_.ctl(rest);
    auto reply = nats_->request(subject, {}, timeout_);
    if (reply) return reply;
    Error e = reply.takeError();
    if (e.code == ErrorCode::kNotFound || e.code == ErrorCode::kDeadlineExceeded) {
      e.message = "no host answered " + rest + " within " + ms() + " on " + server_ + " (namespace '" + ns_ + "')";
    }
    return fail(std::move(e));
  }

  template <typename Parse>
  auto command(const std::string& host_id, const std::string& verb, const std::string& body, const std::string& what,
               Parse parse) -> decltype(parse(std::string_view())) {
    STRATUS_TRY(checkHostId(host_id));
    auto reply = ask(host_id, "cmd." + host_id + "." + verb, body, "'" + what + "'");
    if (!reply) return fail(reply.takeError());
    auto ack = parse(textOf(*reply));
    if (!ack) {
      return fail(ack.takeError().prefixed("host " + host_id + " sent an unreadable answer to '" + what + "': "));
    }
    return ack;
  }

  static Expected<void> refused(const std::string& host_id, const std::string& what,
                                const std::optional<std::string>& failure) {
    if (!failure) return ok();
    return fail(ErrorCode::kHostError, "host " + host_id + " refused to " + what + ": " + *failure);
  }

  template <typename ParseAck>
  Expected<std::vector<std::string>> auction(const std::string& rest, const std::string& request, ParseAck parse) {
    const std::string subject = subjects_.ctl(rest);
    auto replies = nats_->collect(subject, bytesOf(request), timeout_);
    if (!replies) return fail(replies.takeError());
    std::vector<std::string> bidders;
    for (const Bytes& reply : *replies) {
      auto host_id = parse(textOf(reply));
      if (!host_id) {
        spdlog::warn("ignoring an unreadable bid on {}: {}", subject, host_id.error().message);
      } else if (std::find(bidders.begin(), bidders.end(), *host_id) == bidders.end()) {
        bidders.push_back(std::move(*host_id));
      }
    }
    return bidders;
  }

  Expected<std::string> choose(const std::vector<std::string>& bidders, const std::string& what,
                               const Constraints& constraints) const {
    if (bidders.empty()) {
      return fail(ErrorCode::kNotFound, "no host bid for " + what + describe(constraints) + " within " + ms() +
                                            " in namespace '" + ns_ + "' on " + server_ +
                                            " (a host bids when it carries every constrained label and does not "
                                            "run it already)");
    }
    return bidders[randombytes_uniform(static_cast<uint32_t>(bidders.size()))];
  }

  // The lattice bucket when the server has JetStream, nullptr when it has none (then links travel as adverts only,
  // as in 0.18). Decided once per client.
  Expected<NatsKeyValue*> bucket() STRATUS_REQUIRES(bucket_mu_) {
    if (bucket_checked_) return bucket_.get();
    auto info = nats_->request("$JS.API.INFO", {}, timeout_);
    if (!info && info.error().code != ErrorCode::kNotFound) {
      return fail(info.takeError().prefixed("cannot tell whether the server has JetStream: "));
    }
    bool has_jetstream = info.hasValue();
    if (has_jetstream) {
      // A server with JetStream answers an account without it with an error object.
      auto reply = nlohmann::json::parse(textOf(*info), nullptr, /*allow_exceptions=*/false);
      has_jetstream = !reply.is_discarded() && !(reply.is_object() && reply.contains("error"));
    }
    if (has_jetstream) {
      auto opened = NatsKeyValue::open(*nats_, bucketName(ns_));
      if (!opened) return fail(opened.takeError());
      bucket_ = std::move(*opened);
    } else {
      spdlog::info("{} has no JetStream: links are advertised only (they do not outlive the hosts)", server_);
    }
    bucket_checked_ = true;
    return bucket_.get();
  }

  // Puts `value` under `key` in the bucket, or erases `key` when `value` is empty; nothing without JetStream.
  Expected<void> store(const std::string& key, const Bytes& value, const std::string& what) {
    MutexLock lock(bucket_mu_);
    auto kv = bucket();
    if (!kv) return fail(kv.takeError().prefixed("cannot store " + what + ": "));
    if (*kv == nullptr) return ok();
    auto stored = value.empty() ? (*kv)->erase(key) : (*kv)->put(key, value);
    if (!stored) return fail(stored.takeError().prefixed("cannot store " + what + ": "));
    return ok();
  }

  // Publishes an advert and waits until the server has it, so that it is out before the client goes away.
  Expected<void> advertise(const std::string& subject, const Bytes& payload, const std::string& what) {
    auto sent = nats_->publish(subject, payload);
    if (sent) sent = nats_->flush(timeout_);
    if (!sent) return fail(sent.takeError().prefixed("cannot advertise " + what + ": "));
    return ok();
  }

  const std::unique_ptr<NatsClient> nats_;
  const Subjects subjects_;
  const std::string ns_;
  const std::chrono::milliseconds timeout_;
  const std::string server_;
  const claims::KeyPair key_;
  const std::optional<claims::KeyPair> cluster_key_;
  const std::string id_;
  Mutex bucket_mu_;
  bool bucket_checked_ STRATUS_GUARDED_BY(bucket_mu_) = false;
  // Declared after nats_, so destroyed before the connection it uses.
  std::unique_ptr<NatsKeyValue> bucket_ STRATUS_GUARDED_BY(bucket_mu_);
};

}  // namespace

Expected<std::unique_ptr<ControlClient>> ControlClient::connect(NatsEndpoint endpoint, std::string ns,
                                                                std::chrono::milliseconds timeout,
                                                                std::string cluster_seed) {
  if (ns.empty() || ns.find_first_of(" \t\r\n*>") != std::string::npos) {
    return fail(ErrorCode::kInvalidArgument,
                "invalid lattice namespace '" + ns + "': it must be non-empty, without spaces, '*' or '>'");
  }
  if (timeout.count() <= 0) {
    return fail(ErrorCode::kInvalidArgument,
                "the control client's timeout must be positive, not " + std::to_string(timeout.count()) + " ms");
  }
  if (sodium_init() < 0) return fail(ErrorCode::kInternal, "cannot initialise libsodium");
  auto key = claims::KeyPair::generate(claims::KeyType::kServer);
  if (!key) return fail(key.takeError().prefixed("cannot make the control client's key: "));
  std::optional<claims::KeyPair> cluster_key;
  if (!cluster_seed.empty()) {
    auto parsed = claims::KeyPair::fromSeed(cluster_seed);
    if (!parsed || parsed->type() != claims::KeyType::kCluster) {
      return fail(ErrorCode::kInvalidArgument, "the cluster seed is not a cluster seed ('SC…')");
    }
    cluster_key = std::move(*parsed);
  }
  auto nats = NatsClient::connect(endpoint, "control", "stratus ctl");
  if (!nats) return fail(nats.takeError());
  return std::unique_ptr<ControlClient>(new NatsControlClient(std::move(*nats), std::move(ns), timeout,
                                                              endpoint.url(), std::move(*key), std::move(cluster_key)));
}

}  // namespace stratus::lattice
