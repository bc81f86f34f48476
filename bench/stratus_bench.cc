// stratus_bench: waPC round trips, host calls, actor->provider calls, compile/instantiate cost, memory per instance,
// an HTTP echo actor's HandleRequest and compute kernels (fib, sha256, msgpack encode/decode) against the same C
// code run natively, for every engine backend compiled in (see bench/README.md for how to read the figures).
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <cctype>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "bench_support.h"
#include "compute.h"
#include "msgpack_doc.h"
#include "rust_echo_native.h"
#include "stratus/capability/native_provider.h"
#include "stratus/claims/nkeys.h"
#include "stratus/host/host.h"
#include "stratus/wapc/wapc.h"
#include "support/actors.h"

// The same kernels compiled natively by clang -O2, the actors' compiler (bench/CMakeLists.txt: compute.c and
// msgpack_doc.c with their stratus_ symbols renamed stratus_clang_).
extern "C" {
uint64_t stratus_clang_compute_fib(uint32_t n);
void stratus_clang_compute_sha256(const uint8_t* data, size_t len, uint8_t out[32]);
bool stratus_clang_msgpack_workload(uint32_t iterations, stratus_msgpack_result* out);
}

namespace stratus::bench {
namespace {

constexpr size_t kEchoPayloadBytes = 64;
constexpr uint32_t kFibN = 25;
constexpr size_t kShaInputBytes = size_t{1} << 20;
constexpr uint32_t kMsgpackIterations = 200;
constexpr int kInstancesPerMemoryRun = 50;
constexpr const char* kDefaultMinTime = "--benchmark_min_time=0.3";

std::string echoKey(const std::string& engine_name) { return "roundtrip_echo64/wapc/" + engine_name; }
// ns_per_host_call of host_call/loop_x100/<engine>, recorded for BM_ActorToProvider's comparison.
std::string hostCallKey(const std::string& engine_name) { return "host_call/loop_x100/" + engine_name + "#call"; }
const std::string kHostToProviderKey = "BM_HostToProvider";
const std::string kNativeFibKey = "compute_fib25/native";
const std::string kNativeShaKey = "compute_sha256_1MiB/native";
const std::string kNativeMsgpackKey = "compute_msgpack_x200/native";
const std::string kNativeRustEchoKey = "http_echo_rust/native";
const std::string kNativeClangFibKey = "compute_fib25/native_clang";
const std::string kNativeClangShaKey = "compute_sha256_1MiB/native_clang";
const std::string kNativeClangMsgpackKey = "compute_msgpack_x200/native_clang";

void skip(benchmark::State& state, const std::string& what, const Error& error) {
  state.SkipWithError((what + ": " + error.toString()).c_str());
}

// The timed loop of a benchmark: `call()` (returning an Expected) once per iteration, until the first error, which
// skips the benchmark naming `what`. Returns the wall-clock ns per iteration.
template <typename Call>
double timeLoop(benchmark::State& state, const std::string& what, Call&& call) {
  const auto start = Clock::now();
  for (auto _ : state) {
    auto result = call();
    if (!result) {
      skip(state, what, result.error());
      break;
    }
    benchmark::DoNotOptimize(*result);
  }
  return nsPerIteration(start, state);
}

// Fetches the engine fixture or marks the benchmark skipped.
EngineFixture* fixtureOrSkip(benchmark::State& state, const std::string& engine_name) {
  auto fx = engineFixture(engine_name);
  if (!fx) {
    skip(state, "engine " + engine_name, fx.error());
    return nullptr;
  }
  return *fx;
}

// One call made to check an actor answers as expected before it is timed.
bool checkCall(benchmark::State& state, wapc::WapcInstance& instance, std::string_view op, const Bytes& payload,
               const Bytes& expected) {
  auto result = instance.call(op, payload);
  if (!result) {
    skip(state, std::string(op), result.error());
    return false;
  }
  if (*result != expected) {
    state.SkipWithError((std::string(op) + " returned an unexpected result").c_str());
    return false;
  }
  return true;
}

// --- module lifecycle -------------------------------------------------------------------------------------------

void benchCompile(benchmark::State& state, const std::string& engine_name) {
  EngineFixture* fx = fixtureOrSkip(state, engine_name);
  if (fx == nullptr) return;
  timeLoop(state, "compile", [&] { return fx->engine->compile(fx->test_actor_wasm, {.name = "test_actor.wasm"}); });
  state.counters["wasm_bytes"] = static_cast<double>(fx->test_actor_wasm.size());
  state.counters["first_compile_ns"] = fx->test_actor_first_compile_ns;
}

void benchInstantiate(benchmark::State& state, const std::string& engine_name) {
  EngineFixture* fx = fixtureOrSkip(state, engine_name);
  if (fx == nullptr) return;
  timeLoop(state, "WapcInstance::create", [&] { return wapc::WapcInstance::create(fx->test_actor, {}); });
}

// Creates kInstancesPerMemoryRun live instances per iteration and reports the growth of RSS (and of the malloc heap)
// per instance. The time reported is that of creating them (manual time; destroying them is not timed).
void benchInstanceMemory(benchmark::State& state, const std::string& engine_name) {
  EngineFixture* fx = fixtureOrSkip(state, engine_name);
  if (fx == nullptr) return;
  double rss_growth = 0;
  double heap_growth = 0;
  for (auto _ : state) {
    std::vector<std::unique_ptr<wapc::WapcInstance>> instances;
    instances.reserve(kInstancesPerMemoryRun);
    releaseFreeHeap();
    const uint64_t rss_before = residentBytes();
    const uint64_t heap_before = heapBytesInUse();
    const auto start = Clock::now();
    for (int i = 0; i < kInstancesPerMemoryRun; ++i) {
      auto instance = wapc::WapcInstance::create(fx->test_actor, {});
      if (!instance) {
        skip(state, "WapcInstance::create", instance.error());
        break;
      }
      instances.push_back(std::move(*instance));
    }
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - start).count());
    rss_growth += static_cast<double>(residentBytes()) - static_cast<double>(rss_before);
    heap_growth += static_cast<double>(heapBytesInUse()) - static_cast<double>(heap_before);
    if (state.error_occurred()) break;
  }
  if (state.error_occurred() || state.iterations() == 0) return;
  const double instances = static_cast<double>(state.iterations()) * kInstancesPerMemoryRun;
  state.counters["bytes_per_instance"] =
      benchmark::Counter(rss_growth / instances, benchmark::Counter::kDefaults, benchmark::Counter::kIs1024);
  state.counters["heap_bytes_per_instance"] =
      benchmark::Counter(heap_growth / instances, benchmark::Counter::kDefaults, benchmark::Counter::kIs1024);
}

