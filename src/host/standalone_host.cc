// The standalone host: actors and capability providers in process, invocations routed through an in-process bus.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <fstream>
#include <future>
#include <iterator>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <thread>
#include <tuple>

#include "host/extras_provider.h"
#include "host/engine_selection.h"
#include "host/instance_pool.h"
#include "host/provider_cache.h"
#include "stratus/capability/native_provider.h"
#include "stratus/claims/nkeys.h"
#include "stratus/claims/wasm.h"
#include "stratus/codec/core.h"
#include "stratus/host/host.h"
#include "stratus/par/archive.h"

namespace stratus::host {
namespace {

struct Actor {
  std::string public_key;
  claims::ActorClaims claims;
  std::string display_name;  // for logs and errors: "name (Mxxx)"
  std::unique_ptr<InstancePool> pool;

  mutable std::mutex code_mu;
  std::shared_ptr<const engine::Module> module;  // guarded by code_mu; what new instances are made from
  std::string engine;                            // guarded by code_mu; "interp" or "aot"

  std::shared_ptr<const engine::Module> currentModule() const {
    std::lock_guard lock(code_mu);
    return module;
  }
};

struct Provider {
  std::string public_key;
  std::string contract_id;
  std::string link_name;
  std::string origin;
  std::string display_name;  // "name (Vxxx) for contract, link name"
  claims::ProviderClaims claims;
  std::unique_ptr<capability::NativeProvider> native;
  std::set<std::string> bound;  // actors sent BindActor; guarded by the host's control_mu_

  mutable std::mutex health_mu;
  bool healthy = true;         // guarded by health_mu
  std::string health_message;  // guarded by health_mu
};

// Provider→actor dispatches hold this open while they run; the host closes it (waiting for them) as it goes away,
// so a provider thread that outlives its stop can never reach a destroyed host.
struct Gate {
  std::shared_mutex mu;
  bool open = true;  // guarded by mu
};

using ProviderKey = std::pair<std::string, std::string>;           // contract id, link name
using LinkKey = std::tuple<std::string, std::string, std::string>;  // actor, contract id, link name

bool isActorKey(std::string_view s) { return s.size() == 56 && s[0] == 'M'; }
bool isServiceKey(std::string_view s) { return s.size() == 56 && s[0] == 'V'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += sep;
    out += i;
  }
  return out;
}

constexpr std::chrono::seconds kHealthCheckTimeout{2};

class StandaloneHost;

/// Delivers invocations to actors and providers of this host.
class LocalBus final : public Bus {
 public:
  explicit LocalBus(StandaloneHost& host) : host_(host) {}
  Expected<Bytes> invoke(const Invocation& invocation) override;

 private:
  StandaloneHost& host_;
};

struct HostSettings {
  ActorOptions actor_options;
  std::function<int64_t()> clock;
  std::function<void(const HostEvent&)> listener;
  std::chrono::milliseconds health_interval;
  std::string cache_dir;
};

class StandaloneHost final : public Host {
 public:
  StandaloneHost(std::unique_ptr<EngineSelection> engines, std::shared_ptr<const Authorizer> authorizer,
                 HostSettings settings, std::map<std::string, std::string> labels, std::string id)
      : engines_(std::move(engines)),
        authorizer_(std::move(authorizer)),
        options_(settings.actor_options),
        labels_(std::move(labels)),
        clock_(std::move(settings.clock)),
        listener_(std::move(settings.listener)),
        health_interval_(settings.health_interval),
        cache_dir_(settings.cache_dir.empty() ? defaultProviderCacheDir() : settings.cache_dir),
        id_(std::move(id)),
        bus_(*this) {
    if (options_.max_instances == 0) options_.max_instances = std::max(1u, std::thread::hardware_concurrency());
    options_.min_instances = std::clamp<size_t>(options_.min_instances, 1, options_.max_instances);
    if (health_interval_.count() > 0) health_thread_ = std::thread([this] { healthLoop(); });
  }

  ~StandaloneHost() override {
    engines_.reset();  // no background compile may finish into a host being torn down
    {
      std::lock_guard lock(health_mu_);
      shutting_down_ = true;
    }
    health_cv_.notify_all();
    if (health_thread_.joinable()) health_thread_.join();

    std::lock_guard control(control_mu_);
    std::vector<std::shared_ptr<Provider>> providers;
    {
      std::unique_lock lock(mu_);
      for (auto& [key, p] : providers_) providers.push_back(std::move(p));
      providers_.clear();
    }
    for (auto& p : providers) stopProviderNow(*p);
    {
      std::unique_lock gate(gate_->mu);
      gate_->open = false;
    }
    std::unique_lock lock(mu_);
    actors_.clear();
    aliases_.clear();
  }

