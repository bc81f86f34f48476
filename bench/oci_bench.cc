// The OCI benchmark: what starting an actor from a registry costs beside starting it from a file. Starts a real
// registry (docker-registry) on loopback, pushes a signed actor, then times, with the host built beforehand:
//   file:   startActorFromFile (read, verify claims, compile, first instance)
//   cold:   startActorFromRegistry with an empty cache (resolve the tag, pull manifest and layer, verify both digests,
//           store them, then the same start)
//   cached: startActorFromRegistry with the cache filled (resolve the tag with a HEAD, read and re-verify the cached
//           blobs, then the same start)
// Each start is followed by stopActor (not timed); rounds alternate the three to share the machine's noise, and the
// medians are reported with the ratios to `file`.
// Usage: stratus_oci_bench [--rounds N] [--actor FILE.wasm (signed)] [--json FILE]
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "stratus/common/files.h"
#include "stratus/host/host.h"
#include "support/actors.h"
#include "support/oci_registry.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

template <typename F>
double timeMs(F&& f) {
  const auto start = Clock::now();
  f();
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "oci bench: %s\n", what.c_str());
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 30;
  std::string actor_file, json_file;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--rounds")) rounds = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--actor")) actor_file = argv[i + 1];
    if (!std::strcmp(argv[i], "--json")) json_file = argv[i + 1];
  }
  spdlog::set_level(spdlog::level::warn);
  auto registry = stratus::testing::OciRegistry::start("oci-bench");
  if (!registry) die(registry.error().toString());
  const fs::path dir = (*registry)->dir();

  stratus::Bytes actor;
  if (actor_file.empty()) {
    actor = stratus::testing::signActor(stratus::testing::loadActor("test_actor"), {.name = "oci-bench"});
    actor_file = (dir / "actor_s.wasm").string();
    if (auto written = stratus::writeFileAtomically(actor_file, actor); !written) die(written.error().toString());
  } else if (auto bytes = stratus::readFileBytes(actor_file)) {
    actor = std::move(*bytes);
  } else {
    die(bytes.error().toString());
  }
  stratus::oci::ClientOptions client;
  client.allowed_insecure = {(*registry)->host()};
  client.auth.credentials_file = stratus::testing::noCredentials(dir);
  const std::string ref = (*registry)->host() + "/bench/actor:1.0.0";
  if (auto pushed = stratus::oci::RegistryClient(client).pushArtifact(*stratus::oci::Reference::parse(ref), actor);
      !pushed) {
    die(pushed.error().toString());
  }

  auto build = [&](const fs::path& cache) {
    auto host = stratus::host::HostBuilder()
                    .withProviderHealthInterval(std::chrono::milliseconds(0))
                    .withBuiltinExtras(false)
                    .withRegistry(client, {.dir = cache.string()})
                    .build();
    if (!host) die(host.error().toString());
    return std::move(*host);
  };
  auto startAndStop = [](stratus::host::Host& host, auto&& start) {
    std::string key;
    const double ms = timeMs([&] {
      auto started = start();
      if (!started) die(started.error().toString());
      key = *started;
    });
    if (auto stopped = host.stopActor(key); !stopped) die(stopped.error().toString());
    return ms;
  };

  auto warm_host = build(dir / "warm-cache");
  if (!warm_host->startActorFromRegistry(ref)) die("warm-up pull failed");
  (void)warm_host->stopActor(warm_host->actors().at(0).public_key);
  std::vector<double> file, cold, cached;
  for (int r = 0; r < rounds; ++r) {
    file.push_back(startAndStop(*warm_host, [&] { return warm_host->startActorFromFile(actor_file); }));
    const fs::path empty = dir / ("cold-" + std::to_string(r));
    auto cold_host = build(empty);
    cold.push_back(startAndStop(*cold_host, [&] { return cold_host->startActorFromRegistry(ref); }));
    cold_host.reset();
    fs::remove_all(empty);
    cached.push_back(startAndStop(*warm_host, [&] { return warm_host->startActorFromRegistry(ref); }));
  }
  const double f = median(file), c = median(cold), k = median(cached);
  std::printf("oci: start of a %zu-byte actor, median of %d rounds\n", actor.size(), rounds);
  std::printf("  from file              %8.3f ms\n", f);
  std::printf("  from registry, cold    %8.3f ms  (%.2fx file)\n", c, c / f);
  std::printf("  from registry, cached  %8.3f ms  (%.2fx file)\n", k, k / f);
  if (!json_file.empty()) {
    std::ofstream(json_file) << "{\"actor_bytes\":" << actor.size() << ",\"rounds\":" << rounds
                             << ",\"file_ms\":" << f << ",\"cold_ms\":" << c << ",\"cached_ms\":" << k << "}\n";
  }
  return 0;
}
