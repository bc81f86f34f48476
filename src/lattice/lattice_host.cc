// LatticeHost: a host joined to a lattice; wires the host to the lattice's parts and stops them in order.
#include <spdlog/spdlog.h>

#include <atomic>

#include "lattice/control_server.h"
#include "lattice/event_publisher.h"
#include "lattice/lattice_bus.h"
#include "lattice/lattice_data.h"
#include "lattice/rpc_server.h"
#include "common/work_queue.h"
#include "stratus/lattice/lattice.h"

namespace stratus::lattice {
namespace {

class JoinedHost final : public LatticeHost {
 public:
  JoinedHost(LatticeOptions options, std::unique_ptr<NatsClient> rpc, std::unique_ptr<NatsClient> ctl,
             std::optional<claims::KeyPair> cluster_key)
      : options_(std::move(options)),
        subjects_(options_.ns),
        rpc_(std::move(rpc)),
        ctl_owned_(std::move(ctl)),
        ctl_(ctl_owned_ ? *ctl_owned_ : *rpc_),
        cluster_key_(std::move(cluster_key)),
        work_(options_.max_inbound_threads) {}

  ~JoinedHost() override;

  host::Host& host() override { return *host_; }
  const std::string& ns() const override { return options_.ns; }

  // Builds the host with the lattice's bus and listener, then joins: subscriptions, HostStarted, heartbeat.
  Expected<void> join(host::HostBuilder builder);

 private:
  void onHostEvent(const host::HostEvent& event);
  void serve(const host::HostEvent& event);
  ctl::Heartbeat heartbeat();