  const std::string& id() const override { return id_; }
  const std::map<std::string, std::string>& labels() const override { return labels_; }

  // ---- actors ----

  Expected<std::string> startActorFromFile(const std::string& path, const ActorStartOptions& options = {}) override {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(ErrorCode::kIo, "cannot open actor file " + path);
    Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto pk = startActor(bytes, options);
    if (!pk) {
      Error e = pk.takeError();
      e.message = path + ": " + e.message;
      return fail(std::move(e));
    }
    return pk;
  }

  Expected<std::string> startActor(std::span<const uint8_t> wasm, const ActorStartOptions& options = {}) override {
    EngineMode mode = engines_->defaultMode();
    if (!options.engine.empty()) {
      auto parsed = parseEngineMode(options.engine);
      if (!parsed) return fail(parsed.takeError());
      mode = *parsed;
    }
    auto verified = claims::verifyActor(wasm, clock_());
    if (!verified) {
      Error e = verified.takeError();
      e.code = ErrorCode::kInvalidClaims;
      e.message = "actor rejected: " + e.message;
      return fail(std::move(e));
    }
    auto actor = std::make_shared<Actor>();
    actor->claims = std::move(*verified);
    actor->public_key = actor->claims.subject;
    actor->display_name = (actor->claims.metadata.name.empty() ? std::string("actor") : actor->claims.metadata.name) +
                          " (" + actor->public_key + ")";
    if (authorizer_ && !authorizer_->canLoad(actor->claims)) {
      return fail(ErrorCode::kPermissionDenied, "the authorizer refused to load " + actor->display_name);
    }
    if (findActor(actor->public_key)) {
      return fail(ErrorCode::kAlreadyExists, actor->display_name + " is already running on this host");
    }

    auto start = engines_->compile(wasm, actor->display_name, mode);
    if (!start) return fail(start.takeError());
    actor->module = std::move(start->module);
    actor->engine = std::move(start->engine);

    Actor* raw = actor.get();
    actor->pool = std::make_unique<InstancePool>(
        [this, raw]() {
          wapc::WapcOptions wo;
          wo.instance = options_.instance;
          wo.host_call = [this, raw](std::string_view binding, std::string_view ns, std::string_view op,
                                     std::span<const uint8_t> payload) {
            return hostCall(*raw, binding, ns, op, payload);
          };
          wo.console_log = [raw](std::string_view line) { spdlog::info("[{}] {}", raw->display_name, line); };
          return wapc::WapcInstance::create(raw->currentModule(), std::move(wo));
        },
        options_.max_instances);
    STRATUS_TRY(actor->pool->prefill(options_.min_instances));

    std::lock_guard control(control_mu_);
    {
      std::unique_lock lock(mu_);
      if (actors_.count(actor->public_key)) {
        return fail(ErrorCode::kAlreadyExists, actor->display_name + " is already running on this host");
      }
      if (const auto& alias = actor->claims.metadata.call_alias; alias && !alias->empty()) {
        auto [it, inserted] = aliases_.emplace(*alias, actor->public_key);
        if (!inserted && it->second != actor->public_key) {
          spdlog::warn("call alias '{}' of {} is already claimed by {}; the first claim wins", *alias,
                       actor->display_name, it->second);
        }
      }
      actors_.emplace(actor->public_key, actor);
    }
    spdlog::info("actor started: {} on {} ({} instance(s), up to {})", actor->display_name, actor->engine,
                 actor->pool->size(), actor->pool->max());
    if (start->tier_up) {
      std::weak_ptr<Actor> weak = actor;
      engines_->compileInBackground(
          Bytes(wasm.begin(), wasm.end()), actor->display_name,
          [this, weak](Expected<std::shared_ptr<const engine::Module>> native, double seconds) {
            tierUp(weak, std::move(native), seconds);
          });
    }
    emit({HostEvent::Kind::kActorStarted, actor->public_key, {}, {}, {}, {}});
    for (const auto& link : linksWhere([&](const LinkDefinition& l) { return l.actor_id == actor->public_key; })) {
      bindLink(link);
    }
    return actor->public_key;
  }

  Expected<void> stopActor(std::string_view public_key) override {
    std::lock_guard control(control_mu_);
    std::shared_ptr<Actor> actor;
    std::vector<std::shared_ptr<Provider>> providers;
    {
      std::unique_lock lock(mu_);
      auto it = actors_.find(public_key);
      if (it == actors_.end()) {
        return fail(ErrorCode::kNotFound, "actor " + std::string(public_key) + " is not running on this host");
      }
      actor = std::move(it->second);
      actors_.erase(it);
      std::erase_if(aliases_, [&](const auto& kv) { return kv.second == public_key; });
      for (const auto& [key, p] : providers_) providers.push_back(p);
    }
    for (const auto& p : providers) unbind(*p, actor->public_key);
    spdlog::info("actor stopped: {}", actor->display_name);
    emit({HostEvent::Kind::kActorStopped, actor->public_key, {}, {}, {}, {}});
    return ok();  // calls in flight keep `actor` alive until they finish
  }

