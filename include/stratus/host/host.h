// The embedding API of a stratus host, in the spirit of wasmcloud_host 0.18: build a host, start actors from
// signed wasm, call them, stop them.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stratus/capability/native_provider.h"
#include "stratus/claims/claims.h"
#include "stratus/common/expected.h"
#include "stratus/engine/aot.h"
#include "stratus/engine/engine.h"
#include "stratus/host/bus.h"
#include "stratus/host/engine_mode.h"
#include "stratus/oci/oci.h"
#include "stratus/provider.h"

namespace stratus::host {

/// Pluggable policy consulted after the built-in checks (claims verified at load; on invocation the caller's
/// claims hold the target contract and a link exists). Implementations must be thread-safe.
class Authorizer {
 public:
  virtual ~Authorizer() = default;
  /// May the host start an actor with these (already verified) claims?
  virtual bool canLoad(const claims::ActorClaims& actor) const { return true; }
  /// May `caller` invoke `operation` on `target`? Not consulted for calls from the host itself (origin "system").
  virtual bool canInvoke(const claims::ActorClaims& caller, const Entity& target,
                         std::string_view operation) const {
    return true;
  }
};

/// How each actor's instances are pooled and limited.
struct ActorOptions {
  /// Instances created when the actor starts (at least 1: the first one also proves the module instantiates).
  size_t min_instances = 1;
  /// Upper bound of instances, i.e. of concurrent calls into one actor. 0 = the number of hardware threads.
  size_t max_instances = 0;
  /// Memory cap and per-call deadline of every instance.
  engine::InstanceOptions instance{.max_memory_pages = 1024, .call_timeout = std::chrono::seconds(30)};
  /// How long a call waits for a free instance when all are busy before failing.
  std::chrono::milliseconds acquire_timeout{30000};
};

/// Per-actor choices at start.
struct ActorStartOptions {
  /// Engine of this actor (see HostBuilder::withEngine); unset: the host's.
  std::optional<EngineMode> engine;
};

/// A running actor as the host reports it.
struct ActorInfo {
  std::string public_key;
  claims::ActorClaims claims;
  size_t instances = 0;      ///< instances currently alive in the pool
  engine::Backend engine{};  ///< what runs its code now
  std::string image_ref;     ///< the file or OCI reference it was started from ("" when started from bytes)
};

/// A link definition: wires an actor to the provider serving (contract_id, link_name), with configuration values
/// the provider receives in BindActor. Key: (actor_id, contract_id, link_name).
struct LinkDefinition {
  std::string actor_id;     ///< actor public key ('M…')
  std::string provider_id;  ///< provider public key ('V…')
  std::string contract_id;  ///< e.g. "wasmcloud:httpserver"
  std::string link_name = "default";
  std::map<std::string, std::string> values;
};

/// A running capability provider as the host reports it.
struct ProviderInfo {
  std::string public_key;
  std::string contract_id;
  std::string link_name;
  std::string name;
  std::string origin;  ///< archive or library path, or "built-in"
  std::optional<int32_t> revision;
  bool healthy = true;
  std::string health_message;  ///< why it is unhealthy ("" when healthy)
  /// The ABI it is driven through: "C ABI v1", or "Rust ABI (rustc 1.48.0: ...)" with the layouts in use.
  std::string abi;
};

/// Where the host runs providers (HostBuilder::withProviderIsolation; docs/providers.md, "Isolation").
struct ProviderIsolationPolicy {
  /// Every provider's isolation unless its start asks for another; nullopt chooses by kind: a provider built by
  /// rustc (the Rust ABI, where a panic unwinding into the host is undefined behaviour) runs in a child process
  /// when `process.executable` is set, every other provider in process.
  std::optional<capability::ProviderIsolation> mode;
  /// How child processes are run: `executable` (a stratus binary, run as `stratus provider-host`) is needed for
  /// kProcess; restarts and deadlines; `log` defaults to the host's log.
  capability::ProcessIsolation process;
};

/// "process" or "inproc" (as manifests and --provider-isolation write them). kInvalidArgument names the choices.
Expected<capability::ProviderIsolation> parseProviderIsolation(std::string_view text);

/// Something that happened on the host, for listeners (and, later, the lattice's event stream).
struct HostEvent {
  enum class Kind {
    kActorStarted,
    kActorStopped,
    kProviderStarted,
    kProviderStopped,    ///< message: what went wrong stopping it (calls or stop hung, stop crashed), "" if nothing
    kProviderUnhealthy,  ///< a health check failed or reported unhealthy (message says why)
    kProviderHealthy,    ///< a provider that was unhealthy passed a health check again
    kLinkSet,
    kLinkRemoved,
    kBindFailed,         ///< a provider refused BindActor (message says why)
    kActorUpdateBegan,      ///< a live update passed its checks; the new code is being prepared
    kActorUpdateCompleted,  ///< new calls go to the new code (calls in flight finish on the old)
  };
  Kind kind;
  std::string public_key{};   ///< the actor or provider concerned
  std::string contract_id{};  ///< providers and links
  std::string link_name{};    ///< providers and links
  std::string actor_id{};     ///< links and bind failures
  std::string message{};
  std::string image_ref{};    ///< ActorStarted, ProviderStarted, ActorUpdate*: the file or OCI reference, or ""
  int32_t old_revision = 0;  ///< ActorUpdate*: the revision running before
  int32_t new_revision = 0;  ///< ActorUpdate*: the revision of the new module
};

/// Name of an event kind ("ActorStarted", "ProviderUnhealthy", ...), as wasmCloud names its events.
std::string_view hostEventName(HostEvent::Kind kind);

class Host;

/// Configures and builds a Host.
class HostBuilder {
 public:
  HostBuilder();
  ~HostBuilder();
  HostBuilder(HostBuilder&&) noexcept;
  HostBuilder& operator=(HostBuilder&&) noexcept;