// --- host -> actor round trips ----------------------------------------------------------------------------------

// Echo of 64 bytes straight through a WapcInstance. `limits` are the instance options (none, or the host's).
void benchWapcEcho(benchmark::State& state, const std::string& engine_name, engine::InstanceOptions limits,
                   bool is_baseline) {
  EngineFixture* fx = fixtureOrSkip(state, engine_name);
  if (fx == nullptr) return;
  wapc::WapcOptions options;
  options.instance = limits;
  auto instance = wapc::WapcInstance::create(fx->test_actor, std::move(options));
  if (!instance) return skip(state, "WapcInstance::create", instance.error());
  const Bytes payload = patternBytes(kEchoPayloadBytes, 1);
  if (!checkCall(state, **instance, "Echo", payload, payload)) return;

  const double ns = timeLoop(state, "Echo", [&] { return (*instance)->call("Echo", payload); });
  if (is_baseline) {
    recordNs(echoKey(engine_name), ns);
  } else if (auto baseline = recordedNs(echoKey(engine_name))) {
    state.counters["overhead_ns"] = ns - *baseline;
  }
}

// compute_actor's Noop with an empty payload: the fixed cost of a waPC round trip (dispatch, no payload bytes).
void benchWapcNoop(benchmark::State& state, const std::string& engine_name) {
  EngineFixture* fx = fixtureOrSkip(state, engine_name);
  if (fx == nullptr) return;
  auto instance = wapc::WapcInstance::create(fx->compute_actor, {});
  if (!instance) return skip(state, "WapcInstance::create", instance.error());
  const Bytes empty;
  if (!checkCall(state, **instance, "Noop", empty, empty)) return;
  timeLoop(state, "Noop", [&] { return (*instance)->call("Noop", empty); });
}

// The same Echo through Host::callActor on a signed actor: claims lookup, instance pool, deadline, error mapping.
void benchHostEcho(benchmark::State& state, const std::string& engine_name) {
  auto host = host::HostBuilder().withEngine(*host::EngineMode::parse(engine_name)).build();
  if (!host) return skip(state, "HostBuilder::build", host.error());
  testing::SignSpec spec;
  spec.name = "bench_echo";
  const Bytes signed_wasm = testing::signActor(testing::loadActor("test_actor"), spec);
  auto pk = (*host)->startActor(signed_wasm);
  if (!pk) return skip(state, "startActor", pk.error());
  const Bytes payload = patternBytes(kEchoPayloadBytes, 1);
  auto first = (*host)->callActor(*pk, "Echo", payload);
  if (!first) return skip(state, "callActor", first.error());
  if (*first != payload) return state.SkipWithError("callActor Echo returned an unexpected result");

  const double ns = timeLoop(state, "callActor", [&] { return (*host)->callActor(*pk, "Echo", payload); });
  if (auto baseline = recordedNs(echoKey(engine_name))) {
    state.counters["overhead_ns"] = ns - *baseline;
    state.counters["ratio_to_wapc"] = ns / *baseline;
  }
}

// Times `call(request)` (a HandleRequest whose answer was checked already); returns wall-clock ns per call.
template <typename Call>
double timeHandleRequest(benchmark::State& state, Call&& call, const Bytes& request, size_t response_bytes) {
  const double ns = timeLoop(state, "HandleRequest", [&] { return call(request); });
  state.counters["request_bytes"] = static_cast<double>(request.size());
  state.counters["response_bytes"] = static_cast<double>(response_bytes);
  return ns;
}