  Expected<Bytes> callActor(std::string_view actor, std::string_view operation,
                            std::span<const uint8_t> payload) override {
    auto pk = resolveActor(actor);
    if (!pk) {
      return fail(ErrorCode::kNotFound,
                  "no actor with public key or call alias '" + std::string(actor) + "' is running on this host");
    }
    Invocation inv{{EntityKind::kActor, kSystemOrigin, {}, {}}, {EntityKind::kActor, *pk, {}, {}}, operation, payload};
    return bus_.invoke(inv);
  }

  std::vector<ActorInfo> actors() const override {
    std::shared_lock lock(mu_);
    std::vector<ActorInfo> out;
    for (const auto& [pk, a] : actors_) {
      std::lock_guard code(a->code_mu);
      out.push_back({pk, a->claims, a->pool->size(), a->engine});
    }
    return out;
  }

  std::vector<claims::ActorClaims> actorClaims() const override {
    std::shared_lock lock(mu_);
    std::vector<claims::ActorClaims> out;
    for (const auto& [pk, a] : actors_) out.push_back(a->claims);
    return out;
  }

  // ---- providers ----

  Expected<std::string> startProviderFromArchive(const std::string& path, std::string link_name) override {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(ErrorCode::kIo, "cannot open provider archive " + path);
    Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto named = [&](Error e) {
      e.message = path + ": " + e.message;
      return fail(std::move(e));
    };
    auto archive = par::readArchive(bytes);
    if (!archive) return named(archive.takeError());
    if (auto verified = par::verifyArchive(*archive, clock_()); !verified) return named(verified.takeError());
    const std::string target = par::currentTarget();
    auto lib = archive->libraries.find(target);
    if (lib == archive->libraries.end()) {
      std::vector<std::string> targets;
      for (const auto& [t, b] : archive->libraries) targets.push_back(t);
      return named({ErrorCode::kNotFound, "no library for this host's target " + target + " (the archive has: " +
                                              join(targets, ", ") + ")"});
    }
    auto cached = cacheProviderLibrary(cache_dir_, archive->claims.subject, archive->claims.metadata.rev.value_or(0),
                                       target, lib->second);
    if (!cached) return named(cached.takeError());
    auto native = capability::NativeProvider::load(*cached);
    if (!native) return named(native.takeError());
    return startProvider(std::move(*native), archive->claims, std::move(link_name), path);
  }

  Expected<std::string> startProviderFromLibrary(const std::string& library_path,
                                                 const claims::ProviderClaims& claims,
                                                 std::string link_name) override {
    auto native = capability::NativeProvider::load(library_path);
    if (!native) return fail(native.takeError());
    return startProvider(std::move(*native), claims, std::move(link_name), library_path);
  }

  Expected<std::string> startProviderFromTable(const stratus_provider* table, const claims::ProviderClaims& claims,
                                               std::string link_name) override {
    auto native = capability::NativeProvider::fromTable(table, "built-in");
    if (!native) return fail(native.takeError());
    return startProvider(std::move(*native), claims, std::move(link_name), "built-in");
  }

  Expected<void> stopProvider(std::string_view provider_id, std::string_view link_name) override {
    std::lock_guard control(control_mu_);
    std::shared_ptr<Provider> provider;
    {
      std::unique_lock lock(mu_);
      auto it = std::find_if(providers_.begin(), providers_.end(), [&](const auto& kv) {
        return kv.second->public_key == provider_id && kv.second->link_name == link_name;
      });
      if (it == providers_.end()) {
        return fail(ErrorCode::kNotFound, "no provider " + std::string(provider_id) + " with link name '" +
                                              std::string(link_name) + "' is running on this host");
      }
      provider = std::move(it->second);
      providers_.erase(it);
    }
    stopProviderNow(*provider);
    return ok();
  }

  std::vector<ProviderInfo> providers() const override {
    std::shared_lock lock(mu_);
    std::vector<ProviderInfo> out;
    for (const auto& [key, p] : providers_) out.push_back(infoOf(*p));
    return out;
  }

  std::vector<ProviderInfo> checkProviderHealth() override {
    std::vector<std::shared_ptr<Provider>> providers;
    {
      std::shared_lock lock(mu_);
      for (const auto& [key, p] : providers_) providers.push_back(p);
    }
    std::vector<std::future<void>> checks;
    for (const auto& p : providers) checks.push_back(std::async(std::launch::async, [this, p] { checkHealth(p); }));
    for (auto& c : checks) c.get();
    return this->providers();
  }

  // ---- links ----