  /// How actors run, unless their start options say otherwise (default: the interpreter):
  /// - interp: the wabt interpreter; starts at once, needs nothing at run time.
  /// - aot: native code (wasm2c + the system C compiler), compiled before the actor starts or taken from the
  ///   disk cache; the host does not build without a C compiler.
  /// - auto: native code at once when the disk cache has it; otherwise the actor starts on the interpreter and
  ///   its instances are replaced by native ones when a background compile finishes (calls in flight finish on
  ///   the old instances). Without a C compiler actors stay on the interpreter (logged once).
  HostBuilder& withEngine(EngineMode mode);
  /// Options of the aot engine (compiler, optimisation, disk cache directory).
  HostBuilder& withAotOptions(engine::AotOptions options);
  /// The host's server key, from its seed ('SN…'); default a new key per host. kInvalidArgument from build() when
  /// the seed is not a server seed.
  HostBuilder& withServerSeed(std::string seed);
  /// The bus every authorized invocation goes to (e.g. the lattice's, which sends calls for other hosts over
  /// NATS and hands the rest to the local bus it is given). Default: the local bus alone.
  HostBuilder& withBus(BusFactory factory);
  /// Policy hook; default allows everything the built-in checks allow.
  HostBuilder& withAuthorizer(std::shared_ptr<const Authorizer> authorizer);
  /// Pool and limits applied to every actor.
  HostBuilder& withActorOptions(ActorOptions options);
  /// A host label (e.g. "region" = "eu").
  HostBuilder& withLabel(std::string key, std::string value);
  /// Clock used to check claims expiry (seconds since the Unix epoch); default the system clock. For tests.
  HostBuilder& withClock(std::function<int64_t()> now);

  /// Adds a listener that receives every HostEvent, synchronously on the thread that caused it, with no host lock
  /// held (it may call the host); listeners run in the order they were added. Must be thread-safe.
  HostBuilder& withEventListener(std::function<void(const HostEvent&)> listener);
  /// How often every provider is sent a HealthRequest (default 30 s; zero disables the checks).
  HostBuilder& withProviderHealthInterval(std::chrono::milliseconds interval);
  /// How long a HealthRequest may go unanswered before the provider counts as unhealthy (default 2 s).
  HostBuilder& withProviderHealthTimeout(std::chrono::milliseconds timeout);
  /// How long stopping a provider may take in all, its calls in flight and its stop (default 10 s).
  HostBuilder& withProviderStopTimeout(std::chrono::milliseconds timeout);
  /// Where provider libraries unpacked from archives are cached (default $XDG_CACHE_HOME/stratus/providers, else
  /// ~/.cache/stratus/providers, else $TMPDIR/stratus-cache/providers).
  HostBuilder& withProviderCacheDir(std::string dir);
  /// Where providers run: in process, in child processes, or by kind (the default; see ProviderIsolationPolicy).
  HostBuilder& withProviderIsolation(ProviderIsolationPolicy policy);
  /// Allows live updates of running actors (Host::updateActor; wasmCloud's --allow-live-updates), off by default.
  /// `strict` (the default) also requires the new module to claim exactly the same capabilities
  /// (--disable-strict-update-check turns it off).
  HostBuilder& withLiveUpdates(bool enabled, bool strict = true);
  /// How actors and providers are fetched from OCI registries: the client's policy (`:latest`, insecure
  /// registries, credentials) and the local cache. Default: HTTPS only, no `:latest`, credentials from the
  /// environment or Docker's config.json, the cache in $XDG_CACHE_HOME/stratus/oci.
  HostBuilder& withRegistry(oci::ClientOptions client, oci::CacheOptions cache = {});
  /// Whether the built-in wasmcloud:extras provider starts with the host (default true), under wasmCloud's fixed
  /// key VDHPKGFKDI34Y4RN4PWWZHRYZ6373HYRSNNEM4UTDLLOGO5B37TSVREP and link name "default".
  HostBuilder& withBuiltinExtras(bool enabled);

