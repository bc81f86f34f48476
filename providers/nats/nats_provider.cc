// wasmcloud:messaging on NATS (libnats 3.4): one connection per linked actor.
//
// Link values (wasmCloud 0.18's NATS provider: URL, SUBSCRIPTION, QUEUEGROUP_NAME, CLIENT_JWT, CLIENT_SEED,
// CREDSFILE; the rest are stratus additions, see config.h and README.md here):
//   URL              server URL, or a comma list of them (default nats://127.0.0.1:4222)
//   SUBSCRIPTION     comma list of subjects whose messages go to the actor as HandleMessage
//   QUEUEGROUP_NAME  subscribe in this queue group: each message goes to one member of the group
//   CLIENT_JWT + CLIENT_SEED, or CREDSFILE   NATS 2 user credentials (CREDSFILE wins when both are given)
//
// Threads: libnats runs a reader (and, with SEND_ASAP=false, a flusher) per connection and a delivery thread per
// subscription; those only copy each message into the actor's bounded queue (MAX_PENDING, overflow dropped and
// logged), from which DELIVERY_THREADS workers call the actor. The actor's reply to HandleMessage is ignored: as
// in wasmCloud 0.18 an actor answers a request by publishing to the message's replyTo itself.
//
// Reconnects: forever, with a doubling wait between rounds over the server list; disconnects and reconnects are
// logged. While the connection is down, Publish and Request fail at once with "not connected" (Request never waits
// past its timeout; a request in flight fails when the connection drops). A server that is down at BindActor does
// not fail the bind: the link comes up, warns, and connects in the background. Everything else wrong with a link
// (bad URL, credentials the server or libnats rejects, unreadable CREDSFILE, bad subject) fails BindActor.
//
// Differences from wasmCloud 0.18's provider, on purpose: a failed Publish is an error naming the subject and the
// cause (wasmCloud answered {published: false} and only logged it); Request answers a BrokerMessage as the
// interface declares (wasmCloud returned the raw reply bytes, which the generated actor code could not decode); the
// actor operation is HandleMessage (wasmCloud's provider still dispatched waSCC's DeliverMessage, which actors built
// with wasmcloud-actor-messaging do not register).
#include <map>
#include <memory>
#include <string>

#include "config.h"
#include "link.h"
#include "stratus/codec/messaging.h"
#include "stratus/common/thread_annotations.h"
#include "stratus/provider.hpp"

namespace stratus::providers::nats {
namespace {

class NatsProvider final : public provider::CapabilityProvider {
 public:
  ~NatsProvider() override { stop(); }

  std::string_view capabilityId() const override { return codec::kMessagingContract; }
  std::string_view name() const override { return "stratus NATS messaging (libnats)"; }

  Expected<void> bindActor(std::string_view actor, const std::map<std::string, std::string>& values) override {
    auto config = parseConfig(values);
    if (!config) {
      Error e = config.takeError();
      e.message = prefix(actor) + e.message;
      return fail(std::move(e));
    }
    MutexLock control(control_mu_);
    if (stopped_) return fail(ErrorCode::kUnavailable, prefix(actor) + "the provider is stopping");
    if (auto existing = find(actor)) {
      if (existing->config() == *config) return ok();  // the same link again
      dispatcher().log(STRATUS_LOG_INFO, prefix(actor) + "link values changed; reconnecting");
      drop(existing);
    }
    if (!config->creds_file.empty() && (!config->client_jwt.empty() || !config->client_seed.empty())) {
      dispatcher().log(STRATUS_LOG_INFO, prefix(actor) + "CREDSFILE given: CLIENT_JWT and CLIENT_SEED are ignored");
    }
    auto link = Link::open(std::string(actor), std::move(*config), dispatcher());
    if (!link) return fail(link.takeError());
    WriterLock lock(mu_);
    links_[std::string(actor)] = std::move(*link);
    return ok();
  }

  Expected<void> removeActor(std::string_view actor) override {
    MutexLock control(control_mu_);
    if (auto link = find(actor)) drop(link);
    return ok();
  }

  Expected<Bytes> handleCall(std::string_view actor, std::string_view operation,
                             std::span<const uint8_t> msg) override {
    if (operation == codec::kOpPublish) {
      auto args = codec::decodePublishArgs(msg);
      if (!args) return fail(args.takeError());
      auto link = linked(actor);
      if (!link) return fail(link.takeError());
      STRATUS_TRY((*link)->publish(*args));
      return codec::encode(codec::PublishResponse{true});
    }
    if (operation == codec::kOpMessagingRequest) {
      auto args = codec::decodeRequestArgs(msg);
      if (!args) return fail(args.takeError());
      auto link = linked(actor);
      if (!link) return fail(link.takeError());
      auto reply = (*link)->request(*args);
      if (!reply) return fail(reply.takeError());
      return codec::encode(*reply);
    }
    std::string text = "unknown wasmcloud:messaging operation '";
    text += operation;
    text += "' (known: Publish, Request)";
    return fail(ErrorCode::kNotFound, std::move(text));
  }

  codec::HealthResponse health() override {
    std::string problems;
    size_t down = 0;
    ReaderLock lock(mu_);
    for (const auto& [actor, link] : links_) {
      if (link->connected()) continue;
      if (++down <= 3) {
        if (!problems.empty()) problems += "; ";
        problems += "actor ";
        problems += actor;
        problems += ": ";
        problems += link->state();
      }
    }
    if (down > 3) {
      problems += "; and ";
      problems += std::to_string(down - 3);
      problems += " more";
    }
    return {down == 0, problems};
  }

  void stop() override {
    MutexLock control(control_mu_);
    stopped_ = true;
    std::map<std::string, std::shared_ptr<Link>, std::less<>> links;
    {
      WriterLock lock(mu_);
      links.swap(links_);
    }
    // First stop every delivery (HandleMessage calls in flight may still publish), then close the connections.
    for (auto& [actor, link] : links) link->stopDelivery();
    for (auto& [actor, link] : links) link->close();
  }

 private:
  static std::string prefix(std::string_view actor) {
    std::string p = "nats: actor ";
    p += actor;
    p += ": ";
    return p;
  }

  std::shared_ptr<Link> find(std::string_view actor) const STRATUS_EXCLUDES(mu_) {
    ReaderLock lock(mu_);
    auto it = links_.find(actor);
    return it == links_.end() ? nullptr : it->second;
  }

  Expected<std::shared_ptr<Link>> linked(std::string_view actor) const {
    if (auto link = find(actor)) return link;
    std::string text = "nats: actor ";
    text += actor;
    text += " has no wasmcloud:messaging link on this provider (never bound, or removed)";
    return fail(ErrorCode::kNotFound, std::move(text));
  }

  // Stops `link`'s deliveries while Publish still finds it (a HandleMessage in flight may answer), then forgets
  // and closes it.
  void drop(const std::shared_ptr<Link>& link) STRATUS_REQUIRES(control_mu_) STRATUS_EXCLUDES(mu_) {
    link->stopDelivery();
    {
      WriterLock lock(mu_);
      links_.erase(link->actor());
    }
    link->close();
  }

  Mutex control_mu_;  // serializes bind, remove and stop (which connect and join threads)
  bool stopped_ STRATUS_GUARDED_BY(control_mu_) = false;
  mutable SharedMutex mu_;
  std::map<std::string, std::shared_ptr<Link>, std::less<>> links_ STRATUS_GUARDED_BY(mu_);
};

}  // namespace
}  // namespace stratus::providers::nats

STRATUS_PROVIDER(stratus::providers::nats::NatsProvider)