  Expected<void> setLink(LinkDefinition link) override {
    if (trim(link.link_name).empty()) link.link_name = "default";
    if (!isActorKey(link.actor_id)) {
      return fail(ErrorCode::kInvalidArgument, "link: actor_id '" + link.actor_id + "' is not an actor public key "
                                                   "(56 characters starting with M)");
    }
    if (!isServiceKey(link.provider_id)) {
      return fail(ErrorCode::kInvalidArgument, "link: provider_id '" + link.provider_id +
                                                   "' is not a provider public key (56 characters starting with V)");
    }
    if (trim(link.contract_id).empty()) return fail(ErrorCode::kInvalidArgument, "link: contract_id is empty");

    std::lock_guard control(control_mu_);
    LinkKey key{link.actor_id, link.contract_id, link.link_name};
    std::optional<LinkDefinition> previous;
    {
      std::unique_lock lock(mu_);
      if (auto it = links_.find(key); it != links_.end()) {
        if (it->second.provider_id == link.provider_id && it->second.values == link.values) return ok();
        previous = it->second;
      }
      links_[key] = link;
    }
    if (previous) unbindLink(*previous);
    spdlog::info("link set: actor {} → {} (link name '{}') provider {}", link.actor_id, link.contract_id,
                 link.link_name, link.provider_id);
    emit({HostEvent::Kind::kLinkSet, link.provider_id, link.contract_id, link.link_name, link.actor_id, {}});
    bindLink(link);
    return ok();
  }

  Expected<void> removeLink(std::string_view actor_id, std::string_view contract_id,
                            std::string_view link_name) override {
    std::lock_guard control(control_mu_);
    LinkDefinition removed;
    {
      std::unique_lock lock(mu_);
      auto it = links_.find(LinkKey{actor_id, contract_id, link_name});
      if (it == links_.end()) {
        return fail(ErrorCode::kNotFound, "no link for actor " + std::string(actor_id) + ", contract '" +
                                              std::string(contract_id) + "', link name '" + std::string(link_name) + "'");
      }
      removed = std::move(it->second);
      links_.erase(it);
    }
    unbindLink(removed);
    spdlog::info("link removed: actor {} → {} (link name '{}')", removed.actor_id, removed.contract_id,
                 removed.link_name);
    emit({HostEvent::Kind::kLinkRemoved, removed.provider_id, removed.contract_id, removed.link_name, removed.actor_id,
          {}});
    return ok();
  }

  std::vector<LinkDefinition> links() const override {
    std::shared_lock lock(mu_);
    std::vector<LinkDefinition> out;
    for (const auto& [key, l] : links_) out.push_back(l);
    return out;
  }

  // ---- delivery (the in-process bus) ----

  /// Runs a call on a local actor.
  Expected<Bytes> deliver(std::string_view public_key, std::string_view operation, std::span<const uint8_t> payload) {
    auto actor = findActor(public_key);
    if (!actor) {
      return fail(ErrorCode::kNotFound, "actor " + std::string(public_key) + " is not running on this host");
    }
    auto lease = actor->pool->acquire(options_.acquire_timeout);
    if (!lease) {
      return fail(ErrorCode::kResourceExhausted, actor->display_name + ": " + lease.error().message);
    }
    auto result = (*lease)->call(operation, payload);
    if (!result && result.error().code != ErrorCode::kGuestError) {
      spdlog::warn("{}: call to {} failed: {}", actor->display_name, operation, result.error().toString());
    }
    return result;
  }

  /// Runs a call on a local provider.
  Expected<Bytes> deliverToProvider(const Entity& target, std::string_view origin, std::string_view operation,
                                    std::span<const uint8_t> payload) {
    std::shared_ptr<Provider> provider = findProvider(target.contract_id, target.link_name);
    if (!provider || provider->public_key != target.public_key) {
      return fail(ErrorCode::kUnavailable, "provider " + std::string(target.public_key) + " for contract '" +
                                               std::string(target.contract_id) + "', link name '" +
                                               std::string(target.link_name) + "' is not running on this host");
    }
    auto result = provider->native->call(origin, operation, payload);
    if (!result) {
      Error e = result.takeError();
      e.message = provider->display_name + ": " + operation_str(operation) + " failed: " + e.message;
      if (provider->native->crashed()) {
        spdlog::error("{}", e.message);
        markHealth(*provider, false, "crashed: " + e.message);
      }
      return fail(std::move(e));
    }
    return result;
  }

 private:
  static std::string operation_str(std::string_view op) { return "'" + std::string(op) + "'"; }

  void emit(HostEvent event) {
    if (listener_) listener_(event);
  }

  std::shared_ptr<Actor> findActor(std::string_view public_key) const {
    std::shared_lock lock(mu_);
    auto it = actors_.find(public_key);
    return it == actors_.end() ? nullptr : it->second;
  }