double timeHandleRequest(benchmark::State& state, wapc::WapcInstance& instance, const Bytes& request,
                         size_t response_bytes) {
  return timeHandleRequest(
      state, [&instance](const Bytes& r) { return instance.call("HandleRequest", r); }, request, response_bytes);
}

// bench_http_echo (actors/http_echo.c, wasmCloud's echo actor's work in C): HandleRequest of the same request bytes
// through a WapcInstance. The guest decodes the whole Request, writes the JSON echo and encodes the Response; run.sh
// times the same call on @wapc/host for the node/engine ratio.
void benchHttpEcho(benchmark::State& state, const std::string& engine_name) {
  EngineFixture* fx = fixtureOrSkip(state, engine_name);
  if (fx == nullptr) return;
  auto instance = wapc::WapcInstance::create(fx->http_echo_actor, {});
  if (!instance) return skip(state, "WapcInstance::create", instance.error());
  const Bytes request = echoHttpRequest();
  const Bytes response = echoHttpResponse();
  if (!checkCall(state, **instance, "HandleRequest", request, response)) return;
  timeHandleRequest(state, **instance, request, response.size());
}

Expected<Bytes> nativeRustEchoHandleRequest(const Bytes& request) {
  return nativeRustEchoCall("HandleRequest", request);
}

// The native build of bench_rust_echo (rust_echo_native.h): the same HandleRequest with the actor's code at native
// speed, the ceiling of any engine. The wasm runs report their ratio to it.
void benchNativeRustEcho(benchmark::State& state) {
  const Bytes request = echoHttpRequest();
  auto first = nativeRustEchoHandleRequest(request);
  if (!first) return skip(state, "native HandleRequest", first.error());
  if (std::string why; !sameEchoResponse(*first, &why)) {
    return state.SkipWithError(("native HandleRequest returned an unexpected result: " + why).c_str());
  }
  const double ns = timeHandleRequest(state, nativeRustEchoHandleRequest, request, first->size());
  if (!state.error_occurred()) recordNs(kNativeRustEchoKey, ns);
}

// bench_rust_echo (actors/rust_echo: wasmCloud's echo example actor in Rust, serde + rmp-serde + serde_json): the
// same HandleRequest. Its headers come out in a random order (a Rust HashMap), so the answer is checked as a value.
void benchRustEcho(benchmark::State& state, const std::string& engine_name) {
  EngineFixture* fx = fixtureOrSkip(state, engine_name);
  if (fx == nullptr) return;
  if (!fx->rust_echo_actor) return state.SkipWithError(fx->rust_echo_missing.c_str());
  auto instance = wapc::WapcInstance::create(fx->rust_echo_actor, {});
  if (!instance) return skip(state, "WapcInstance::create", instance.error());
  const Bytes request = echoHttpRequest();
  auto first = (*instance)->call("HandleRequest", request);
  if (!first) return skip(state, "HandleRequest", first.error());
  if (std::string why; !sameEchoResponse(*first, &why)) {
    return state.SkipWithError(("HandleRequest returned an unexpected result: " + why).c_str());
  }
  const double ns = timeHandleRequest(state, **instance, request, first->size());
  if (auto native = recordedNs(kNativeRustEchoKey)) state.counters["ratio_to_native"] = ns / *native;
}

// --- actor -> host calls ----------------------------------------------------------------------------------------

// The host handler of both host-call benchmarks: a fixed 64-byte reply.
wapc::HostCallHandler fixedReplyHandler(const Bytes& reply) {
  return [&reply](std::string_view, std::string_view, std::string_view, std::span<const uint8_t>) -> Expected<Bytes> {
    return reply;
  };
}

// Wall-clock ns per call of `op`, over `n` calls made outside the benchmark's timed loop (a baseline measured on the
// same instance right before the loop, with as many calls as the loop makes).
double timeCalls(wapc::WapcInstance& instance, std::string_view op, const Bytes& payload,
                 benchmark::IterationCount n) {
  const auto start = Clock::now();
  for (benchmark::IterationCount i = 0; i < n; ++i) {
    auto result = instance.call(op, payload);
    benchmark::DoNotOptimize(result);
  }
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count() / static_cast<double>(n);
}

