#include "bench_support.h"

#include <unistd.h>

#include <cstdio>
#include <map>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "support/actors.h"

namespace stratus::bench {
namespace {

Expected<std::shared_ptr<const engine::Module>> compileActor(engine::Engine& engine, const Bytes& wasm,
                                                             const std::string& name) {
  auto module = engine.compile(wasm, {.name = name + ".wasm"});
  if (!module) {
    Error e = module.takeError();
    e.message = engine.name().data() + std::string(" cannot compile ") + name + ": " + e.message;
    return fail(std::move(e));
  }
  return std::move(*module);
}

std::map<std::string, double>& records() {
  static std::map<std::string, double> r;
  return r;
}

}  // namespace

Expected<EngineFixture*> engineFixture(const std::string& engine_name) {
  static std::map<std::string, std::unique_ptr<EngineFixture>> fixtures;
  if (auto it = fixtures.find(engine_name); it != fixtures.end()) return it->second.get();

  auto fx = std::make_unique<EngineFixture>();
  fx->name = engine_name;
  auto created = engine::createEngine(engine_name);
  if (!created) return fail(created.takeError());
  fx->engine = std::move(*created);
  fx->test_actor_wasm = testing::loadActor("test_actor");
  fx->compute_actor_wasm = testing::loadActor("compute_actor");
  auto test_actor = compileActor(*fx->engine, fx->test_actor_wasm, "test_actor");
  if (!test_actor) return fail(test_actor.takeError());
  fx->test_actor = std::move(*test_actor);
  auto compute_actor = compileActor(*fx->engine, fx->compute_actor_wasm, "compute_actor");
  if (!compute_actor) return fail(compute_actor.takeError());
  fx->compute_actor = std::move(*compute_actor);
  auto host_call_actor =
      compileActor(*fx->engine, testing::loadActor("bench_host_call_actor"), "bench_host_call_actor");
  if (!host_call_actor) return fail(host_call_actor.takeError());
  fx->host_call_actor = std::move(*host_call_actor);

  EngineFixture* raw = fx.get();
  fixtures.emplace(engine_name, std::move(fx));
  return raw;
}

double nsPerIteration(Clock::time_point start, const benchmark::State& state) {
  const auto elapsed = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
  return state.iterations() > 0 ? elapsed / static_cast<double>(state.iterations()) : 0.0;
}

void recordNs(const std::string& key, double ns) { records()[key] = ns; }

std::optional<double> recordedNs(const std::string& key) {
  auto it = records().find(key);
  if (it == records().end()) return std::nullopt;
  return it->second;
}

double recordedNsOrMeasure(const std::string& key, const std::function<void()>& body, double min_seconds) {
  if (auto ns = recordedNs(key)) return *ns;
  body();  // warm-up
  uint64_t runs = 0;
  const auto start = Clock::now();
  std::chrono::duration<double> elapsed{0};
  do {
    body();
    ++runs;
    elapsed = Clock::now() - start;
  } while (elapsed.count() < min_seconds);
  const double ns = elapsed.count() * 1e9 / static_cast<double>(runs);
  recordNs(key, ns);
  return ns;
}

uint64_t residentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long long size_pages = 0;
  unsigned long long resident_pages = 0;
  const int n = std::fscanf(f, "%llu %llu", &size_pages, &resident_pages);
  std::fclose(f);
  if (n != 2) return 0;
  return resident_pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

uint64_t heapBytesInUse() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;  // in-use arena chunks + mmapped chunks
#else
  return 0;
#endif
}

void releaseFreeHeap() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

Bytes patternBytes(size_t n, uint8_t seed) {
  Bytes out(n);
  uint32_t x = 0x9E3779B9u ^ seed;
  for (auto& b : out) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<uint8_t>(x >> 24);
  }
  return out;
}

Bytes u32le(uint32_t value) {
  return {static_cast<uint8_t>(value), static_cast<uint8_t>(value >> 8), static_cast<uint8_t>(value >> 16),
          static_cast<uint8_t>(value >> 24)};
}

uint64_t loadU64le(const Bytes& bytes) {
  if (bytes.size() < 8) return 0;
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | bytes[static_cast<size_t>(i)];
  return v;
}

Bytes hostCallRequest(std::string_view binding, std::string_view ns, std::string_view operation,
                      const Bytes& payload) {
  Bytes out;
  out.reserve(64 + binding.size() + ns.size() + operation.size() + payload.size());
  // Byte-wise appends: GCC 12 reports a false -Warray-bounds on vector::insert of short ranges.
  auto raw = [&out](const uint8_t* data, size_t size) {
    for (size_t i = 0; i < size; ++i) out.push_back(data[i]);
  };
  auto str = [&out, &raw](std::string_view s) {
    if (s.size() < 32) {
      out.push_back(static_cast<uint8_t>(0xa0 | s.size()));  // fixstr
    } else {
      out.push_back(0xd9);  // str 8
      out.push_back(static_cast<uint8_t>(s.size()));
    }
    raw(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  out.push_back(0x84);  // fixmap, 4 entries
  str("binding");
  str(binding);
  str("namespace");
  str(ns);
  str("operation");
  str(operation);
  str("payload");
  out.push_back(0xc5);  // bin 16
  out.push_back(static_cast<uint8_t>(payload.size() >> 8));
  out.push_back(static_cast<uint8_t>(payload.size()));
  raw(payload.data(), payload.size());
  return out;
}

}  // namespace stratus::bench