  std::shared_ptr<Provider> findProvider(std::string_view contract_id, std::string_view link_name) const {
    std::shared_lock lock(mu_);
    auto it = providers_.find(ProviderKey{contract_id, link_name});
    return it == providers_.end() ? nullptr : it->second;
  }

  std::optional<std::string_view> resolveActor(std::string_view ref) const {
    std::shared_lock lock(mu_);
    if (auto it = actors_.find(ref); it != actors_.end()) return std::string_view(it->first);
    if (auto it = aliases_.find(ref); it != aliases_.end()) {
      // The view points into actors_' key, which outlives the call only while the actor runs; look it up again.
      if (auto a = actors_.find(it->second); a != actors_.end()) return std::string_view(a->first);
    }
    return std::nullopt;
  }

  template <typename Pred>
  std::vector<LinkDefinition> linksWhere(Pred&& pred) const {
    std::shared_lock lock(mu_);
    std::vector<LinkDefinition> out;
    for (const auto& [key, l] : links_) {
      if (pred(l)) out.push_back(l);
    }
    return out;
  }

  static ProviderInfo infoOf(const Provider& p) {
    ProviderInfo info{p.public_key, p.contract_id, p.link_name, p.claims.metadata.name, p.origin,
                      p.claims.metadata.rev, true, {}};
    std::lock_guard lock(p.health_mu);
    info.healthy = p.healthy;
    info.health_message = p.health_message;
    return info;
  }

  Expected<std::string> startProvider(std::unique_ptr<capability::NativeProvider> native,
                                      const claims::ProviderClaims& claims, std::string link_name,
                                      std::string origin) {
    if (trim(link_name).empty()) link_name = "default";
    if (!isServiceKey(claims.subject)) {
      return fail(ErrorCode::kInvalidClaims, origin + ": provider claims subject '" + claims.subject +
                                                 "' is not a service public key");
    }
    if (!claims.metadata.capid.empty() && claims.metadata.capid != native->capabilityId()) {
      return fail(ErrorCode::kInvalidClaims, origin + ": the claims are for contract '" + claims.metadata.capid +
                                                 "' but the library implements '" + native->capabilityId() + "'");
    }
    auto provider = std::make_shared<Provider>();
    provider->public_key = claims.subject;
    provider->contract_id = native->capabilityId();
    provider->link_name = link_name;
    provider->origin = std::move(origin);
    provider->claims = claims;
    provider->display_name = (claims.metadata.name.empty() ? native->name() : claims.metadata.name) + " (" +
                             claims.subject + ") for " + provider->contract_id + ", link name '" + link_name + "'";

    std::lock_guard control(control_mu_);
    if (auto existing = findProvider(provider->contract_id, link_name)) {
      return fail(ErrorCode::kAlreadyExists, "a provider for contract '" + provider->contract_id + "', link name '" +
                                                 link_name + "' already runs on this host: " +
                                                 existing->display_name);
    }
    const std::string pk = provider->public_key, contract = provider->contract_id, display = provider->display_name;
    auto dispatch = [this, gate = gate_, pk, contract, link_name](std::string_view actor, std::string_view op,
                                                                   std::span<const uint8_t> msg) -> Expected<Bytes> {
      std::shared_lock open(gate->mu);
      if (!gate->open) return fail(ErrorCode::kUnavailable, "the host is shutting down");
      return bus_.invoke({{EntityKind::kCapability, pk, contract, link_name}, {EntityKind::kActor, actor, {}, {}}, op,
                          msg});
    };
    auto log = [display](stratus_log_level level, std::string_view text) {
      static constexpr spdlog::level::level_enum kLevels[] = {spdlog::level::trace, spdlog::level::debug,
                                                               spdlog::level::info, spdlog::level::warn,
                                                               spdlog::level::err};
      const auto lvl = static_cast<unsigned>(level) < 5 ? kLevels[level] : spdlog::level::info;
      spdlog::log(lvl, "[{}] {}", display, text);
    };
    STRATUS_TRY(native->configureDispatch(std::move(dispatch), std::move(log)));
    provider->native = std::move(native);
    {
      std::unique_lock lock(mu_);
      providers_.emplace(ProviderKey{provider->contract_id, link_name}, provider);
    }
    spdlog::info("provider started: {} from {}", provider->display_name, provider->origin);
    emit({HostEvent::Kind::kProviderStarted, pk, contract, link_name, {}, {}});
    for (const auto& link : linksWhere([&](const LinkDefinition& l) {
           return l.contract_id == contract && l.link_name == link_name && l.provider_id == pk;
         })) {
      bindLink(link);
    }
    return pk;
  }

