// `stratus up`: run a standalone host from a manifest until SIGINT/SIGTERM, then shut it down cleanly.
#include <spdlog/spdlog.h>

#include <csignal>
#include <filesystem>

#include "cli_util.h"
#include "commands.h"
#include "stratus/host/host.h"
#include "stratus/host/manifest.h"

namespace stratus::cli {
namespace {

struct UpArgs {
  std::string manifest;
  std::vector<std::string> labels;
  std::string engine = "auto";
  std::string health_interval = "30s";
};

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
  auto host = builder.build();
  if (!host) failCommand("cannot start the host: " + host.error().message);
  spdlog::info("host {} started", (*host)->id());

  if (auto applied = host::applyManifest(**host, *manifest); !applied) {
    spdlog::error("{}", applied.error().message);
    host->reset();  // stops whatever the manifest started
    failCommand("manifest not applied: " + applied.error().message);
  }
  spdlog::info("manifest applied: {} actor(s), {} provider(s), {} link(s); press Ctrl-C to stop",
               (*host)->actors().size(), (*host)->providers().size(), (*host)->links().size());

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("{} received: stopping providers and actors", sig == SIGINT ? "SIGINT" : "SIGTERM");
  host->reset();
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
  up->callback([args] { run(*args); });
}

}  // namespace stratus::cli