// test_actor's HostCall op: the guest decodes the msgpack request, makes one __host_call (answered with a fixed
// 64-byte reply), and returns the reply. op_minus_echo_ns = this op - an Echo of the same request bytes on the same
// instance: one host call *plus the guest's msgpack decoding*. See host_call/loop_x100 for the host call alone.
void benchHostCallOp(benchmark::State& state, const std::string& engine_name) {
  EngineFixture* fx = fixtureOrSkip(state, engine_name);
  if (fx == nullptr) return;
  const Bytes reply = patternBytes(kEchoPayloadBytes, 2);
  wapc::WapcOptions options;
  options.host_call = fixedReplyHandler(reply);
  auto instance = wapc::WapcInstance::create(fx->test_actor, std::move(options));
  if (!instance) return skip(state, "WapcInstance::create", instance.error());
  wapc::WapcInstance& actor = **instance;
  const Bytes request = hostCallRequest("default", "stratus:bench", "Ping", patternBytes(kEchoPayloadBytes, 3));
  if (!checkCall(state, actor, "HostCall", request, reply) || !checkCall(state, actor, "Echo", request, request)) {
    return;
  }
  const double echo_ns = timeCalls(actor, "Echo", request, state.max_iterations);

  const double ns = timeLoop(state, "HostCall", [&] { return actor.call("HostCall", request); });
  state.counters["echo_same_payload_ns"] = echo_ns;
  state.counters["op_minus_echo_ns"] = ns - echo_ns;
}

// bench_host_call_actor's HostCalls op: one guest call making kHostCallsPerCall host calls through the SDK (each
// fetches and frees the reply). ns_per_host_call = (HostCalls(n) - HostCalls(0)) / n, HostCalls(0) measured on
// the same instance right before the loop.
constexpr uint32_t kHostCallsPerCall = 100;

void benchHostCallLoop(benchmark::State& state, const std::string& engine_name) {
  EngineFixture* fx = fixtureOrSkip(state, engine_name);
  if (fx == nullptr) return;
  const Bytes reply = patternBytes(kEchoPayloadBytes, 2);
  wapc::WapcOptions options;
  options.host_call = fixedReplyHandler(reply);
  auto instance = wapc::WapcInstance::create(fx->host_call_actor, std::move(options));
  if (!instance) return skip(state, "WapcInstance::create", instance.error());
  wapc::WapcInstance& actor = **instance;
  const Bytes none = u32le(0);
  const Bytes many = u32le(kHostCallsPerCall);
  if (!checkCall(state, actor, "HostCalls", many, many) || !checkCall(state, actor, "HostCalls", none, none)) return;
  const double empty_ns = timeCalls(actor, "HostCalls", none, state.max_iterations);

  const double ns = timeLoop(state, "HostCalls", [&] { return actor.call("HostCalls", many); });
  const double per_call = (ns - empty_ns) / kHostCallsPerCall;
  state.counters["zero_calls_ns"] = empty_ns;
  state.counters["ns_per_host_call"] = per_call;
  recordNs(hostCallKey(engine_name), per_call);
}

// --- actor -> provider calls ------------------------------------------------------------------------------------

// bench/providers/ping_provider.cc, built by stratus_add_provider(bench_ping): contract stratus:bench, Ping answers
// its payload.
const std::string kPingProviderLibrary = STRATUS_BENCH_PING_PROVIDER;
constexpr std::string_view kBenchContract = "stratus:bench";
// Host calls per HostCalls guest call in BM_ActorToProvider: enough that the guest call around them is noise.
constexpr uint32_t kProviderCallsPerCall = 1000;

// The 64 bytes bench_host_call_actor sends with every Ping (actors/host_call_actor.c, g_payload).
Bytes pingPayload() {
  Bytes payload(64);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 7u + 1u);
  return payload;
}

// BM_HostToProvider: NativeProvider::call("Ping", 64 bytes) on the bench provider, from the host side: the C ABI
// (handle_call, the provider's C++ adapter and its copy of the reply, free_result) plus NativeProvider's fault
// containment and bookkeeping. No host, no actor: the floor of BM_ActorToProvider.
void benchHostToProvider(benchmark::State& state) {
  auto provider = capability::NativeProvider::load(kPingProviderLibrary);
  if (!provider) return skip(state, "NativeProvider::load " + kPingProviderLibrary, provider.error());
  auto configured = (*provider)->configureDispatch(
      [](std::string_view, std::string_view, std::span<const uint8_t>) -> Expected<Bytes> {
        return fail(ErrorCode::kUnavailable, "the benchmark host dispatches nothing");
      },
      [](stratus_log_level, std::string_view) {});
  if (!configured) return skip(state, "configureDispatch", configured.error());
  auto caller = claims::KeyPair::generate(claims::KeyType::kModule);
  if (!caller) return skip(state, "KeyPair::generate", caller.error());
  const std::string actor = caller->publicKey();
  const Bytes payload = pingPayload();
  auto first = (*provider)->call(actor, "Ping", payload);
  if (!first) return skip(state, "Ping", first.error());
  if (*first != payload) return state.SkipWithError("Ping returned an unexpected result");

  const double ns = timeLoop(state, "Ping", [&] { return (*provider)->call(actor, "Ping", payload); });
  if (!state.error_occurred()) recordNs(kHostToProviderKey, ns);
  if (auto stopped = (*provider)->stop(); !stopped) skip(state, "stop", stopped.error());
}

// Wall-clock ns per Host::callActor of `op`, over `n` calls made outside the benchmark's timed loop.
double timeHostCalls(host::Host& host, const std::string& actor, std::string_view op, const Bytes& payload,
                     benchmark::IterationCount n) {
  const auto start = Clock::now();
  for (benchmark::IterationCount i = 0; i < n; ++i) {
    auto result = host.callActor(actor, op, payload);
    benchmark::DoNotOptimize(result);
  }
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count() / static_cast<double>(n);
}