  // Called with control_mu_ held, the provider already out of providers_.
  void stopProviderNow(Provider& provider) {
    provider.bound.clear();
    if (auto stopped = provider.native->stop(); !stopped) {
      spdlog::error("{}: {}", provider.display_name, stopped.error().message);
    }
    spdlog::info("provider stopped: {}", provider.display_name);
    emit({HostEvent::Kind::kProviderStopped, provider.public_key, provider.contract_id, provider.link_name, {}, {}});
  }

  // BindActor when both sides of `link` run here. Called with control_mu_ held.
  void bindLink(const LinkDefinition& link) {
    auto actor = findActor(link.actor_id);
    auto provider = findProvider(link.contract_id, link.link_name);
    if (!actor || !provider || provider->public_key != link.provider_id) return;
    if (provider->bound.count(link.actor_id)) return;
    codec::CapabilityConfiguration config{link.actor_id, link.values};
    const auto& c = actor->claims;
    config.values[std::string(codec::kValueIssuer)] = c.issuer;
    config.values[std::string(codec::kValueCapabilities)] = join(c.metadata.caps, ",");
    config.values[std::string(codec::kValueName)] = c.metadata.name;
    config.values[std::string(codec::kValueExpires)] = std::to_string(c.expires.value_or(0));
    config.values[std::string(codec::kValueTags)] = join(c.metadata.tags, ",");
    auto bound = provider->native->call(codec::kSystemActor, codec::kOpBindActor, codec::encode(config));
    if (!bound) {
      spdlog::error("{} refused to bind {}: {}", provider->display_name, actor->display_name, bound.error().message);
      emit({HostEvent::Kind::kBindFailed, provider->public_key, provider->contract_id, provider->link_name,
            link.actor_id, bound.error().message});
      return;
    }
    provider->bound.insert(link.actor_id);
    spdlog::info("bound {} to {}", actor->display_name, provider->display_name);
  }

  void unbindLink(const LinkDefinition& link) {
    auto provider = findProvider(link.contract_id, link.link_name);
    if (provider && provider->public_key == link.provider_id) unbind(*provider, link.actor_id);
  }

  // RemoveActor if the provider had bound the actor. Called with control_mu_ held.
  void unbind(Provider& provider, const std::string& actor_id) {
    if (!provider.bound.erase(actor_id)) return;
    auto removed = provider.native->call(codec::kSystemActor, codec::kOpRemoveActor,
                                         codec::encode(codec::CapabilityConfiguration{actor_id, {}}));
    if (!removed) {
      spdlog::warn("{}: RemoveActor for {} failed: {}", provider.display_name, actor_id, removed.error().message);
    }
  }

  // ---- health ----

  void healthLoop() {
    std::unique_lock lock(health_mu_);
    while (!shutting_down_) {
      health_cv_.wait_for(lock, health_interval_, [this] { return shutting_down_; });
      if (shutting_down_) break;
      lock.unlock();
      checkProviderHealth();
      lock.lock();
    }
  }

  void checkHealth(const std::shared_ptr<Provider>& p) {
    // A provider's handle_call cannot be interrupted: run the check on its own thread and stop waiting after the
    // timeout (the thread finishes whenever the provider answers).
    auto promise = std::make_shared<std::promise<Expected<Bytes>>>();
    auto future = promise->get_future();
    std::thread([p, promise] {
      promise->set_value(p->native->call(codec::kSystemActor, codec::kOpHealthRequest,
                                         codec::encode(codec::HealthRequest{})));
    }).detach();
    if (future.wait_for(kHealthCheckTimeout) != std::future_status::ready) {
      markHealth(*p, false, "no answer to HealthRequest within " + std::to_string(kHealthCheckTimeout.count()) + " s");
      return;
    }
    auto reply = future.get();
    if (!reply) {
      markHealth(*p, false, "HealthRequest failed: " + reply.error().message);
      return;
    }
    auto response = codec::decodeHealthResponse(*reply);
    if (!response) {
      markHealth(*p, false, "bad HealthResponse: " + response.error().message);
      return;
    }
    markHealth(*p, response->healthy, response->healthy ? "" : response->message);
  }

  void markHealth(Provider& p, bool healthy, std::string message) {
    {
      std::lock_guard lock(p.health_mu);
      const bool changed = p.healthy != healthy;
      p.healthy = healthy;
      p.health_message = message;
      if (!changed) return;
    }
    if (healthy) {
      spdlog::info("provider healthy again: {}", p.display_name);
    } else {
      spdlog::warn("provider unhealthy: {}: {}", p.display_name, message);
    }
    emit({healthy ? HostEvent::Kind::kProviderHealthy : HostEvent::Kind::kProviderUnhealthy, p.public_key,
          p.contract_id, p.link_name, {}, std::move(message)});
  }

  // ---- __host_call ----

