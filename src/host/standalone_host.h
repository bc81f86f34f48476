// The host facade: the Host API over the parts it is made of, each with its own concern and lock discipline.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "host/actor_table.h"
#include "host/claims_cache.h"
#include "host/dispatcher.h"
#include "host/engine_selection.h"
#include "host/events.h"
#include "host/link_binder.h"
#include "host/link_table.h"
#include "host/local_bus.h"
#include "host/provider_health.h"
#include "host/provider_table.h"
#include "stratus/claims/nkeys.h"
#include "stratus/host/host.h"

namespace stratus::host {

/// What a StandaloneHost is made with (from the HostBuilder).
struct HostSettings {
  ActorOptions actor_options{};
  std::function<int64_t()> clock{};
  std::vector<std::function<void(const HostEvent&)>> listeners{};
  std::chrono::milliseconds health_interval{30000};
  std::chrono::milliseconds health_timeout{2000};
  std::chrono::milliseconds stop_timeout{10000};
  std::string cache_dir{};  ///< provider libraries; "" = the default
  ProviderIsolationPolicy isolation{};
  std::shared_ptr<const Authorizer> authorizer{};
  std::map<std::string, std::string> labels{};
  oci::ClientOptions registry_client{};
  oci::CacheOptions registry_cache{};
  bool live_updates = false;
  bool strict_update_check = true;
};

/// A host in one process. The parts and who owns what:
/// - ActorTable, ProviderTable, LinkTable: the state; each a leaf lock, handing out shared records.
/// - Dispatcher: resolves and authorizes every invocation, then hands it to the bus (the local one, or the one
///   given to the builder, which reaches the local one through its BusContext).
/// - LinkBinder: BindActor / RemoveActor, serialized per provider, driven by lifecycle changes after they updated
///   the tables.
/// - ProviderHealth: periodic and on-demand HealthRequests, bounded.
/// - EngineSelection: compiling actors, background tier-up.
/// No host-wide lock exists: lifecycle changes update a table atomically (a start that races another start of
/// the same key gets kAlreadyExists) and then reconcile bindings, so provider code and event listeners always run
/// with no host lock held.
class StandaloneHost final : public Host {
 public:
  StandaloneHost(std::unique_ptr<EngineSelection> engines, HostSettings settings, claims::KeyPair key);
  /// Installs the bus invocations go to (once, before the host is used); nullptr keeps the local bus.
  void setBus(std::unique_ptr<Bus> bus);
  /// The bus context handed to a BusFactory.
  BusContext busContext();
  ~StandaloneHost() override;

  const std::string& id() const override { return id_; }
  const std::map<std::string, std::string>& labels() const override { return labels_; }

  Expected<std::string> startActor(std::span<const uint8_t> wasm, const ActorStartOptions& options) override;
  Expected<std::string> startActorFromFile(const std::string& path, const ActorStartOptions& options) override;
  Expected<std::string> startActorFromRegistry(const std::string& reference,
                                               const ActorStartOptions& options) override;
  Expected<void> updateActor(std::string_view public_key, std::span<const uint8_t> wasm,
                             std::string image_ref) override;
  Expected<void> updateActorFromRegistry(std::string_view public_key, const std::string& reference) override;
  Expected<void> stopActor(std::string_view public_key) override;
  Expected<Bytes> callActor(std::string_view actor, std::string_view operation,
                            std::span<const uint8_t> payload) override;
  std::vector<ActorInfo> actors() const override;
  std::vector<claims::ActorClaims> actorClaims() const override;

  Expected<std::string> startProviderFromArchive(const std::string& path, std::string link_name,
                                                 std::optional<capability::ProviderIsolation> isolation) override;
  Expected<std::string> startProviderFromRegistry(const std::string& reference, std::string link_name,
                                                  std::optional<capability::ProviderIsolation> isolation) override;
  Expected<std::string> startProviderFromLibrary(const std::string& library_path, const claims::ProviderClaims& claims,
                                                 std::string link_name,
                                                 std::optional<capability::ProviderIsolation> isolation) override;
  Expected<std::string> startProviderFromTable(const stratus_provider* table, const claims::ProviderClaims& claims,
                                               std::string link_name) override;
  Expected<void> stopProvider(std::string_view provider_id, std::string_view link_name) override;
  std::vector<ProviderInfo> providers() const override;
  std::vector<ProviderInfo> checkProviderHealth() override;