  const LatticeOptions options_;
  const Subjects subjects_;
  std::unique_ptr<NatsClient> rpc_;
  std::unique_ptr<NatsClient> ctl_owned_;  // null when the control interface shares the RPC connection
  NatsClient& ctl_;
  const std::optional<claims::KeyPair> cluster_key_;
  WorkQueue work_;
  std::unique_ptr<EventPublisher> events_;
  std::unique_ptr<RpcServer> rpc_server_;
  std::unique_ptr<LatticeData> data_;
  std::unique_ptr<ControlServer> control_;
  // What the host's bus factory handed over: the local bus lives in the host.
  host::Bus* local_ = nullptr;
  std::atomic<bool> joined_{false};
  std::unique_ptr<host::Host> host_;
};

Expected<void> JoinedHost::join(host::HostBuilder builder) {
  builder.withBus([this](const host::BusContext& context) -> Expected<std::unique_ptr<host::Bus>> {
    local_ = &context.local;
    const claims::KeyPair& signer = cluster_key_ ? *cluster_key_ : context.host_key;
    return std::unique_ptr<host::Bus>(
        new LatticeBus(context.local, context.runs_here, *rpc_, subjects_, signer, options_.rpc_timeout));
  });
  builder.withEventListener([this](const host::HostEvent& event) { onHostEvent(event); });
  auto built = builder.build();
  if (!built) return fail(built.takeError());
  host_ = std::move(*built);

  events_ = std::make_unique<EventPublisher>(ctl_, subjects_, host_->id());
  AntiforgeryPolicy policy{options_.cluster_issuers};
  rpc_server_ = std::make_unique<RpcServer>(*rpc_, work_, subjects_, *local_, *host_, std::move(policy));
  data_ = std::make_unique<LatticeData>(*rpc_, work_, subjects_, options_.ns, *host_);
  control_ = std::make_unique<ControlServer>(ctl_, work_, subjects_, *host_);
  STRATUS_TRY(data_->start());
  STRATUS_TRY(control_->start());
  joined_ = true;
  // What started while the host was built (the built-in providers) is served now; later starts through events.
  for (const auto& actor : host_->actors()) STRATUS_TRY(rpc_server_->serveActor(actor.public_key));
  for (const auto& provider : host_->providers()) {
    STRATUS_TRY(rpc_server_->serveProvider(provider.public_key, provider.link_name));
  }
  STRATUS_TRY(rpc_->flush(std::chrono::seconds(5)));
  if (&ctl_ != rpc_.get()) STRATUS_TRY(ctl_.flush(std::chrono::seconds(5)));
  events_->publish(ctl::HostStarted{});
  events_->startHeartbeat(options_.heartbeat_interval, [this] { return heartbeat(); });
  spdlog::info("host {} joined lattice '{}' ({}; {})", host_->id(), options_.ns, rpc_->description(),
               ctl_.description());
  return ok();
}

JoinedHost::~JoinedHost() {
  joined_ = false;
  if (events_) events_->stopHeartbeat();
  // No new deliveries, then the ones queued or running finish while the host is whole.
  if (control_) control_->stop();
  if (data_) data_->stop();
  if (rpc_server_) rpc_server_->stop();
  work_.stop();
  if (events_) events_->publish(ctl::HostStopped{});
  (void)ctl_.flush(std::chrono::seconds(1));
  // The host goes before the connections its bus sends on.
  host_.reset();
}

uint32_t revision(int32_t rev) { return rev < 0 ? 0 : static_cast<uint32_t>(rev); }

std::optional<std::string> optionalRef(const std::string& image_ref) {
  return image_ref.empty() ? std::nullopt : std::optional(image_ref);
}

void JoinedHost::onHostEvent(const host::HostEvent& event) {
  if (!joined_) return;
  serve(event);
  data_->onHostEvent(event);
  using Kind = host::HostEvent::Kind;
  switch (event.kind) {
    case Kind::kActorStarted:
      events_->publish(ctl::ActorStarted{event.public_key, optionalRef(event.image_ref)});
      break;
    case Kind::kActorStopped:
      events_->publish(ctl::ActorStopped{event.public_key});
      break;
    case Kind::kProviderStarted:
      events_->publish(ctl::ProviderStarted{event.contract_id, event.link_name, event.public_key,
                                            optionalRef(event.image_ref == "built-in" ? "" : event.image_ref)});
      break;
    case Kind::kProviderStopped:
      events_->publish(ctl::ProviderStopped{event.contract_id, event.link_name, event.public_key});
      break;
    case Kind::kActorUpdateBegan:
      events_->publish(ctl::ActorUpdateBegan{event.public_key, revision(event.old_revision),
                                             revision(event.new_revision)});
      break;
    case Kind::kActorUpdateCompleted:
      events_->publish(ctl::ActorUpdateCompleted{event.public_key, revision(event.old_revision),
                                                 revision(event.new_revision)});
      break;
    default:
      break;
  }
}

// Subscriptions follow what runs here.
void JoinedHost::serve(const host::HostEvent& event) {
  using Kind = host::HostEvent::Kind;
  Expected<void> served = ok();
  switch (event.kind) {
    case Kind::kActorStarted:
      served = rpc_server_->serveActor(event.public_key);
      break;
    case Kind::kActorStopped:
      rpc_server_->stopServing(subjects_.actor(event.public_key));
      break;
    case Kind::kProviderStarted:
      served = rpc_server_->serveProvider(event.public_key, event.link_name);
      break;
    case Kind::kProviderStopped:
      rpc_server_->stopServing(subjects_.provider(event.public_key, event.link_name));
      break;
    default:
      break;
  }
  if (!served) spdlog::error("{} cannot take calls from the lattice: {}", event.public_key, served.error().message);
}

ctl::Heartbeat JoinedHost::heartbeat() {
  ctl::Heartbeat beat;
  for (const auto& actor : host_->actors()) {
    beat.claims.push_back(actor.claims);
    beat.entities[actor.public_key] = ctl::RunState{};
  }
  for (const auto& provider : host_->checkProviderHealth()) {
    beat.entities[provider.public_key] = ctl::RunState{provider.healthy, provider.health_message};
  }
  return beat;
}

}  // namespace

Expected<std::unique_ptr<LatticeHost>> LatticeHost::start(host::HostBuilder builder, LatticeOptions options) {
  if (options.ns.empty() || options.ns.find_first_of(" .*>") != std::string::npos) {
    return fail(ErrorCode::kInvalidArgument,
                "lattice namespace '" + options.ns + "': must be non-empty, without spaces, '.', '*' or '>'");
  }
  std::optional<claims::KeyPair> cluster_key;
  if (!options.cluster_seed.empty()) {
    auto key = claims::KeyPair::fromSeed(options.cluster_seed);
    if (!key || key->type() != claims::KeyType::kCluster) {
      return fail(ErrorCode::kInvalidArgument, "the cluster seed is not a cluster seed ('SC…')");
    }
    const auto& issuers = options.cluster_issuers;
    if (std::find(issuers.begin(), issuers.end(), key->publicKey()) == issuers.end()) {
      options.cluster_issuers.push_back(key->publicKey());  // a host trusts what it signs itself
    }
    cluster_key = std::move(*key);
  } else if (!options.cluster_issuers.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "cluster issuers are given but no cluster seed: this host could not sign invocations they accept");
  }
  for (const auto& issuer : options.cluster_issuers) {
    if (issuer.size() != 56 || issuer[0] != 'C') {
      return fail(ErrorCode::kInvalidArgument, "cluster issuer '" + issuer + "' is not a cluster public key ('C…')");
    }
  }

  const std::string client_name = "stratus host (lattice " + options.ns + ")";
  auto rpc = NatsClient::connect(options.rpc, "RPC", client_name);
  if (!rpc) return fail(rpc.takeError());
  std::unique_ptr<NatsClient> ctl;
  if (!(options.control == options.rpc)) {
    auto connected = NatsClient::connect(options.control, "control", client_name);
    if (!connected) return fail(connected.takeError());
    ctl = std::move(*connected);
  }
  auto joined = std::make_unique<JoinedHost>(std::move(options), std::move(*rpc), std::move(ctl),
                                             std::move(cluster_key));
  STRATUS_TRY(joined->join(std::move(builder)));
  return std::unique_ptr<LatticeHost>(std::move(joined));
}

}  // namespace stratus::lattice