  // A guest's __host_call: resolve the target (actor key, call alias, or linked contract), check claims, the link
  // and policy, then hand it to the bus.
  Expected<Bytes> hostCall(const Actor& caller, std::string_view binding, std::string_view ns, std::string_view op,
                           std::span<const uint8_t> payload) {
    const std::string_view link_name = trim(binding).empty() ? std::string_view("default") : binding;
    std::string target_key;
    if (isActorKey(ns)) {
      target_key = ns;
    } else if (auto pk = resolveActor(ns)) {
      target_key = *pk;
    }
    if (!target_key.empty()) {
      Entity target{EntityKind::kActor, target_key, {}, {}};
      if (authorizer_ && !authorizer_->canInvoke(caller.claims, target, op)) {
        return fail(ErrorCode::kPermissionDenied, "the authorizer refused " + caller.display_name + " calling " +
                                                      operation_str(op) + " on " + target_key);
      }
      return bus_.invoke({{EntityKind::kActor, caller.public_key, {}, {}}, target, op, payload});
    }

    const auto& caps = caller.claims.metadata.caps;
    if (std::find(caps.begin(), caps.end(), ns) == caps.end()) {
      return fail(ErrorCode::kPermissionDenied,
                  caller.display_name + " has no capability claim for '" + std::string(ns) +
                      "' (its claims allow: " + (caps.empty() ? std::string("none") : join(caps, ", ")) + ")");
    }
    std::string provider_id;
    {
      std::shared_lock lock(mu_);
      auto it = links_.find(LinkKey{caller.public_key, ns, link_name});
      if (it != links_.end()) provider_id = it->second.provider_id;
    }
    if (provider_id.empty()) {
      return fail(ErrorCode::kNotFound, "no link definition for actor " + caller.public_key + ", contract '" +
                                            std::string(ns) + "', link name '" + std::string(link_name) +
                                            "': the target was not found as an actor public key, a call alias, or "
                                            "a linked contract");
    }
    Entity target{EntityKind::kCapability, provider_id, ns, link_name};
    if (authorizer_ && !authorizer_->canInvoke(caller.claims, target, op)) {
      return fail(ErrorCode::kPermissionDenied, "the authorizer refused " + caller.display_name + " calling " +
                                                    operation_str(op) + " on " + std::string(ns));
    }
    return bus_.invoke({{EntityKind::kActor, caller.public_key, {}, {}}, target, op, payload});
  }

  // An actor started on the interpreter by `auto` gets its native code: new instances come from it, idle ones are
  // replaced now, busy ones when their call returns. Runs on the background compile thread.
  void tierUp(const std::weak_ptr<Actor>& weak, Expected<std::shared_ptr<const engine::Module>> native,
              double seconds) {
    std::shared_ptr<Actor> actor = weak.lock();
    if (!actor || findActor(actor->public_key) != actor) return;  // stopped meanwhile
    if (!native) {
      spdlog::warn("{} stays on the interpreter: native compile failed after {:.2f} s: {}", actor->display_name,
                   seconds, native.error().message);
      return;
    }
    {
      std::lock_guard code(actor->code_mu);
      actor->module = std::move(*native);
    }
    actor->pool->retireAll();
    if (auto filled = actor->pool->prefill(options_.min_instances); !filled) {
      spdlog::warn("{}: cannot create native instances ahead of calls: {}", actor->display_name,
                   filled.error().message);
    }
    // Reported once the idle instances are native: a caller that sees "aot" no longer races the swap.
    {
      std::lock_guard code(actor->code_mu);
      actor->engine = "aot";
    }
    spdlog::info("{} now runs native code (compiled in {:.2f} s)", actor->display_name, seconds);
  }

  friend class LocalBus;

  std::unique_ptr<EngineSelection> engines_;
  std::shared_ptr<const Authorizer> authorizer_;
  ActorOptions options_;
  std::map<std::string, std::string> labels_;
  std::function<int64_t()> clock_;
  std::function<void(const HostEvent&)> listener_;
  std::chrono::milliseconds health_interval_;
  std::string cache_dir_;
  std::string id_;
  LocalBus bus_;
  std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();

  // Serializes lifecycle changes (start/stop, links, bind/unbind) and is held while providers get BindActor or
  // RemoveActor. Invocations never take it, so a provider may call actors while binding.
  std::mutex control_mu_;

  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<Actor>, std::less<>> actors_;         // guarded by mu_
  std::map<std::string, std::string, std::less<>> aliases_;                   // guarded by mu_; alias -> key
  std::map<ProviderKey, std::shared_ptr<Provider>, std::less<>> providers_;   // guarded by mu_
  std::map<LinkKey, LinkDefinition, std::less<>> links_;                      // guarded by mu_