// BM_ActorToProvider: a host (health checks off) runs the bench provider and bench_host_call_actor signed with the
// stratus:bench capability, linked to it. Each iteration is callActor("HostCalls", n = kProviderCallsPerCall): the
// guest makes n __host_call("default", "stratus:bench", "Ping", 64 bytes), each through the full host path (claims
// check, link lookup, the bus, NativeProvider::call, the provider's C ABI) and fetches the reply into guest memory.
// ns_per_host_call = (HostCalls(n) - HostCalls(0)) / n, HostCalls(0) timed on the same host right before the loop.
void benchActorToProvider(benchmark::State& state, const std::string& engine_name) {
  auto host = host::HostBuilder()
                  .withEngine(*host::EngineMode::parse(engine_name))
                  .withProviderHealthInterval(std::chrono::milliseconds(0))
                  .build();
  if (!host) return skip(state, "HostBuilder::build", host.error());
  auto service = claims::KeyPair::generate(claims::KeyType::kService);
  if (!service) return skip(state, "KeyPair::generate", service.error());
  claims::ProviderClaims provider_claims;
  provider_claims.subject = service->publicKey();
  provider_claims.metadata.name = "stratus bench ping";
  provider_claims.metadata.capid = std::string(kBenchContract);
  provider_claims.metadata.vendor = "stratus";
  auto provider_id = (*host)->startProviderFromLibrary(kPingProviderLibrary, provider_claims);
  if (!provider_id) return skip(state, "startProviderFromLibrary " + kPingProviderLibrary, provider_id.error());

  testing::SignSpec spec;
  spec.name = "bench_host_call_actor";
  spec.caps = {std::string(kBenchContract)};
  auto actor = (*host)->startActor(testing::signActor(testing::loadActor("bench_host_call_actor"), spec));
  if (!actor) return skip(state, "startActor", actor.error());
  host::LinkDefinition link;
  link.actor_id = *actor;
  link.provider_id = *provider_id;
  link.contract_id = std::string(kBenchContract);
  if (auto linked = (*host)->setLink(std::move(link)); !linked) return skip(state, "setLink", linked.error());

  // HostCalls answers how many host calls succeeded: all of them, or the link, claims or provider are wrong.
  const Bytes none = u32le(0);
  const Bytes many = u32le(kProviderCallsPerCall);
  for (const Bytes* payload : {&many, &none}) {
    auto first = (*host)->callActor(*actor, "HostCalls", *payload);
    if (!first) return skip(state, "callActor HostCalls", first.error());
    if (*first != *payload) return state.SkipWithError("HostCalls: not every Ping to the provider succeeded");
  }
  const double empty_ns = timeHostCalls(**host, *actor, "HostCalls", none, state.max_iterations);

  const double ns =
      timeLoop(state, "callActor HostCalls", [&] { return (*host)->callActor(*actor, "HostCalls", many); });
  const double per_call = (ns - empty_ns) / kProviderCallsPerCall;
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kProviderCallsPerCall));
  state.counters["zero_calls_ns"] = empty_ns;
  state.counters["ns_per_host_call"] = per_call;
  if (auto bare = recordedNs(kHostToProviderKey)) state.counters["host_to_provider_ns"] = *bare;
  if (auto handler = recordedNs(hostCallKey(engine_name))) state.counters["over_wapc_handler_ns"] = per_call - *handler;
}

// --- compute: the same C kernels natively and in the actor ------------------------------------------------------

// One native build of the kernels: the host's C compiler with the build type's flags (the "native" benchmarks and
// ratio_to_native), or clang -O2, the compiler and level of the actors ("native_clang", ratio_to_native_clang).
struct NativeKernels {
  uint64_t (*fib)(uint32_t n);
  void (*sha256)(const uint8_t* data, size_t len, uint8_t out[32]);
  bool (*msgpack)(uint32_t iterations, stratus_msgpack_result* out);
};
constexpr NativeKernels kHostCc{stratus_compute_fib, stratus_compute_sha256, stratus_msgpack_workload};
constexpr NativeKernels kClang{stratus_clang_compute_fib, stratus_clang_compute_sha256,
                               stratus_clang_msgpack_workload};

// The counters of an actor's compute figure `ns` against both native builds: ratio_to_native (recorded under
// `native_key`) and ratio_to_native_clang (`clang_key`). `run(kernels)` runs the kernel once, to time a build whose
// benchmark a filter left out.
void reportNativeRatios(benchmark::State& state, double ns, const std::string& native_key,
                        const std::string& clang_key, void (*run)(const NativeKernels&)) {
  state.counters["ratio_to_native"] = ns / recordedNsOrMeasure(native_key, [run] { run(kHostCc); });
  state.counters["ratio_to_native_clang"] = ns / recordedNsOrMeasure(clang_key, [run] { run(kClang); });
}

