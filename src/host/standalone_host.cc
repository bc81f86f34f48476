// The standalone host: actors in process, invocations routed through an in-process bus.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <shared_mutex>
#include <thread>

#include "host/instance_pool.h"
#include "stratus/claims/nkeys.h"
#include "stratus/claims/wasm.h"
#include "stratus/host/host.h"

namespace stratus::host {
namespace {

struct Actor {
  std::string public_key;
  claims::ActorClaims claims;
  std::string display_name;  // for logs and errors: "name (Mxxx)"
  std::shared_ptr<const engine::Module> module;
  std::unique_ptr<InstancePool> pool;
};

bool isActorKey(std::string_view s) { return s.size() == 56 && s[0] == 'M'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

class StandaloneHost;

/// Delivers invocations to actors of this host.
class LocalBus final : public Bus {
 public:
  explicit LocalBus(StandaloneHost& host) : host_(host) {}
  Expected<Bytes> invoke(const Invocation& invocation) override;

 private:
  StandaloneHost& host_;
};

class StandaloneHost final : public Host {
 public:
  StandaloneHost(std::unique_ptr<engine::Engine> engine, std::shared_ptr<const Authorizer> authorizer,
                 ActorOptions options, std::map<std::string, std::string> labels, std::function<int64_t()> clock,
                 std::string id)
      : engine_(std::move(engine)),
        authorizer_(std::move(authorizer)),
        options_(options),
        labels_(std::move(labels)),
        clock_(std::move(clock)),
        id_(std::move(id)),
        bus_(*this) {
    if (options_.max_instances == 0) options_.max_instances = std::max(1u, std::thread::hardware_concurrency());
    options_.min_instances = std::clamp<size_t>(options_.min_instances, 1, options_.max_instances);
  }

  ~StandaloneHost() override {
    std::unique_lock lock(mu_);
    actors_.clear();
    aliases_.clear();
  }

  const std::string& id() const override { return id_; }
  const std::map<std::string, std::string>& labels() const override { return labels_; }

  Expected<std::string> startActorFromFile(const std::string& path) override {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(ErrorCode::kIo, "cannot open actor file " + path);
    Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto pk = startActor(bytes);
    if (!pk) {
      Error e = pk.takeError();
      e.message = path + ": " + e.message;
      return fail(std::move(e));
    }
    return pk;
  }

  Expected<std::string> startActor(std::span<const uint8_t> wasm) override {
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

    auto module = engine_->compile(wasm, {.name = actor->display_name});
    if (!module) return fail(module.takeError());
    actor->module = std::move(*module);

    Actor* raw = actor.get();
    actor->pool = std::make_unique<InstancePool>(
        [this, raw]() {
          wapc::WapcOptions wo;
          wo.instance = options_.instance;
          wo.host_call = [this, raw](std::string_view binding, std::string_view ns, std::string_view op,
                                     std::span<const uint8_t> payload) {
            return hostCall(*raw, binding, ns, op, payload);
          };
          wo.console_log = [raw](std::string_view line) {
            spdlog::info("[{}] {}", raw->display_name, line);
          };
          return wapc::WapcInstance::create(raw->module, std::move(wo));
        },
        options_.max_instances);
    STRATUS_TRY(actor->pool->prefill(options_.min_instances));

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
    spdlog::info("actor started: {} ({} instance(s), up to {})", actor->display_name, actor->pool->size(),
                 actor->pool->max());
    return actor->public_key;
  }

  Expected<void> stopActor(std::string_view public_key) override {
    std::shared_ptr<Actor> actor;
    {
      std::unique_lock lock(mu_);
      auto it = actors_.find(public_key);
      if (it == actors_.end()) {
        return fail(ErrorCode::kNotFound, "actor " + std::string(public_key) + " is not running on this host");
      }
      actor = std::move(it->second);
      actors_.erase(it);
      std::erase_if(aliases_, [&](const auto& kv) { return kv.second == public_key; });
    }
    spdlog::info("actor stopped: {}", actor->display_name);
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
    for (const auto& [pk, a] : actors_) out.push_back({pk, a->claims, a->pool->size()});
    return out;
  }

  std::vector<claims::ActorClaims> actorClaims() const override {
    std::shared_lock lock(mu_);
    std::vector<claims::ActorClaims> out;
    for (const auto& [pk, a] : actors_) out.push_back(a->claims);
    return out;
  }

  /// Runs a call on a local actor (the in-process bus's delivery).
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

 private:
  std::shared_ptr<Actor> findActor(std::string_view public_key) const {
    std::shared_lock lock(mu_);
    auto it = actors_.find(public_key);
    return it == actors_.end() ? nullptr : it->second;
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

  // A guest's __host_call: resolve the target (actor key, call alias, or contract id), check claims and policy,
  // then hand it to the bus.
  Expected<Bytes> hostCall(const Actor& caller, std::string_view binding, std::string_view ns, std::string_view op,
                           std::span<const uint8_t> payload) {
    std::string_view link_name = trim(binding).empty() ? std::string_view("default") : binding;
    std::string target_key;
    if (isActorKey(ns)) {
      target_key = ns;
    } else if (auto pk = resolveActor(ns)) {
      target_key = *pk;
    }
    if (!target_key.empty()) {
      Entity target{EntityKind::kActor, target_key, {}, {}};
      if (authorizer_ && !authorizer_->canInvoke(caller.claims, target, op)) {
        return fail(ErrorCode::kPermissionDenied,
                    "the authorizer refused " + caller.display_name + " calling " + op_str(op) + " on " + target_key);
      }
      return bus_.invoke({{EntityKind::kActor, caller.public_key, {}, {}}, target, op, payload});
    }

    const auto& caps = caller.claims.metadata.caps;
    if (std::find(caps.begin(), caps.end(), ns) == caps.end()) {
      return fail(ErrorCode::kPermissionDenied, caller.display_name + " has no capability claim for '" +
                                                    std::string(ns) + "' (its claims allow: " + joinCaps(caps) + ")");
    }
    // Links and providers arrive with the capability-provider support; until one exists no link can match.
    return fail(ErrorCode::kNotFound, "no link definition for actor " + caller.public_key + ", contract '" +
                                          std::string(ns) + "', link name '" + std::string(link_name) +
                                          "': the target was not found as an actor public key, a call alias, or "
                                          "a linked contract");
  }

  static std::string op_str(std::string_view op) { return "'" + std::string(op) + "'"; }

  static std::string joinCaps(const std::vector<std::string>& caps) {
    if (caps.empty()) return "none";
    std::string out;
    for (const auto& c : caps) out += (out.empty() ? "" : ", ") + c;
    return out;
  }

  friend class LocalBus;

  std::unique_ptr<engine::Engine> engine_;
  std::shared_ptr<const Authorizer> authorizer_;
  ActorOptions options_;
  std::map<std::string, std::string> labels_;
  std::function<int64_t()> clock_;
  std::string id_;
  LocalBus bus_;

  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<Actor>, std::less<>> actors_;  // guarded by mu_
  std::map<std::string, std::string, std::less<>> aliases_;            // guarded by mu_; alias -> public key
};

Expected<Bytes> LocalBus::invoke(const Invocation& invocation) {
  if (invocation.target.kind == EntityKind::kActor) {
    return host_.deliver(invocation.target.public_key, invocation.operation, invocation.msg);
  }
  return fail(ErrorCode::kNotFound, "no capability provider " + std::string(invocation.target.public_key) +
                                        " for contract '" + std::string(invocation.target.contract_id) +
                                        "' is running on this host");
}

}  // namespace

struct HostBuilder::Config {
  std::string engine;
  std::shared_ptr<const Authorizer> authorizer;
  ActorOptions actor_options;
  std::map<std::string, std::string> labels;
  std::function<int64_t()> clock = [] { return claims::unixNow(); };
};

HostBuilder::HostBuilder() : config_(std::make_unique<Config>()) {}
HostBuilder::~HostBuilder() = default;
HostBuilder::HostBuilder(HostBuilder&&) noexcept = default;
HostBuilder& HostBuilder::operator=(HostBuilder&&) noexcept = default;

HostBuilder& HostBuilder::withEngine(std::string name) {
  config_->engine = std::move(name);
  return *this;
}
HostBuilder& HostBuilder::withAuthorizer(std::shared_ptr<const Authorizer> authorizer) {
  config_->authorizer = std::move(authorizer);
  return *this;
}
HostBuilder& HostBuilder::withActorOptions(ActorOptions options) {
  config_->actor_options = options;
  return *this;
}
HostBuilder& HostBuilder::withLabel(std::string key, std::string value) {
  config_->labels[std::move(key)] = std::move(value);
  return *this;
}
HostBuilder& HostBuilder::withClock(std::function<int64_t()> now) {
  config_->clock = std::move(now);
  return *this;
}

Expected<std::unique_ptr<Host>> HostBuilder::build() {
  const std::string name = config_->engine.empty() ? engine::availableEngines().front() : config_->engine;
  auto engine = engine::createEngine(name);
  if (!engine) return fail(engine.takeError());
  auto key = claims::KeyPair::generate(claims::KeyType::kServer);
  if (!key) return fail(key.takeError());
  config_->labels.emplace("hostcore.os", "linux");
#if defined(__x86_64__)
  config_->labels.emplace("hostcore.arch", "x86_64");
#elif defined(__aarch64__)
  config_->labels.emplace("hostcore.arch", "aarch64");
#endif
  config_->labels.emplace("hostcore.osfamily", "unix");
  return std::unique_ptr<Host>(std::make_unique<StandaloneHost>(std::move(*engine), config_->authorizer,
                                                                config_->actor_options, config_->labels,
                                                                config_->clock, key->publicKey()));
}

}  // namespace stratus::host