  /// Builds the host, or an error naming a bad setting (e.g. an unknown engine).
  Expected<std::unique_ptr<Host>> build();

 private:
  struct Config;
  std::unique_ptr<Config> config_;
};

/// A standalone host. Thread-safe: actors and providers may be started, stopped, linked and called from any thread;
/// no lock of the host is held while provider code or an event listener runs. Destroying the host stops its
/// providers (bounded in time) and its actors; calls into the host must have returned by then.
class Host {
 public:
  virtual ~Host() = default;

  /// The host's server public key ('N…'; a fresh one per run unless HostBuilder::withServerSeed).
  virtual const std::string& id() const = 0;
  virtual const std::map<std::string, std::string>& labels() const = 0;

  /// Verifies the module's embedded claims (section present, signature, module hash, expiry, not-before), asks
  /// the Authorizer, compiles it and starts its instance pool. Returns the actor's public key. Errors:
  /// kInvalidClaims (with the reason), kPermissionDenied, kAlreadyExists, kMalformed (bad wasm), engine errors.
  virtual Expected<std::string> startActor(std::span<const uint8_t> wasm, const ActorStartOptions& options = {}) = 0;
  /// startActor with the bytes of a file.
  virtual Expected<std::string> startActorFromFile(const std::string& path,
                                                   const ActorStartOptions& options = {}) = 0;
  /// Fetches an actor from an OCI registry (see HostBuilder::withRegistry: the tag is resolved on each start, the
  /// module taken from the cache when it has that digest, or from the cache alone when the registry is down) and
  /// starts it as startActor does; its image_ref is `reference`. Errors: the registry's (kPermissionDenied for
  /// policy or credentials, kNotFound, kUnavailable, kMalformed for content that fails its digest or is not a wasm
  /// module), then startActor's.
  virtual Expected<std::string> startActorFromRegistry(const std::string& reference,
                                                       const ActorStartOptions& options = {}) = 0;
  /// Replaces the code of a running actor with `wasm`, dropping no call: calls in flight finish on the old
  /// instances, new calls go to new ones; links stay bound. Requires live updates (HostBuilder::withLiveUpdates).
  /// The new module's claims are verified as at start and must have the actor's subject, a higher revision, and
  /// in strict mode the same capabilities. Emits ActorUpdateBegan and ActorUpdateCompleted. `image_ref` is what
  /// the actor reports afterwards ("" keeps the old one). Errors: kPermissionDenied (updates not allowed, or the
  /// authorizer), kNotFound (not running), kInvalidClaims, kInvalidArgument naming the check that failed (subject,
  /// revision, capabilities), engine errors; the running actor is untouched by a failed update.
  virtual Expected<void> updateActor(std::string_view public_key, std::span<const uint8_t> wasm,
                                     std::string image_ref = {}) = 0;
  /// updateActor with the module an OCI reference names (fetched as startActorFromRegistry does).
  virtual Expected<void> updateActorFromRegistry(std::string_view public_key, const std::string& reference) = 0;
  /// Stops an actor: it takes no new calls; calls in flight finish. kNotFound if it isn't running.
  virtual Expected<void> stopActor(std::string_view public_key) = 0;

  /// Calls an actor by public key or call alias, as the host ("system" origin).
  virtual Expected<Bytes> callActor(std::string_view actor, std::string_view operation,
                                    std::span<const uint8_t> payload) = 0;