uint64_t nativeFib(const NativeKernels& kernels = kHostCc) {
  uint32_t n = kFibN;
  benchmark::DoNotOptimize(n);
  return kernels.fib(n);
}

void benchNativeFib(benchmark::State& state, const NativeKernels& kernels, const std::string& key) {
  if (nativeFib(kernels) != nativeFib()) return state.SkipWithError("fib differs from the host cc build's result");
  const auto start = Clock::now();
  for (auto _ : state) benchmark::DoNotOptimize(nativeFib(kernels));
  recordNs(key, nsPerIteration(start, state));
}

void benchActorFib(benchmark::State& state, const std::string& engine_name) {
  EngineFixture* fx = fixtureOrSkip(state, engine_name);
  if (fx == nullptr) return;
  auto instance = wapc::WapcInstance::create(fx->compute_actor, {});
  if (!instance) return skip(state, "WapcInstance::create", instance.error());
  const Bytes arg = u32le(kFibN);
  auto first = (*instance)->call("Fib", arg);
  if (!first) return skip(state, "Fib", first.error());
  if (loadU64le(*first) != nativeFib()) return state.SkipWithError("Fib differs from the native result");
  // Checked here too: a filter may leave out compute_fib25/native_clang, whose figure the ratio then measures.
  if (nativeFib(kClang) != nativeFib()) return state.SkipWithError("the clang native fib differs from the host cc's");

  const double ns = timeLoop(state, "Fib", [&] { return (*instance)->call("Fib", arg); });
  reportNativeRatios(state, ns, kNativeFibKey, kNativeClangFibKey,
                     [](const NativeKernels& k) { benchmark::DoNotOptimize(nativeFib(k)); });
}

const Bytes& shaInput() {
  static const Bytes input = patternBytes(kShaInputBytes, 4);
  return input;
}

Bytes nativeSha256(const NativeKernels& kernels = kHostCc) {
  Bytes digest(32);
  kernels.sha256(shaInput().data(), shaInput().size(), digest.data());
  return digest;
}

void benchNativeSha256(benchmark::State& state, const NativeKernels& kernels, const std::string& key) {
  if (nativeSha256(kernels) != nativeSha256()) {
    return state.SkipWithError("sha256 differs from the host cc build's result");
  }
  const auto start = Clock::now();
  for (auto _ : state) {
    uint8_t digest[32];
    kernels.sha256(shaInput().data(), shaInput().size(), digest);
    benchmark::DoNotOptimize(digest);
  }
  recordNs(key, nsPerIteration(start, state));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kShaInputBytes));
}

// The actor figure includes copying the 1 MiB request into guest memory (waPC's __guest_request).
void benchActorSha256(benchmark::State& state, const std::string& engine_name) {
  EngineFixture* fx = fixtureOrSkip(state, engine_name);
  if (fx == nullptr) return;
  auto instance = wapc::WapcInstance::create(fx->compute_actor, {});
  if (!instance) return skip(state, "WapcInstance::create", instance.error());
  if (!checkCall(state, **instance, "Sha256", shaInput(), nativeSha256())) return;
  if (nativeSha256(kClang) != nativeSha256()) {
    return state.SkipWithError("the clang native sha256 differs from the host cc's");
  }

  const double ns = timeLoop(state, "Sha256", [&] { return (*instance)->call("Sha256", shaInput()); });
  reportNativeRatios(state, ns, kNativeShaKey, kNativeClangShaKey,
                     [](const NativeKernels& k) { benchmark::DoNotOptimize(nativeSha256(k)); });
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kShaInputBytes));
}

// The msgpack workload (actors/msgpack_doc.c): kMsgpackIterations encode + decode rounds of a ~1 KB nested
// document with the SDK's writer and reader, natively and in bench_msgpack_actor.
Bytes nativeMsgpack(const NativeKernels& kernels = kHostCc) {
  uint32_t iterations = kMsgpackIterations;
  benchmark::DoNotOptimize(iterations);
  stratus_msgpack_result result{};
  if (!kernels.msgpack(iterations, &result)) return {};
  Bytes out(12);
  for (int i = 0; i < 4; ++i) out[static_cast<size_t>(i)] = static_cast<uint8_t>(result.doc_bytes >> (8 * i));
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(4 + i)] = static_cast<uint8_t>(result.checksum >> (8 * i));
  return out;
}

void benchNativeMsgpack(benchmark::State& state, const NativeKernels& kernels, const std::string& key) {
  const Bytes result = nativeMsgpack(kernels);
  if (result.empty()) return state.SkipWithError("the native msgpack workload failed");
  if (result != nativeMsgpack()) return state.SkipWithError("msgpack differs from the host cc build's result");
  const auto start = Clock::now();
  for (auto _ : state) benchmark::DoNotOptimize(nativeMsgpack(kernels));
  recordNs(key, nsPerIteration(start, state));
}

