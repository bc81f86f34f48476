// `stratus up`: run a host from a manifest until SIGINT/SIGTERM, then shut it down cleanly: standalone, or joined
// to a lattice over NATS when any of wasmCloud's lattice flags (or their environment variables) is given.
#include <spdlog/spdlog.h>

#include <csignal>
#include <filesystem>

#include "cli_util.h"
#include "commands.h"
#include "stratus/host/host.h"
#include "stratus/common/strings.h"
#include "stratus/host/manifest.h"
#include "stratus/lattice/lattice.h"
#include "stratus/oci/oci.h"

namespace stratus::cli {
namespace {

struct NatsArgs {
  std::string host = "127.0.0.1";
  uint16_t port = 4222;
  std::string creds_file, jwt, seed;
  lattice::NatsEndpoint endpoint() const { return {host, port, creds_file, valueOrFile(jwt), valueOrFile(seed)}; }
};

struct UpArgs {
  std::string manifest;
  std::vector<std::string> labels;
  std::string engine = "auto";
  std::string health_interval = "30s";
  bool lattice = false;  // set when a lattice flag is given
  NatsArgs rpc, control;
  std::string ns = "default";
  std::string rpc_timeout_ms = "2000";
  std::string heartbeat_interval = "30s";
  std::string cluster_issuers;
  std::string cluster_seed;
  // OCI registries (wasmCloud 0.18's flags and environment variables).
  std::vector<std::string> allowed_insecure;
  bool allow_oci_latest = false;
  std::string oci_cache_dir;
  bool allow_live_updates = false;
  bool disable_strict_update_check = false;
  // Where providers run (docs/providers.md, "Isolation").
  std::string provider_isolation = "auto";
  int provider_max_restarts = 5;
};

// The host runs standalone or, with lattice flags, joined to the lattice; either way `host()` is the host.
struct RunningHost {
  std::unique_ptr<host::Host> standalone;
  std::unique_ptr<lattice::LatticeHost> joined;
  host::Host& host() { return joined ? joined->host() : *standalone; }
  void stop() {
    joined.reset();
    standalone.reset();
  }
};

lattice::LatticeOptions latticeOptions(const UpArgs& args) {
  lattice::LatticeOptions o;
  o.rpc = args.rpc.endpoint();
  o.control = args.control.endpoint();
  o.ns = args.ns;
  const long timeout = std::strtol(args.rpc_timeout_ms.c_str(), nullptr, 10);
  if (timeout <= 0) failCommand("--rpc-timeout-ms '" + args.rpc_timeout_ms + "': expected a positive number");
  o.rpc_timeout = std::chrono::milliseconds(timeout);
  auto heartbeat = parseDuration(args.heartbeat_interval);
  if (!heartbeat || heartbeat->count() <= 0) failCommand("--heartbeat-interval '" + args.heartbeat_interval + "'");
  o.heartbeat_interval = *heartbeat;
  for (std::string_view rest = args.cluster_issuers; !rest.empty();) {
    const auto comma = rest.find(',');
    const std::string_view key = trim(rest.substr(0, comma));
    if (!key.empty()) o.cluster_issuers.emplace_back(key);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  o.cluster_seed = args.cluster_seed;
  return o;
}

void run(const UpArgs& args) {
  // Block the stop signals before any thread starts, so every host thread inherits the mask and sigwait below is
  // the one place that receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::string path = args.manifest;
  if (path.empty()) {
    path = STRATUS_DEFAULT_MANIFEST;
    if (!std::filesystem::exists(path)) {
      failCommand("no manifest given (-m) and the built-in example " + path +
                  " is missing: build the 'examples' target or pass -m <manifest.yaml>");
    }
    spdlog::info("no manifest given: serving the built-in example {}", path);
  }
  auto manifest = host::loadManifest(path);
  if (!manifest) failCommand(manifest.error().message);

  auto interval = parseDuration(args.health_interval);
  if (!interval) failCommand("--health-interval: " + interval.error().message);

  host::HostBuilder builder;
  auto mode = host::EngineMode::parse(args.engine);
  if (!mode) failCommand("--engine: " + mode.error().message);
  builder.withEngine(*mode);
  builder.withProviderHealthInterval(*interval);
  oci::ClientOptions registry;
  registry.allow_latest = args.allow_oci_latest;
  for (const auto& registry_host : args.allowed_insecure) {
    if (const std::string_view h = trim(registry_host); !h.empty()) registry.allowed_insecure.emplace_back(h);
  }
  oci::CacheOptions cache;
  cache.dir = args.oci_cache_dir;
  builder.withRegistry(std::move(registry), std::move(cache));
  builder.withLiveUpdates(args.allow_live_updates, !args.disable_strict_update_check);
  host::ProviderIsolationPolicy isolation;
  if (args.provider_isolation != "auto") {
    auto chosen = host::parseProviderIsolation(args.provider_isolation);
    if (!chosen) failCommand("--provider-isolation: " + chosen.error().message + " or auto");
    isolation.mode = *chosen;
  }
  // Children run this very binary, in its hidden provider-host mode.
  std::error_code ec;
  isolation.process.executable = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  isolation.process.max_restarts = args.provider_max_restarts;
  builder.withProviderIsolation(std::move(isolation));
  for (const auto& [k, v] : manifest->labels) builder.withLabel(k, v);
  for (const auto& label : args.labels) {
    auto eq = label.find('=');
    if (eq == std::string::npos || eq == 0) failCommand("--label '" + label + "': expected key=value");
    builder.withLabel(label.substr(0, eq), label.substr(eq + 1));
  }
  builder.withEventListener([](const host::HostEvent& e) {
    if (e.kind == host::HostEvent::Kind::kProviderUnhealthy || e.kind == host::HostEvent::Kind::kBindFailed) {
      spdlog::warn("event {}: {} {}", host::hostEventName(e.kind), e.public_key, e.message);
    }
  });
  RunningHost running;
  if (args.lattice) {
    auto joined = lattice::LatticeHost::start(std::move(builder), latticeOptions(args));
    if (!joined) failCommand("cannot join the lattice: " + joined.error().message);
    running.joined = std::move(*joined);
  } else {
    auto built = builder.build();
    if (!built) failCommand("cannot start the host: " + built.error().message);
    running.standalone = std::move(*built);
  }
  host::Host& host = running.host();
  spdlog::info("host {} started{}", host.id(), args.lattice ? " in lattice '" + args.ns + "'" : std::string());

  if (auto applied = host::applyManifest(host, *manifest); !applied) {
    spdlog::error("{}", applied.error().message);
    running.stop();  // stops whatever the manifest started
    failCommand("manifest not applied: " + applied.error().message);
  }
  spdlog::info("manifest applied: {} actor(s), {} provider(s), {} link(s); press Ctrl-C to stop",
               host.actors().size(), host.providers().size(), host.links().size());

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("{} received: stopping providers and actors", sig == SIGINT ? "SIGINT" : "SIGTERM");
  running.stop();
  spdlog::info("host stopped");
}

}  // namespace

void addUpCommand(CLI::App& app) {
  auto args = std::make_shared<UpArgs>();
  auto* up = app.add_subcommand("up", "Run a standalone host from a manifest until Ctrl-C");
  up->add_option("-m,--manifest", args->manifest,
                 "Host manifest (YAML or JSON: labels, actors, capabilities, links); default: the built-in example");
  up->add_option("-l,--label", args->labels, "A host label key=value (repeat for more)")->allow_extra_args(false);
  up->add_option("--engine", args->engine,
                 "How actors run: interp, aot (native code, compiled first), or auto (interpreter at once, native "
                 "code when compiled in the background or found in the cache); a manifest entry's engine wins")
      ->check(CLI::IsMember(host::EngineMode::names()))
      ->capture_default_str();
  up->add_option("--health-interval", args->health_interval,
                 "How often providers get a HealthRequest, e.g. 30s (0s: never)")
      ->capture_default_str();

  up->add_option("--allowed-insecure", args->allowed_insecure,
                 "Registry (host or host:port) reached over plain HTTP instead of HTTPS (repeat, or separate with "
                 "commas)")
      ->envname("OCI_ALLOWED_INSECURE")
      ->delimiter(',')
      ->allow_extra_args(false);
  up->add_flag("--allow-oci-latest", args->allow_oci_latest,
               "Allow OCI references tagged 'latest' (or untagged), refused by default")
      ->envname("OCI_ALLOW_LATEST");
  up->add_option("--oci-cache-dir", args->oci_cache_dir,
                 "Cache of artifacts pulled from registries (default: $XDG_CACHE_HOME/stratus/oci)");
  up->add_flag("--allow-live-updates", args->allow_live_updates,
               "Allow live updates of running actors (control command upd, `stratus ctl update actor`)")
      ->envname("ALLOW_LIVE_UPDATES");
  up->add_flag("--disable-strict-update-check", args->disable_strict_update_check,
               "Let a live update change the actor's capabilities (strict: the same capabilities)")
      ->envname("DISABLE_STRICT_UPDATE_CHECK");
  up->add_option("--provider-isolation", args->provider_isolation,
                 "Where providers run unless their manifest entry says (isolation:): process (a child process each, "
                 "restarted when it dies), inproc, or auto (Rust-ABI providers in a process, C-ABI ones in process)")
      ->check(CLI::IsMember({"auto", "process", "inproc"}))
      ->capture_default_str();
  up->add_option("--provider-max-restarts", args->provider_max_restarts,
                 "Crashes in a row after which a provider in a child process is given up")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();

  // Lattice flags (wasmCloud 0.18's names and environment variables); any of them joins the host to a lattice.
  std::vector<CLI::Option*> lattice_options;
  const auto nats = [&](NatsArgs& n, const std::string& kind, const std::string& env, const std::string& what) {
    lattice_options.push_back(up->add_option("--" + kind + "-host", n.host, "NATS host for " + what)
                                  ->envname(env + "_HOST")
                                  ->capture_default_str());
    lattice_options.push_back(up->add_option("--" + kind + "-port", n.port, "NATS port for " + what)
                                  ->envname(env + "_PORT")
                                  ->capture_default_str());
    lattice_options.push_back(
        up->add_option("--" + kind + "-credsfile", n.creds_file, "NATS credentials file for " + what)
            ->envname(env + "_CREDS"));
    lattice_options.push_back(
        up->add_option("--" + kind + "-jwt", n.jwt, "NATS user JWT (or a file holding it) for " + what)
            ->envname(env + "_JWT"));
    lattice_options.push_back(up->add_option("--" + kind + "-seed", n.seed,
                                             "NATS nkey seed (or a file holding it) for " + what +
                                                 "; signs the server's nonce")
                                  ->envname(env + "_SEED"));
  };
  nats(args->rpc, "rpc", "RPC", "RPC (calls between hosts, link and claims adverts)");
  nats(args->control, "control", "CONTROL", "the control interface (commands, queries, events)");
  lattice_options.push_back(up->add_option("--nsprefix", args->ns, "Lattice namespace")->capture_default_str());
  lattice_options.push_back(up->add_option("--rpc-timeout-ms", args->rpc_timeout_ms,
                                           "How long a call to another host waits for its reply, in ms")
                                ->envname("RPC_TIMEOUT_MS")
                                ->capture_default_str());
  lattice_options.push_back(up->add_option("--heartbeat-interval", args->heartbeat_interval,
                                           "How often the host publishes a Heartbeat event, e.g. 30s")
                                ->capture_default_str());
  lattice_options.push_back(up->add_option("--cluster-issuers", args->cluster_issuers,
                                           "Comma-separated cluster public keys ('C…'): accept only invocations "
                                           "they signed (wasmCloud 0.18 accepts any host's)"));
  lattice_options.push_back(up->add_option("--cluster-seed", args->cluster_seed,
                                           "Cluster seed ('SC…') this host signs its invocations with")
                                ->envname("CLUSTER_SEED"));
  up->callback([args, lattice_options] {
    args->lattice = std::any_of(lattice_options.begin(), lattice_options.end(),
                                [](const CLI::Option* o) { return o->count() > 0; });
    run(*args);
  });
}

}  // namespace stratus::cli
