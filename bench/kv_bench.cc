// stratus_kv_bench: key-value operations per second through the whole stratus path — an actor's
// __host_call("default", "wasmcloud:keyvalue", "Add", {key, value: 1}) through a Host (claims check, link lookup,
// the bus) to a keyvalue provider — against the Redis provider at a given URL and, for reference, the in-memory
// provider. bench/kv_bench.sh runs it beside redis-benchmark on the same redis-server; see bench/README.md.
//
//   stratus_kv_bench <redis URL> [adds, default 200000] [engine]
//
// Prints one JSON object: {"engine", "adds_per_call", "in_memory": {"ops", "seconds", "ops_per_s"},
// "redis": {...}}. Exits non-zero (with the reason on stderr) when a setup step fails or an Add fails or counts
// wrong: a broken run never prints a figure.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "stratus/claims/claims.h"
#include "stratus/claims/nkeys.h"
#include "stratus/host/host.h"
#include "support/actors.h"

namespace stratus::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Adds per callActor("Incr"): enough that the guest call around them is noise next to the host calls.
constexpr uint32_t kAddsPerCall = 1000;

[[noreturn]] void die(const std::string& what, const Error& error) {
  std::cerr << "stratus_kv_bench: " << what << ": " << error.toString() << "\n";
  std::exit(1);
}

Bytes incrPayload(uint32_t n, const std::string& key) {
  Bytes out(4);
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(n >> (8 * i));
  out.insert(out.end(), key.begin(), key.end());
  return out;
}

struct IncrResult {
  uint32_t answered = 0;
  int64_t last = 0;
};

IncrResult decodeIncr(const Bytes& reply) {
  IncrResult r;
  if (reply.size() != 12) return r;
  for (int i = 0; i < 4; ++i) r.answered |= static_cast<uint32_t>(reply[i]) << (8 * i);
  uint64_t last = 0;
  for (int i = 0; i < 8; ++i) last |= static_cast<uint64_t>(reply[4 + i]) << (8 * i);
  r.last = static_cast<int64_t>(last);
  return r;
}

// One host with `library` linked to bench_kv_actor (with link `values`); `total` Adds on a fresh key, timed after
// a warm-up call. Checks every Add succeeded and the counter ends at exactly the number of Adds made.
nlohmann::json measure(const std::string& engine, const std::string& library, const std::string& name,
                       const std::map<std::string, std::string>& values, uint64_t total) {
  host::HostBuilder builder;
  builder.withProviderHealthInterval(std::chrono::milliseconds(0)).withBuiltinExtras(false);
  if (!engine.empty()) {
    auto mode = host::EngineMode::parse(engine);
    if (!mode) die("--engine", mode.error());
    builder.withEngine(*mode);
  }
  auto host = builder.build();
  if (!host) die("HostBuilder::build", host.error());

  auto service = claims::KeyPair::generate(claims::KeyType::kService);
  if (!service) die("KeyPair::generate", service.error());
  claims::ProviderClaims provider_claims;
  provider_claims.subject = service->publicKey();
  provider_claims.metadata.name = name;
  provider_claims.metadata.capid = "wasmcloud:keyvalue";
  provider_claims.metadata.vendor = "stratus";
  auto provider_id = (*host)->startProviderFromLibrary(library, provider_claims);
  if (!provider_id) die("startProviderFromLibrary " + library, provider_id.error());

  testing::SignSpec spec;
  spec.name = "bench_kv_actor";
  spec.caps = {"wasmcloud:keyvalue"};
  auto actor = (*host)->startActor(testing::signActor(testing::loadActor("bench_kv_actor"), spec));
  if (!actor) die("startActor bench_kv_actor", actor.error());
  host::LinkDefinition link;
  link.actor_id = *actor;
  link.provider_id = *provider_id;
  link.contract_id = "wasmcloud:keyvalue";
  link.values = values;
  if (auto linked = (*host)->setLink(std::move(link)); !linked) die("setLink", linked.error());

  // A key of its own per run, so leftovers of an earlier run on the same server cannot skew the final check.
  std::string key = "stratus-kv-bench:";
  key += std::to_string(::getpid());
  key += ':';
  key += std::to_string(Clock::now().time_since_epoch().count());

  uint64_t done = 0;
  auto call = [&](uint32_t n) {
    auto reply = (*host)->callActor(*actor, "Incr", incrPayload(n, key));
    if (!reply) die(name + ": callActor Incr", reply.error());
    const IncrResult r = decodeIncr(*reply);
    if (r.answered != n) {
      die(name + ": Incr", Error{ErrorCode::kInternal, std::to_string(n - r.answered) + " of " + std::to_string(n) +
                                                           " Adds failed (is the server up, the link right?)"});
    }
    done += n;
    if (r.last != static_cast<int64_t>(done)) {
      std::string what = "the counter is ";
      what += std::to_string(r.last);
      what += " after ";
      what += std::to_string(done);
      what += " Adds";
      die(name + ": Incr", Error{ErrorCode::kInternal, std::move(what)});
    }
  };
  call(kAddsPerCall);  // warm-up: connections, instance, caches

  uint64_t timed = 0;
  const auto start = Clock::now();
  while (timed < total) {
    const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(kAddsPerCall, total - timed));
    call(n);
    timed += n;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return {{"ops", timed}, {"seconds", seconds}, {"ops_per_s", static_cast<double>(timed) / seconds}};
}

}  // namespace
}  // namespace stratus::bench

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::cerr << "usage: stratus_kv_bench <redis URL> [adds, default 200000] [engine]\n";
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  const std::string url = argv[1];
  const uint64_t total = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 200000;
  const std::string engine = argc > 3 ? argv[3] : "";
  if (total == 0) {
    std::cerr << "stratus_kv_bench: the number of adds must be positive\n";
    return 2;
  }
  nlohmann::json out;
  out["engine"] = engine.empty() ? "default" : engine;
  out["adds_per_call"] = stratus::bench::kAddsPerCall;
  out["in_memory"] = stratus::bench::measure(engine, STRATUS_KV_BENCH_MEMORY_PROVIDER, "stratus in-memory key-value",
                                             {}, total);
  out["redis"] = stratus::bench::measure(engine, STRATUS_KV_BENCH_REDIS_PROVIDER, "stratus Redis key-value",
                                         {{"URL", url}, {"POOL_SIZE", "1"}}, total);
  std::cout << out.dump(2) << std::endl;
  return 0;
}