void benchActorMsgpack(benchmark::State& state, const std::string& engine_name) {
  EngineFixture* fx = fixtureOrSkip(state, engine_name);
  if (fx == nullptr) return;
  auto instance = wapc::WapcInstance::create(fx->msgpack_actor, {});
  if (!instance) return skip(state, "WapcInstance::create", instance.error());
  const Bytes expected = nativeMsgpack();
  if (expected.empty()) return state.SkipWithError("the native msgpack workload failed");
  const Bytes arg = u32le(kMsgpackIterations);
  if (!checkCall(state, **instance, "Msgpack", arg, expected)) return;
  if (nativeMsgpack(kClang) != expected) {
    return state.SkipWithError("the clang native msgpack differs from the host cc's");
  }

  const double ns = timeLoop(state, "Msgpack", [&] { return (*instance)->call("Msgpack", arg); });
  reportNativeRatios(state, ns, kNativeMsgpackKey, kNativeClangMsgpackKey,
                     [](const NativeKernels& k) { benchmark::DoNotOptimize(nativeMsgpack(k)); });
  state.counters["doc_bytes"] = static_cast<double>(loadU64le(expected) & 0xFFFFFFFFu);
}

// --- registration -----------------------------------------------------------------------------------------------

// Wall-clock time throughout: the figures recorded for ratios are wall-clock too.
template <typename Fn>
benchmark::internal::Benchmark* add(const std::string& name, Fn&& fn) {
  return benchmark::RegisterBenchmark(name.c_str(), std::forward<Fn>(fn))->UseRealTime();
}
template <typename Fn>
benchmark::internal::Benchmark* addManualTime(const std::string& name, Fn&& fn) {
  return benchmark::RegisterBenchmark(name.c_str(), std::forward<Fn>(fn))->UseManualTime();
}

// Natives are registered before the engine runs that report ratios against them; the engine-dependent benchmarks
// once per backend in engine::availableBackends(), so a new backend shows up without touching this file.
void registerAll(const std::vector<std::string>& engines) {
  using benchmark::kMicrosecond;
  using benchmark::kMillisecond;
  using benchmark::kNanosecond;
  // Before the engine runs: BM_ActorToProvider reports against it.
  add(kHostToProviderKey, benchHostToProvider)->Unit(kNanosecond);
  // Before the engine runs: http_echo_rust/wapc reports against it.
  add(kNativeRustEchoKey, benchNativeRustEcho)->Unit(kMicrosecond);
  for (const std::string& e : engines) {
    add("compile/test_actor/" + e, [e](benchmark::State& s) { benchCompile(s, e); })->Unit(kMicrosecond);
    add("instantiate/test_actor/" + e, [e](benchmark::State& s) { benchInstantiate(s, e); })->Unit(kMicrosecond);
    addManualTime("memory/test_actor_x50/" + e, [e](benchmark::State& s) { benchInstanceMemory(s, e); })
        ->Iterations(3)
        ->Unit(kMillisecond);
    add("roundtrip_echo64/wapc/" + e, [e](benchmark::State& s) { benchWapcEcho(s, e, {}, true); })
        ->Unit(kNanosecond);
    add("roundtrip_echo64/wapc_host_limits/" + e,
        [e](benchmark::State& s) { benchWapcEcho(s, e, host::ActorOptions{}.instance, false); })
        ->Unit(kNanosecond);
    add("roundtrip_echo64/host/" + e, [e](benchmark::State& s) { benchHostEcho(s, e); })->Unit(kNanosecond);
    add("roundtrip_noop0/wapc/" + e, [e](benchmark::State& s) { benchWapcNoop(s, e); })->Unit(kNanosecond);
    add("host_call/test_actor_op/" + e, [e](benchmark::State& s) { benchHostCallOp(s, e); })->Unit(kNanosecond);
    add("host_call/loop_x100/" + e, [e](benchmark::State& s) { benchHostCallLoop(s, e); })->Unit(kMicrosecond);
    add("BM_ActorToProvider/" + e, [e](benchmark::State& s) { benchActorToProvider(s, e); })->Unit(kMicrosecond);
    add("http_echo/wapc/" + e, [e](benchmark::State& s) { benchHttpEcho(s, e); })->Unit(kMicrosecond);
    add("http_echo_rust/wapc/" + e, [e](benchmark::State& s) { benchRustEcho(s, e); })->Unit(kMicrosecond);
  }
  // Both native builds of each kernel before the engines, which report a ratio to each.
  add(kNativeFibKey, [](benchmark::State& s) { benchNativeFib(s, kHostCc, kNativeFibKey); })->Unit(kMicrosecond);
  add(kNativeClangFibKey, [](benchmark::State& s) { benchNativeFib(s, kClang, kNativeClangFibKey); })
      ->Unit(kMicrosecond);
  for (const std::string& e : engines) {
    add("compute_fib25/actor/" + e, [e](benchmark::State& s) { benchActorFib(s, e); })->Unit(kMicrosecond);
  }
  add(kNativeShaKey, [](benchmark::State& s) { benchNativeSha256(s, kHostCc, kNativeShaKey); })
      ->Unit(kMicrosecond);
  add(kNativeClangShaKey, [](benchmark::State& s) { benchNativeSha256(s, kClang, kNativeClangShaKey); })
      ->Unit(kMicrosecond);
  for (const std::string& e : engines) {
    add("compute_sha256_1MiB/actor/" + e, [e](benchmark::State& s) { benchActorSha256(s, e); })
        ->Unit(kMillisecond);
  }
  add(kNativeMsgpackKey, [](benchmark::State& s) { benchNativeMsgpack(s, kHostCc, kNativeMsgpackKey); })
      ->Unit(kMicrosecond);
  add(kNativeClangMsgpackKey, [](benchmark::State& s) { benchNativeMsgpack(s, kClang, kNativeClangMsgpackKey); })
      ->Unit(kMicrosecond);
  for (const std::string& e : engines) {
    add("compute_msgpack_x200/actor/" + e, [e](benchmark::State& s) { benchActorMsgpack(s, e); })
        ->Unit(kMillisecond);
  }
}

