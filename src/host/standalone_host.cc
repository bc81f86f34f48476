#include "host/standalone_host.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "host/provider_cache.h"
#include "host/provider_loader.h"
#include "stratus/claims/wasm.h"
#include "stratus/common/files.h"
#include "stratus/common/strings.h"

namespace stratus::host {
namespace {

bool isServiceKey(std::string_view s) { return s.size() == 56 && s[0] == 'V'; }

}  // namespace

StandaloneHost::StandaloneHost(std::unique_ptr<EngineSelection> engines, HostSettings settings, claims::KeyPair key)
    : id_(key.publicKey()),
      key_(std::move(key)),
      labels_(std::move(settings.labels)),
      options_(settings.actor_options),
      clock_(std::move(settings.clock)),
      cache_dir_(settings.cache_dir.empty() ? defaultProviderCacheDir() : settings.cache_dir),
      stop_timeout_(settings.stop_timeout),
      isolation_(settings.isolation),
      authorizer_(std::move(settings.authorizer)),
      registry_(std::make_shared<oci::RegistryClient>(std::move(settings.registry_client)),
                std::move(settings.registry_cache)),
      live_updates_(settings.live_updates),
      strict_update_check_(settings.strict_update_check),
      events_(std::move(settings.listeners)),
      health_(providers_, events_, settings.health_interval, settings.health_timeout),
      local_bus_(actors_, providers_, health_, options_.acquire_timeout),
      dispatcher_(actors_, lattice_claims_, links_, authorizer_, id_),
      binder_(actors_, lattice_claims_, providers_, links_, events_),
      engines_(std::move(engines)) {
  if (options_.max_instances == 0) options_.max_instances = std::max(1u, std::thread::hardware_concurrency());
  options_.min_instances = std::clamp<size_t>(options_.min_instances, 1, options_.max_instances);
  dispatcher_.setBus(local_bus_);
}

BusContext StandaloneHost::busContext() {
  auto runs_here = [this](const Entity& target) {
    if (target.kind == EntityKind::kActor) return actors_.find(target.public_key) != nullptr;
    auto provider = providers_.find(target.contract_id, target.link_name);
    return provider && provider->publicKey() == target.public_key;
  };
  return {local_bus_, id_, key_, std::move(runs_here)};
}

void StandaloneHost::setBus(std::unique_ptr<Bus> bus) {
  bus_ = std::move(bus);
  dispatcher_.setBus(bus_ ? *bus_ : static_cast<Bus&>(local_bus_));
}

StandaloneHost::~StandaloneHost() {
  engines_.reset();  // no background compile may finish into a host being torn down
  health_.stopPeriodic();
  for (auto& provider : providers_.clear()) retireProvider(*provider);
  {
    WriterLock gate(gate_->mu);
    gate_->open = false;
  }
  actors_.clear();
}

// ---- actors ----

Expected<std::string> StandaloneHost::startActorFromFile(const std::string& path, const ActorStartOptions& options) {
  auto bytes = readFileBytes(path);
  if (!bytes) return fail(ErrorCode::kIo, "actor: " + bytes.error().message);
  auto pk = startActorFrom(*bytes, options, path);
  if (!pk) return fail(pk.takeError().prefixed(path + ": "));
  return pk;
}

Expected<oci::FetchedArtifact> StandaloneHost::fetchArtifact(const std::string& reference, oci::ArtifactKind kind) {
  auto fetched = registry_.fetch(reference);
  if (!fetched) return fail(fetched.takeError());
  if (fetched->kind != kind) {
    return fail(ErrorCode::kInvalidArgument,
                reference + (kind == oci::ArtifactKind::kActor ? " is a provider archive, not an actor"
                                                               : " is an actor, not a provider archive"));
  }
  spdlog::info("{}: {} ({})", reference, fetched->manifest_digest,
               fetched->source == oci::FetchSource::kRegistry ? "pulled" : "cached");
  return fetched;
}

Expected<Bytes> StandaloneHost::fetchActor(const std::string& reference) {
  auto fetched = fetchArtifact(reference, oci::ArtifactKind::kActor);
  if (!fetched) return fail(fetched.takeError());
  auto bytes = readFileBytes(fetched->path);
  if (!bytes) return fail(bytes.takeError().prefixed(reference + ": "));
  return bytes;
}

Expected<std::string> StandaloneHost::startActorFromRegistry(const std::string& reference,
                                                             const ActorStartOptions& options) {
  auto bytes = fetchActor(reference);
  if (!bytes) return fail(bytes.takeError());
  auto pk = startActorFrom(*bytes, options, reference);
  if (!pk) return fail(pk.takeError().prefixed(reference + ": "));
  return pk;
}

Expected<std::string> StandaloneHost::startActor(std::span<const uint8_t> wasm, const ActorStartOptions& options) {
  return startActorFrom(wasm, options, {});
}

Expected<claims::ActorClaims> StandaloneHost::verifyForLoad(std::span<const uint8_t> wasm) {
  auto verified = claims::verifyActor(wasm, clock_());
  if (!verified) {
    Error e = verified.takeError().prefixed("actor rejected: ");
    e.code = ErrorCode::kInvalidClaims;
    return fail(std::move(e));
  }
  if (authorizer_ && !authorizer_->canLoad(*verified)) {
    return fail(ErrorCode::kPermissionDenied, "the authorizer refused to load " + actorDisplayName(*verified));
  }
  return verified;
}

Expected<StandaloneHost::PreparedActor> StandaloneHost::prepareActor(std::span<const uint8_t> wasm,
                                                                     claims::ActorClaims claims, EngineMode mode,
                                                                     std::string image_ref) {
  const std::string display = actorDisplayName(claims);
  auto start = engines_->compile(wasm, display, mode);
  if (!start) return fail(start.takeError());
  auto actor =
      std::make_shared<Actor>(std::move(claims), std::move(start->module), start->backend, mode, std::move(image_ref));
  Actor* raw = actor.get();
  actor->setPool(std::make_unique<InstancePool>(
      [this, raw]() {
        wapc::WapcOptions wo;
        wo.instance = options_.instance;
        wo.host_call = [this, raw](std::string_view binding, std::string_view ns, std::string_view op,
                                   std::span<const uint8_t> payload) {
          return dispatcher_.fromActor(*raw, binding, ns, op, payload);
        };
        wo.console_log = [raw](std::string_view line) { spdlog::info("[{}] {}", raw->displayName(), line); };
        return wapc::WapcInstance::create(raw->module(), std::move(wo));
      },
      options_.max_instances));
  STRATUS_TRY(actor->pool().prefill(options_.min_instances));
  return PreparedActor{std::move(actor), start->tier_up};
}

void StandaloneHost::startTierUp(const std::shared_ptr<Actor>& actor, std::span<const uint8_t> wasm) {
  std::weak_ptr<Actor> weak = actor;
  engines_->compileInBackground(Bytes(wasm.begin(), wasm.end()), actor->displayName(),
                                [this, weak](Expected<std::shared_ptr<const engine::Module>> native, double seconds) {
                                  tierUp(weak, std::move(native), seconds);
                                });
}

Expected<std::string> StandaloneHost::startActorFrom(std::span<const uint8_t> wasm, const ActorStartOptions& options,
                                                     std::string image_ref) {
  auto verified = verifyForLoad(wasm);
  if (!verified) return fail(verified.takeError());
  if (actors_.find(verified->subject)) return fail(actorAlreadyRunning(actorDisplayName(*verified)));  // before compiling
  auto prepared =
      prepareActor(wasm, std::move(*verified), options.engine.value_or(engines_->defaultMode()), std::move(image_ref));
  if (!prepared) return fail(prepared.takeError());
  const std::shared_ptr<Actor>& actor = prepared->actor;
  STRATUS_TRY(actors_.insert(actor));

  spdlog::info("actor started: {} on {} ({} instance(s), up to {})", actor->displayName(),
               engine::backendName(actor->backend()), actor->pool().size(), actor->pool().max());
  if (prepared->tier_up) startTierUp(actor, wasm);
  events_.emit({HostEvent::Kind::kActorStarted, actor->publicKey(), {}, {}, {}, {}, actor->imageRef()});
  binder_.actorChanged(actor->publicKey());
  return actor->publicKey();
}

// ---- live updates ----

Expected<void> StandaloneHost::checkUpdate(const Actor& running, const claims::ActorClaims& update) const {
  const claims::ActorClaims& current = running.claims();
  if (update.subject != current.subject) {
    return fail(ErrorCode::kInvalidArgument, "update of " + running.displayName() + " refused: the new module is " +
                                                 update.subject + ", another actor");
  }
  const int32_t old_rev = current.metadata.rev.value_or(0), new_rev = update.metadata.rev.value_or(0);
  if (new_rev <= old_rev) {
    return fail(ErrorCode::kInvalidArgument, "update of " + running.displayName() + " refused: its revision " +
                                                 std::to_string(new_rev) + " is not higher than the running revision " +
                                                 std::to_string(old_rev));
  }
  auto sorted = [](std::vector<std::string> caps) {
    std::sort(caps.begin(), caps.end());
    caps.erase(std::unique(caps.begin(), caps.end()), caps.end());
    return caps;
  };
  if (strict_update_check_ && sorted(current.metadata.caps) != sorted(update.metadata.caps)) {
    return fail(ErrorCode::kInvalidArgument,
                "update of " + running.displayName() + " refused: its capabilities [" +
                    join(sorted(update.metadata.caps), ", ") + "] differ from the running [" +
                    join(sorted(current.metadata.caps), ", ") +
                    "] (strict update check; --disable-strict-update-check relaxes it)");
  }
  return ok();
}

Expected<void> StandaloneHost::updateActor(std::string_view public_key, std::span<const uint8_t> wasm,
                                           std::string image_ref) {
  if (!live_updates_) {
    return fail(ErrorCode::kPermissionDenied, "update of actor " + std::string(public_key) +
                                                  " refused: live updates are not enabled on this host "
                                                  "(--allow-live-updates)");
  }
  std::shared_ptr<Actor> running = actors_.find(public_key);
  if (!running) return fail(ErrorCode::kNotFound, "actor " + std::string(public_key) + " is not running on this host");
  auto verified = verifyForLoad(wasm);
  if (!verified) return fail(verified.takeError());
  STRATUS_TRY(checkUpdate(*running, *verified));

  const int32_t old_rev = running->claims().metadata.rev.value_or(0), new_rev = verified->metadata.rev.value_or(0);
  const bool caps_changed = running->claims().metadata.caps != verified->metadata.caps;
  if (image_ref.empty()) image_ref = running->imageRef();
  events_.emit({.kind = HostEvent::Kind::kActorUpdateBegan, .public_key = running->publicKey(),
                .image_ref = image_ref, .old_revision = old_rev, .new_revision = new_rev});
  auto prepared = prepareActor(wasm, std::move(*verified), running->engineMode(), std::move(image_ref));
  if (!prepared) return fail(prepared.takeError().prefixed("update of " + running->displayName() + ": "));
  const std::shared_ptr<Actor>& updated = prepared->actor;
  STRATUS_TRY(actors_.replace(running, updated));

  spdlog::info("actor updated: {} from revision {} to {} on {}", updated->displayName(), old_rev, new_rev,
               engine::backendName(updated->backend()));
  if (prepared->tier_up) startTierUp(updated, wasm);
  if (caps_changed) binder_.actorChanged(updated->publicKey());
  events_.emit({.kind = HostEvent::Kind::kActorUpdateCompleted, .public_key = updated->publicKey(),
                .image_ref = updated->imageRef(), .old_revision = old_rev, .new_revision = new_rev});
  return ok();  // calls in flight keep `running` and its instances alive until they finish
}

Expected<void> StandaloneHost::updateActorFromRegistry(std::string_view public_key, const std::string& reference) {
  auto bytes = fetchActor(reference);
  if (!bytes) return fail(bytes.takeError());
  auto updated = updateActor(public_key, *bytes, reference);
  if (!updated) return fail(updated.takeError().prefixed(reference + ": "));
  return ok();
}

Expected<void> StandaloneHost::stopActor(std::string_view public_key) {
  std::shared_ptr<Actor> actor = actors_.remove(public_key);
  if (!actor) return fail(ErrorCode::kNotFound, "actor " + std::string(public_key) + " is not running on this host");
  binder_.actorChanged(actor->publicKey());
  spdlog::info("actor stopped: {}", actor->displayName());
  events_.emit({HostEvent::Kind::kActorStopped, actor->publicKey(), {}, {}, {}, {}});
  return ok();  // calls in flight keep `actor` alive until they finish
}

Expected<Bytes> StandaloneHost::callActor(std::string_view actor, std::string_view operation,
                                          std::span<const uint8_t> payload) {
  return dispatcher_.fromHost(actor, operation, payload);
}

std::vector<ActorInfo> StandaloneHost::actors() const {
  std::vector<ActorInfo> out;
  for (const auto& a : actors_.all()) out.push_back({a->publicKey(), a->claims(), a->pool().size(), a->backend(), a->imageRef()});
  return out;
}

std::vector<claims::ActorClaims> StandaloneHost::actorClaims() const {
  std::vector<claims::ActorClaims> out;
  for (const auto& a : actors_.all()) out.push_back(a->claims());
  return out;
}

// An actor started on the interpreter by `auto` gets its native code: new instances come from it, idle ones are
// replaced now, busy ones when their call returns. Runs on the background compile thread.
void StandaloneHost::tierUp(const std::weak_ptr<Actor>& weak, Expected<std::shared_ptr<const engine::Module>> native,
                            double seconds) {
  std::shared_ptr<Actor> actor = weak.lock();
  if (!actor || actors_.find(actor->publicKey()) != actor) return;  // stopped meanwhile
  if (!native) {
    spdlog::warn("{} stays on the interpreter: native compile failed after {:.2f} s: {}", actor->displayName(), seconds,
                 native.error().message);
    return;
  }
  actor->setModule(std::move(*native));
  actor->pool().retireAll();
  if (auto filled = actor->pool().prefill(options_.min_instances); !filled) {
    spdlog::warn("{}: cannot create native instances ahead of calls: {}", actor->displayName(), filled.error().message);
  }
  // Reported once the idle instances are native: a caller that sees aot no longer races the swap.
  actor->setBackend(engine::Backend::kAot);
  spdlog::info("{} now runs native code (compiled in {:.2f} s)", actor->displayName(), seconds);
}

// ---- providers ----

Expected<std::string> StandaloneHost::startProviderFromArchive(
    const std::string& path, std::string link_name, std::optional<capability::ProviderIsolation> isolation) {
  auto unpacked = unpackProviderArchive(path, cache_dir_, clock_());
  if (!unpacked) return fail(unpacked.takeError());
  return startProviderLibrary(unpacked->library, unpacked->claims, std::move(link_name), path, isolation);
}

Expected<std::string> StandaloneHost::startProviderFromRegistry(
    const std::string& reference, std::string link_name, std::optional<capability::ProviderIsolation> isolation) {
  auto fetched = fetchArtifact(reference, oci::ArtifactKind::kProvider);
  if (!fetched) return fail(fetched.takeError());
  auto unpacked = unpackProviderArchive(fetched->path, cache_dir_, clock_());
  if (!unpacked) return fail(unpacked.takeError().prefixed(reference + ": "));
  return startProviderLibrary(unpacked->library, unpacked->claims, std::move(link_name), reference, isolation);
}

Expected<std::string> StandaloneHost::startProviderFromLibrary(
    const std::string& library_path, const claims::ProviderClaims& claims, std::string link_name,
    std::optional<capability::ProviderIsolation> isolation) {
  return startProviderLibrary(library_path, claims, std::move(link_name), library_path, isolation);
}

Expected<std::string> StandaloneHost::startProviderLibrary(const std::string& library,
                                                           const claims::ProviderClaims& claims,
                                                           std::string link_name, std::string origin,
                                                           std::optional<capability::ProviderIsolation> isolation) {
  const auto mode = chooseIsolation(library, isolation, isolation_);
  auto native = loadProviderLibrary(library, claims, mode, isolation_);
  if (!native) {
    Error e = native.takeError();
    if (origin != library) e = std::move(e).prefixed(origin + ": ");
    return fail(std::move(e));
  }
  return startProvider(std::move(*native), claims, std::move(link_name), std::move(origin));
}

Expected<std::string> StandaloneHost::startProviderFromTable(const stratus_provider* table,
                                                             const claims::ProviderClaims& claims,
                                                             std::string link_name) {
  auto native = capability::NativeProvider::fromTable(table, "built-in");
  if (!native) return fail(native.takeError());
  return startProvider(std::move(*native), claims, std::move(link_name), "built-in");
}

Expected<std::string> StandaloneHost::startProvider(std::unique_ptr<capability::NativeProvider> native,
                                                    const claims::ProviderClaims& claims, std::string link_name,
                                                    std::string origin) {
  if (trim(link_name).empty()) link_name = "default";
  if (!isServiceKey(claims.subject)) {
    return fail(ErrorCode::kInvalidClaims,
                origin + ": provider claims subject '" + claims.subject + "' is not a service public key");
  }
  if (!claims.metadata.capid.empty() && claims.metadata.capid != native->capabilityId()) {
    return fail(ErrorCode::kInvalidClaims, origin + ": the claims are for contract '" + claims.metadata.capid +
                                               "' but the library implements '" + native->capabilityId() + "'");
  }
  auto provider = std::make_shared<Provider>(std::move(native), claims, std::move(link_name), std::move(origin));
  const std::string pk = provider->publicKey(), contract = provider->contractId(), link = provider->linkName(),
                    display = provider->displayName();
  auto dispatch = [gate = gate_, dispatcher = &dispatcher_, pk, contract, link](
                      std::string_view actor, std::string_view op, std::span<const uint8_t> msg) -> Expected<Bytes> {
    ReaderLock open(gate->mu);
    if (!gate->open) return fail(ErrorCode::kUnavailable, "the host is shutting down");
    return dispatcher->fromProvider({EntityKind::kCapability, pk, contract, link}, actor, op, msg);
  };
  auto log = [display](stratus_log_level level, std::string_view text) {
    static constexpr spdlog::level::level_enum kLevels[] = {
        spdlog::level::trace, spdlog::level::debug, spdlog::level::info, spdlog::level::warn, spdlog::level::err};
    const auto lvl = static_cast<unsigned>(level) < 5 ? kLevels[level] : spdlog::level::info;
    spdlog::log(lvl, "[{}] {}", display, text);
  };
  STRATUS_TRY(provider->native().configureDispatch(std::move(dispatch), std::move(log)));
  if (auto inserted = providers_.insert(provider); !inserted) {
    provider->retired = true;  // never started here: its NativeProvider stops it as it goes
    return fail(inserted.takeError());
  }
  spdlog::info("provider started: {} from {}", display, provider->origin());
  events_.emit({HostEvent::Kind::kProviderStarted, pk, contract, link, {}, {}, provider->origin()});
  binder_.providerStarted(*provider);
  return pk;
}

Expected<void> StandaloneHost::stopProvider(std::string_view provider_id, std::string_view link_name) {
  std::shared_ptr<Provider> provider = providers_.remove(provider_id, link_name);
  if (!provider) {
    return fail(ErrorCode::kNotFound, "no provider " + std::string(provider_id) + " with link name '" +
                                          std::string(link_name) + "' is running on this host");
  }
  retireProvider(*provider);
  return ok();
}

void StandaloneHost::retireProvider(Provider& provider) {
  provider.retired = true;  // the binder sends it nothing more
  std::string problem;
  if (auto stopped = provider.native().stop(stop_timeout_); !stopped) {
    problem = stopped.error().message;
    spdlog::error("{}: {}", provider.displayName(), problem);
  }
  spdlog::info("provider stopped: {}", provider.displayName());
  events_.emit({HostEvent::Kind::kProviderStopped,
                provider.publicKey(),
                provider.contractId(),
                provider.linkName(),
                {},
                std::move(problem)});
}

std::vector<ProviderInfo> StandaloneHost::providers() const {
  std::vector<ProviderInfo> out;
  for (const auto& p : providers_.all()) out.push_back(p->info());
  return out;
}

std::vector<ProviderInfo> StandaloneHost::checkProviderHealth() {
  health_.checkAll();
  return providers();
}

// ---- links ----

Expected<void> StandaloneHost::setLink(LinkDefinition link) {
  STRATUS_TRY(normalizeLink(link));
  if (links_.put(link) == LinkTable::PutResult::kUnchanged) return ok();
  spdlog::info("link set: actor {} → {} (link name '{}') provider {}", link.actor_id, link.contract_id, link.link_name,
               link.provider_id);
  events_.emit({HostEvent::Kind::kLinkSet, link.provider_id, link.contract_id, link.link_name, link.actor_id, {}});
  binder_.linkChanged(link.actor_id, link.contract_id, link.link_name);
  return ok();
}

Expected<void> StandaloneHost::removeLink(std::string_view actor_id, std::string_view contract_id,
                                          std::string_view link_name) {
  auto removed = links_.remove(actor_id, contract_id, link_name);
  if (!removed) {
    return fail(ErrorCode::kNotFound, "no link for actor " + std::string(actor_id) + ", contract '" +
                                          std::string(contract_id) + "', link name '" + std::string(link_name) + "'");
  }
  binder_.linkChanged(removed->actor_id, removed->contract_id, removed->link_name);
  spdlog::info("link removed: actor {} → {} (link name '{}')", removed->actor_id, removed->contract_id,
               removed->link_name);
  events_.emit({HostEvent::Kind::kLinkRemoved,
                removed->provider_id,
                removed->contract_id,
                removed->link_name,
                removed->actor_id,
                {}});
  return ok();
}

std::vector<LinkDefinition> StandaloneHost::links() const { return links_.all(); }

void StandaloneHost::learnActorClaims(claims::ActorClaims claims) {
  const std::string key = claims.subject;
  if (lattice_claims_.put(std::move(claims))) binder_.actorChanged(key);
}

std::optional<claims::ActorClaims> StandaloneHost::knownActorClaims(std::string_view public_key) const {
  if (auto actor = actors_.find(public_key)) return actor->claims();
  if (auto known = lattice_claims_.find(public_key)) return *known;
  return std::nullopt;
}

std::vector<claims::ActorClaims> StandaloneHost::knownActorClaims() const {
  std::map<std::string, claims::ActorClaims> known;
  for (const auto& claims : lattice_claims_.all()) known.emplace(claims->subject, *claims);
  for (const auto& actor : actors_.all()) known.insert_or_assign(actor->publicKey(), actor->claims());
  std::vector<claims::ActorClaims> out;
  for (auto& [key, claims] : known) out.push_back(std::move(claims));
  return out;
}

}  // namespace stratus::host