  /// Loads a provider archive (.par or .par.gz): reads it, verifies its claims (signature, expiry, account
  /// issuer, service subject) and the hash of this host's target library, unpacks that library into the cache and
  /// starts it under `link_name`. Then binds every existing link to it whose actor runs here. Returns the
  /// provider's public key. Errors: kMalformed/kInvalidClaims from the archive, kNotFound when the archive has no
  /// library for this host's target, kAlreadyExists when a provider already serves (contract, link name) here,
  /// kInvalidArgument when the library fails to load or is not a provider.
  /// `isolation` overrides the host's ProviderIsolationPolicy for this provider.
  virtual Expected<std::string> startProviderFromArchive(
      const std::string& path, std::string link_name = "default",
      std::optional<capability::ProviderIsolation> isolation = std::nullopt) = 0;
  /// Fetches a provider archive from an OCI registry (as startActorFromRegistry) and starts it as
  /// startProviderFromArchive does; the provider's origin is `reference`.
  virtual Expected<std::string> startProviderFromRegistry(
      const std::string& reference, std::string link_name = "default",
      std::optional<capability::ProviderIsolation> isolation = std::nullopt) = 0;
  /// Starts a provider library (.so) with the given claims, trusted as given (for embedders and development; the
  /// claims' capid must match the library's capability_id).
  virtual Expected<std::string> startProviderFromLibrary(
      const std::string& library_path, const claims::ProviderClaims& claims, std::string link_name = "default",
      std::optional<capability::ProviderIsolation> isolation = std::nullopt) = 0;
  /// Starts a provider from a function table created in process (same checks as a library).
  virtual Expected<std::string> startProviderFromTable(const stratus_provider* table,
                                                       const claims::ProviderClaims& claims,
                                                       std::string link_name = "default") = 0;
  /// Stops the provider `provider_id` serving under `link_name`: it is gone from the host at once and takes no new
  /// calls; calls in flight finish, then its stop runs, all within HostBuilder::withProviderStopTimeout. Calls or
  /// a stop that hang past it are abandoned, and a crashing stop is contained: the ProviderStopped event's message
  /// says which (empty for a clean stop), and the host goes on. kNotFound if absent.
  virtual Expected<void> stopProvider(std::string_view provider_id, std::string_view link_name = "default") = 0;

  /// Adds or replaces a link definition. Either side may start before or after; when both run the provider gets
  /// BindActor with the values plus the __wasmcloud_* values of the actor's claims. Replacing a bound link with new
  /// values sends RemoveActor then BindActor. Errors: kInvalidArgument for an empty or malformed key.
  virtual Expected<void> setLink(LinkDefinition link) = 0;
  /// Removes a link; a bound provider gets RemoveActor. kNotFound if no such link.
  virtual Expected<void> removeLink(std::string_view actor_id, std::string_view contract_id,
                                    std::string_view link_name = "default") = 0;

  /// The running actors, sorted by public key.
  virtual std::vector<ActorInfo> actors() const = 0;
  /// Claims of the running actors.
  virtual std::vector<claims::ActorClaims> actorClaims() const = 0;
  /// The running providers, sorted by contract id and link name.
  virtual std::vector<ProviderInfo> providers() const = 0;
  /// The link definitions, sorted by actor, contract id and link name.
  virtual std::vector<LinkDefinition> links() const = 0;

  /// Records the verified claims of an actor that runs elsewhere in the lattice (wasmCloud's lattice claims cache):
  /// links then bind providers here to it, its call alias resolves (the first claim of an alias wins), and calls
  /// from it can be authorized. Claims stay known after the actor stops, as in wasmCloud 0.18.
  virtual void learnActorClaims(claims::ActorClaims claims) = 0;
  /// The claims of an actor by public key: of the one running here, else the ones the lattice told; nullopt when
  /// unknown.
  virtual std::optional<claims::ActorClaims> knownActorClaims(std::string_view public_key) const = 0;
  /// The claims of every actor known here (running here, or told by the lattice), sorted by public key.
  virtual std::vector<claims::ActorClaims> knownActorClaims() const = 0;
  /// Runs one round of provider health checks now (the periodic checks do the same) and returns the providers'
  /// states afterwards.
  virtual std::vector<ProviderInfo> checkProviderHealth() = 0;
};

/// wasmCloud's rule for manifests and control commands: `image_ref` that names an existing file starts the actor
/// from that file, anything else is an OCI reference (startActorFromRegistry).
Expected<std::string> startActorFromRef(Host& host, const std::string& image_ref,
                                        const ActorStartOptions& options = {});
/// The same rule for live updates (a file's bytes to updateActor, else updateActorFromRegistry).
Expected<void> updateActorFromRef(Host& host, std::string_view public_key, const std::string& image_ref);
/// The same rule for provider archives (startProviderFromArchive / startProviderFromRegistry).
Expected<std::string> startProviderFromRef(Host& host, const std::string& image_ref,
                                           std::string link_name = "default",
                                           std::optional<capability::ProviderIsolation> isolation = std::nullopt);

}  // namespace stratus::host
