// HostBuilder: settings, the host's identity and labels, then the StandaloneHost with its bus and built-ins.
#include <sys/utsname.h>

#include <algorithm>
#include <cctype>

#include "host/extras_provider.h"
#include "host/standalone_host.h"
#include "stratus/claims/jwt.h"
#include "stratus/claims/nkeys.h"

namespace stratus::host {

namespace {

// hostcore.os, .arch and .osfamily of this machine.
std::map<std::string, std::string> builtinLabels() {
  std::map<std::string, std::string> labels;
  utsname system{};
  if (uname(&system) == 0) {
    // As Rust's std::env::consts names them, which wasmCloud reports.
    std::string os = system.sysname;
    std::transform(os.begin(), os.end(), os.begin(), [](unsigned char c) { return std::tolower(c); });
    labels["hostcore.os"] = os == "darwin" ? "macos" : os;
    labels["hostcore.arch"] = system.machine;
  }
#if defined(__unix__) || defined(__APPLE__)
  labels["hostcore.osfamily"] = "unix";
#else
  labels["hostcore.osfamily"] = "windows";
#endif
  return labels;
}

}  // namespace

struct HostBuilder::Config {
  EngineMode engine = EngineMode::only(engine::Backend::kInterp);
  engine::EngineOptions engine_options;
  std::string server_seed;
  BusFactory bus;
  HostSettings settings{.clock = [] { return claims::unixNow(); }};
  bool builtin_extras = true;
};

HostBuilder::HostBuilder() : config_(std::make_unique<Config>()) {}
HostBuilder::~HostBuilder() = default;
HostBuilder::HostBuilder(HostBuilder&&) noexcept = default;
HostBuilder& HostBuilder::operator=(HostBuilder&&) noexcept = default;

HostBuilder& HostBuilder::withProviderIsolation(ProviderIsolationPolicy policy) {
  config_->settings.isolation = std::move(policy);
  return *this;
}
HostBuilder& HostBuilder::withEngine(EngineMode mode) {
  config_->engine = mode;
  return *this;
}
HostBuilder& HostBuilder::withAotOptions(engine::AotOptions options) {
  config_->engine_options.aot = std::move(options);
  return *this;
}
HostBuilder& HostBuilder::withServerSeed(std::string seed) {
  config_->server_seed = std::move(seed);
  return *this;
}
HostBuilder& HostBuilder::withBus(BusFactory factory) {
  config_->bus = std::move(factory);
  return *this;
}
HostBuilder& HostBuilder::withAuthorizer(std::shared_ptr<const Authorizer> authorizer) {
  config_->settings.authorizer = std::move(authorizer);
  return *this;
}
HostBuilder& HostBuilder::withActorOptions(ActorOptions options) {
  config_->settings.actor_options = options;
  return *this;
}
HostBuilder& HostBuilder::withLabel(std::string key, std::string value) {
  config_->settings.labels[std::move(key)] = std::move(value);
  return *this;
}
HostBuilder& HostBuilder::withClock(std::function<int64_t()> now) {
  config_->settings.clock = std::move(now);
  return *this;
}
HostBuilder& HostBuilder::withEventListener(std::function<void(const HostEvent&)> listener) {
  config_->settings.listeners.push_back(std::move(listener));
  return *this;
}
HostBuilder& HostBuilder::withProviderHealthInterval(std::chrono::milliseconds interval) {
  config_->settings.health_interval = interval;
  return *this;
}
HostBuilder& HostBuilder::withProviderHealthTimeout(std::chrono::milliseconds timeout) {
  config_->settings.health_timeout = timeout;
  return *this;
}
HostBuilder& HostBuilder::withProviderStopTimeout(std::chrono::milliseconds timeout) {
  config_->settings.stop_timeout = timeout;
  return *this;
}

HostBuilder& HostBuilder::withLiveUpdates(bool enabled, bool strict) {
  config_->settings.live_updates = enabled;
  config_->settings.strict_update_check = strict;
  return *this;
}

HostBuilder& HostBuilder::withRegistry(oci::ClientOptions client, oci::CacheOptions cache) {
  config_->settings.registry_client = std::move(client);
  config_->settings.registry_cache = std::move(cache);
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
  auto engines = std::make_unique<EngineSelection>(config_->engine, config_->engine_options);
  STRATUS_TRY(engines->check());
  auto key = config_->server_seed.empty() ? claims::KeyPair::generate(claims::KeyType::kServer)
                                          : claims::KeyPair::fromSeed(config_->server_seed);
  if (!key) return fail(ErrorCode::kInvalidArgument, "server seed: " + key.error().message);
  if (key->type() != claims::KeyType::kServer) {
    return fail(ErrorCode::kInvalidArgument, "server seed: not the seed of a server key (SN…)");
  }
  HostSettings settings = config_->settings;
  // wasmCloud's reserved labels describe the machine and cannot be overridden.
  for (auto& [k, v] : builtinLabels()) settings.labels[k] = v;
  auto host = std::make_unique<StandaloneHost>(std::move(engines), std::move(settings), std::move(*key));
  if (config_->bus) {
    auto bus = config_->bus(host->busContext());
    if (!bus) return fail(bus.takeError().prefixed("bus: "));
    host->setBus(std::move(*bus));
  }
  if (config_->builtin_extras) {
    auto extras = claims::decodeClaims<claims::ProviderMetadata>(kExtrasToken);
    if (!extras) return fail(extras.takeError());
    STRATUS_TRY(host->startProviderFromTable(createExtrasProvider(), *extras, "default"));
  }
  return std::unique_ptr<Host>(std::move(host));
}

}  // namespace stratus::host