  Expected<void> setLink(LinkDefinition link) override;
  Expected<void> removeLink(std::string_view actor_id, std::string_view contract_id,
                            std::string_view link_name) override;
  std::vector<LinkDefinition> links() const override;
  void learnActorClaims(claims::ActorClaims claims) override;
  std::optional<claims::ActorClaims> knownActorClaims(std::string_view public_key) const override;
  std::vector<claims::ActorClaims> knownActorClaims() const override;

 private:
  // Provider→actor dispatches hold this open while they run; the host closes it (waiting for them) as it goes
  // away, so a provider thread that outlives its stop never reaches a destroyed host.
  struct Gate {
    SharedMutex mu;
    bool open STRATUS_GUARDED_BY(mu) = true;
  };

  Expected<std::string> startActorFrom(std::span<const uint8_t> wasm, const ActorStartOptions& options,
                                      std::string image_ref);
  // The checks at load: claims verified, then the Authorizer.
  Expected<claims::ActorClaims> verifyForLoad(std::span<const uint8_t> wasm);
  // A compiled actor with its instance pool filled, not yet in the table; `tier_up`: native code is to be compiled
  // in the background (startTierUp) once it is.
  struct PreparedActor {
    std::shared_ptr<Actor> actor;
    bool tier_up = false;
  };
  Expected<PreparedActor> prepareActor(std::span<const uint8_t> wasm, claims::ActorClaims claims, EngineMode mode,
                                       std::string image_ref);
  void startTierUp(const std::shared_ptr<Actor>& actor, std::span<const uint8_t> wasm);
  // Whether `update` may replace `running`: subject, revision, capabilities (strict mode). The reason otherwise.
  Expected<void> checkUpdate(const Actor& running, const claims::ActorClaims& update) const;
  // The artifact `reference` names, from the registry or the cache; kInvalidArgument when it is not of `kind`.
  Expected<oci::FetchedArtifact> fetchArtifact(const std::string& reference, oci::ArtifactKind kind);
  // The module of the actor `reference` names (fetchArtifact, then read from the cache).
  Expected<Bytes> fetchActor(const std::string& reference);
  Expected<std::string> startProvider(std::unique_ptr<capability::NativeProvider> native,
                                      const claims::ProviderClaims& claims, std::string link_name, std::string origin);
  // Loads a library with the isolation chosen for it, then startProvider.
  Expected<std::string> startProviderLibrary(const std::string& library, const claims::ProviderClaims& claims,
                                             std::string link_name, std::string origin,
                                             std::optional<capability::ProviderIsolation> isolation);
  // Stops a provider already out of the table: no more binds, its stop (bounded), the event.
  void retireProvider(Provider& provider);
  void tierUp(const std::weak_ptr<Actor>& weak, Expected<std::shared_ptr<const engine::Module>> native, double seconds);

  const std::string id_;
  const claims::KeyPair key_;
  const std::map<std::string, std::string> labels_;
  ActorOptions options_;
  const std::function<int64_t()> clock_;
  const std::string cache_dir_;
  const std::chrono::milliseconds stop_timeout_;
  const ProviderIsolationPolicy isolation_;
  const std::shared_ptr<const Authorizer> authorizer_;
  oci::ArtifactCache registry_;
  const bool live_updates_;
  const bool strict_update_check_;

  // Declared in dependency order: each part only refers to parts declared before it, and is destroyed after the
  // parts that refer to it.
  const EventSink events_;
  ActorTable actors_;
  ClaimsCache lattice_claims_;
  ProviderTable providers_;
  LinkTable links_;
  ProviderHealth health_;
  LocalBus local_bus_;
  std::unique_ptr<Bus> bus_;  // the builder's, or null: local_bus_
  Dispatcher dispatcher_;
  const LinkBinder binder_;
  std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();
  std::unique_ptr<EngineSelection> engines_;
};

}  // namespace stratus::host