// Options of this program itself, handled before Google Benchmark sees the command line; each makes it print or
// write something and exit instead of running benchmarks (bench/run.sh and http_bench.sh use them).
constexpr std::string_view kListEnginesFlag = "--stratus_list_engines";
constexpr std::string_view kEchoFixtureFlag = "--stratus_write_echo_fixture=";
constexpr std::string_view kCheckEchoFlag = "--stratus_check_echo_response=";

// Writes <dir>/echo_request.bin and <dir>/echo_response.bin: the HandleRequest payload of http_echo/wapc and the
// response expected, so run.sh can make the same call on @wapc/host and check its answer.
int writeEchoFixture(const std::string& dir) {
  for (const auto& [name, bytes] : {std::pair{"echo_request.bin", echoHttpRequest()},
                                    std::pair{"echo_response.bin", echoHttpResponse()}}) {
    const std::string path = dir + "/" + name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) {
      std::cerr << "cannot write " << path << "\n";
      return 1;
    }
  }
  return 0;
}

// Checks the Response in <file> (hex, as wapc_node_call.mjs prints it) with sameEchoResponse: run.sh checks the Rust
// echo actor's answer on @wapc/host this way. 0 when it is right; 1 with the difference on stderr.
int checkEchoResponse(const std::string& file) {
  std::ifstream in(file);
  std::string hex((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) hex.pop_back();
  Bytes bytes;
  bool is_hex = !hex.empty() && hex.size() % 2 == 0;
  for (size_t i = 0; is_hex && i < hex.size(); i += 2) {
    uint8_t b = 0;
    is_hex = std::from_chars(hex.data() + i, hex.data() + i + 2, b, 16).ptr == hex.data() + i + 2;
    bytes.push_back(b);
  }
  std::string why = "no hex response in " + file;
  if (is_hex && sameEchoResponse(bytes, &why)) return 0;
  std::cerr << "unexpected echo response: " << why << "\n";
  return 1;
}

}  // namespace
}  // namespace stratus::bench

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == stratus::bench::kListEnginesFlag) {
      for (auto b : stratus::engine::availableBackends()) std::cout << stratus::engine::backendName(b) << "\n";
      return 0;
    }
    if (arg.starts_with(stratus::bench::kEchoFixtureFlag)) {
      return stratus::bench::writeEchoFixture(std::string(arg.substr(stratus::bench::kEchoFixtureFlag.size())));
    }
    if (arg.starts_with(stratus::bench::kCheckEchoFlag)) {
      return stratus::bench::checkEchoResponse(std::string(arg.substr(stratus::bench::kCheckEchoFlag.size())));
    }
  }

  // The host logs actor start/stop at info level; keep the console table readable.
  spdlog::set_level(spdlog::level::warn);

  // A short default minimum time per benchmark; a --benchmark_min_time given on the command line comes later and
  // wins.
  std::string min_time = stratus::bench::kDefaultMinTime;
  std::vector<char*> args(argv, argv + argc);
  args.insert(args.begin() + 1, min_time.data());
  args.push_back(nullptr);
  int args_count = static_cast<int>(args.size()) - 1;
  benchmark::Initialize(&args_count, args.data());
  if (benchmark::ReportUnrecognizedArguments(args_count, args.data())) return 1;

  std::vector<std::string> engines;
  for (auto b : stratus::engine::availableBackends()) engines.emplace_back(stratus::engine::backendName(b));
  std::string engine_list;
  for (const auto& e : engines) engine_list += (engine_list.empty() ? "" : ",") + e;
  benchmark::AddCustomContext("stratus_engines", engine_list);
  benchmark::AddCustomContext("stratus_echo_payload_bytes", std::to_string(stratus::bench::kEchoPayloadBytes));
  // The compilers and flags of the two native builds of the compute kernels (bench/CMakeLists.txt).
  benchmark::AddCustomContext("stratus_native_cc", STRATUS_BENCH_NATIVE_CC);
  benchmark::AddCustomContext("stratus_native_clang", STRATUS_BENCH_NATIVE_CLANG);

  stratus::bench::registerAll(engines);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