  std::mutex health_mu_;
  std::condition_variable health_cv_;
  bool shutting_down_ = false;  // guarded by health_mu_
  std::thread health_thread_;
};

Expected<Bytes> LocalBus::invoke(const Invocation& invocation) {
  if (invocation.target.kind == EntityKind::kActor) {
    return host_.deliver(invocation.target.public_key, invocation.operation, invocation.msg);
  }
  return host_.deliverToProvider(invocation.target, invocation.origin.public_key, invocation.operation,
                                 invocation.msg);
}

}  // namespace

std::string_view hostEventName(HostEvent::Kind kind) {
  switch (kind) {
    case HostEvent::Kind::kActorStarted: return "ActorStarted";
    case HostEvent::Kind::kActorStopped: return "ActorStopped";
    case HostEvent::Kind::kProviderStarted: return "ProviderStarted";
    case HostEvent::Kind::kProviderStopped: return "ProviderStopped";
    case HostEvent::Kind::kProviderUnhealthy: return "ProviderUnhealthy";
    case HostEvent::Kind::kProviderHealthy: return "ProviderHealthy";
    case HostEvent::Kind::kLinkSet: return "LinkSet";
    case HostEvent::Kind::kLinkRemoved: return "LinkRemoved";
    case HostEvent::Kind::kBindFailed: return "BindFailed";
  }
  return "Unknown";
}

struct HostBuilder::Config {
  std::string engine;  // empty: interp
  engine::AotOptions aot;
  std::shared_ptr<const Authorizer> authorizer;
  std::map<std::string, std::string> labels;
  HostSettings settings{{}, [] { return claims::unixNow(); }, {}, std::chrono::seconds(30), {}};
  bool builtin_extras = true;
};

HostBuilder::HostBuilder() : config_(std::make_unique<Config>()) {}
HostBuilder::~HostBuilder() = default;
HostBuilder::HostBuilder(HostBuilder&&) noexcept = default;
HostBuilder& HostBuilder::operator=(HostBuilder&&) noexcept = default;

HostBuilder& HostBuilder::withEngine(std::string name) {
  config_->engine = std::move(name);
  return *this;
}
HostBuilder& HostBuilder::withAotOptions(engine::AotOptions options) {
  config_->aot = std::move(options);
  return *this;
}
HostBuilder& HostBuilder::withAuthorizer(std::shared_ptr<const Authorizer> authorizer) {
  config_->authorizer = std::move(authorizer);
  return *this;
}
HostBuilder& HostBuilder::withActorOptions(ActorOptions options) {
  config_->settings.actor_options = options;
  return *this;
}
HostBuilder& HostBuilder::withLabel(std::string key, std::string value) {
  config_->labels[std::move(key)] = std::move(value);
  return *this;
}
HostBuilder& HostBuilder::withClock(std::function<int64_t()> now) {
  config_->settings.clock = std::move(now);
  return *this;
}
HostBuilder& HostBuilder::withEventListener(std::function<void(const HostEvent&)> listener) {
  config_->settings.listener = std::move(listener);
  return *this;
}
HostBuilder& HostBuilder::withProviderHealthInterval(std::chrono::milliseconds interval) {
  config_->settings.health_interval = interval;
  return *this;
}
HostBuilder& HostBuilder::withProviderCacheDir(std::string dir) {
  config_->settings.cache_dir = std::move(dir);
  return *this;
}
HostBuilder& HostBuilder::withBuiltinExtras(bool enabled) {
  config_->builtin_extras = enabled;
  return *this;
}

Expected<std::unique_ptr<Host>> HostBuilder::build() {
  auto mode = parseEngineMode(config_->engine.empty() ? "interp" : config_->engine);
  if (!mode) return fail(mode.takeError());
  auto engines = std::make_unique<EngineSelection>(*mode, config_->aot);
  STRATUS_TRY(engines->check());
  auto key = claims::KeyPair::generate(claims::KeyType::kServer);
  if (!key) return fail(key.takeError());
  // wasmCloud's reserved labels describe the machine and cannot be overridden.
  config_->labels["hostcore.os"] = "linux";
#if defined(__x86_64__)
  config_->labels["hostcore.arch"] = "x86_64";
#elif defined(__aarch64__)
  config_->labels["hostcore.arch"] = "aarch64";
#endif
  config_->labels["hostcore.osfamily"] = "unix";
  auto host = std::make_unique<StandaloneHost>(std::move(engines), config_->authorizer, config_->settings,
                                               config_->labels, key->publicKey());
  if (config_->builtin_extras) {
    auto extras = claims::decodeClaims<claims::ProviderMetadata>(kExtrasToken);
    if (!extras) return fail(extras.takeError());
    STRATUS_TRY(host->startProviderFromTable(createExtrasProvider(), *extras, "default"));
  }
  return std::unique_ptr<Host>(std::move(host));
}

}  // namespace stratus::host
