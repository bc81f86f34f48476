#include "bench_support.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <map>
#include <utility>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "stratus/codec/http.h"
#include "stratus/common/files.h"
#include "support/actors.h"

namespace stratus::bench {
namespace {

// Built by bench/CMakeLists.txt when the Rust wasm32 toolchain is there.
constexpr const char* kRustEchoWasm = STRATUS_BENCH_RUST_ECHO_WASM;

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
  auto backend = engine::parseBackend(engine_name);
  if (!backend) return fail(backend.takeError());
  auto created = engine::createEngine(*backend);
  if (!created) return fail(created.takeError());
  fx->engine = std::move(*created);
  fx->test_actor_wasm = testing::loadActor("test_actor");
  fx->compute_actor_wasm = testing::loadActor("compute_actor");
  const auto compile_start = Clock::now();
  auto test_actor = compileActor(*fx->engine, fx->test_actor_wasm, "test_actor");
  if (!test_actor) return fail(test_actor.takeError());
  fx->test_actor_first_compile_ns = std::chrono::duration<double, std::nano>(Clock::now() - compile_start).count();
  fx->test_actor = std::move(*test_actor);
  auto compute_actor = compileActor(*fx->engine, fx->compute_actor_wasm, "compute_actor");
  if (!compute_actor) return fail(compute_actor.takeError());
  fx->compute_actor = std::move(*compute_actor);
  auto host_call_actor =
      compileActor(*fx->engine, testing::loadActor("bench_host_call_actor"), "bench_host_call_actor");
  if (!host_call_actor) return fail(host_call_actor.takeError());
  fx->host_call_actor = std::move(*host_call_actor);
  auto msgpack_actor = compileActor(*fx->engine, testing::loadActor("bench_msgpack_actor"), "bench_msgpack_actor");
  if (!msgpack_actor) return fail(msgpack_actor.takeError());
  fx->msgpack_actor = std::move(*msgpack_actor);
  auto http_echo_actor = compileActor(*fx->engine, testing::loadActor("bench_http_echo"), "bench_http_echo");
  if (!http_echo_actor) return fail(http_echo_actor.takeError());
  fx->http_echo_actor = std::move(*http_echo_actor);
  if (std::filesystem::exists(kRustEchoWasm)) {
    auto rust_echo = readFileBytes(kRustEchoWasm);
    if (!rust_echo) return fail(rust_echo.takeError());
    auto compiled = compileActor(*fx->engine, *rust_echo, "bench_rust_echo");
    if (!compiled) return fail(compiled.takeError());
    fx->rust_echo_actor = std::move(*compiled);
  } else {
    fx->rust_echo_missing = std::string(kRustEchoWasm) +
                            " was not built: it needs Debian's rustc, cargo and libstd-rust-dev-wasm32 "
                            "(scripts/install-deps.sh --bench), then a new cmake configure";
  }

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

namespace {

// Just enough msgpack for the echo request and response, in the smallest encodings (as rmp and the SDK write).
class MsgpackOut {
 public:
  MsgpackOut& map(size_t n) {
    if (n < 16) return byte(static_cast<uint8_t>(0x80 | n));
    return byte(0xde).be(n, 2);
  }
  MsgpackOut& uint(uint64_t v) {
    if (v < 128) return byte(static_cast<uint8_t>(v));
    if (v <= 0xff) return byte(0xcc).be(v, 1);
    if (v <= 0xffff) return byte(0xcd).be(v, 2);
    return byte(0xce).be(v, 4);
  }
  MsgpackOut& str(std::string_view s) {
    if (s.size() < 32) byte(static_cast<uint8_t>(0xa0 | s.size()));
    else if (s.size() <= 0xff) byte(0xd9).be(s.size(), 1);
    else byte(0xda).be(s.size(), 2);
    return raw(s);
  }
  MsgpackOut& bin(std::string_view b) {
    if (b.size() <= 0xff) byte(0xc4).be(b.size(), 1);
    else if (b.size() <= 0xffff) byte(0xc5).be(b.size(), 2);
    else byte(0xc6).be(b.size(), 4);
    return raw(b);
  }
  Bytes take() { return std::move(out_); }

 private:
  MsgpackOut& byte(uint8_t b) {
    out_.push_back(b);
    return *this;
  }
  MsgpackOut& be(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  MsgpackOut& raw(std::string_view s) {
    for (char c : s) out_.push_back(static_cast<uint8_t>(c));
    return *this;
  }
  Bytes out_;
};

struct EchoRequestSpec {
  std::string method = "POST";
  std::string path = "/api/v1/orders/8731/items";
  std::string query = "expand=customer,lines&currency=EUR&dry_run=false";
  std::vector<std::pair<std::string, std::string>> headers = {
      {"host", "shop.example.com:8080"},
      {"user-agent", "curl/7.88.1"},
      {"accept", "application/json"},
      {"accept-encoding", "gzip, deflate, br"},
      {"content-type", "application/json; charset=utf-8"},
      {"content-length", "96"},
      {"if-none-match", "\"33a64df551425fcc55e4d42a148795d9f25f89d4\""},
      {"x-request-id", "7b0e2f6c-93d1-4a55-8c1e-5d2a9f04b3e8"},
  };
  std::string body =
      R"({"sku":"SKU-310004","qty":2,"note":"gift wrap, please","coupon":null,"express":true,"slot":"AM"})";
};

// A JSON string as serde_json writes it.
std::string jsonString(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

}  // namespace

Bytes echoHttpRequest() {
  const EchoRequestSpec spec;
  MsgpackOut w;
  w.map(5).str("method").str(spec.method).str("path").str(spec.path).str("queryString").str(spec.query);
  w.str("header").map(spec.headers.size());
  for (const auto& [name, value] : spec.headers) w.str(name).str(value);
  w.str("body").bin(spec.body);
  return w.take();
}

Bytes echoHttpResponse() {
  const EchoRequestSpec spec;
  std::string json = "{\"method\":" + jsonString(spec.method) + ",\"path\":" + jsonString(spec.path) +
                     ",\"query_string\":" + jsonString(spec.query) + ",\"headers\":{";
  for (size_t i = 0; i < spec.headers.size(); ++i) {
    if (i > 0) json += ',';
    json += jsonString(spec.headers[i].first) + ':' + jsonString(spec.headers[i].second);
  }
  json += "},\"body\":[";
  for (size_t i = 0; i < spec.body.size(); ++i) {
    if (i > 0) json += ',';
    json += std::to_string(static_cast<unsigned char>(spec.body[i]));
  }
  json += "]}";
  MsgpackOut w;
  w.map(4).str("statusCode").uint(200).str("status").str("OK").str("header").map(0).str("body").bin(json);
  return w.take();
}

bool sameEchoResponse(std::span<const uint8_t> response, std::string* why) {
  auto actual = codec::decodeHttpResponse(response);
  auto expected = codec::decodeHttpResponse(echoHttpResponse());
  if (!actual || !expected) {
    *why = "not a Response: " + (actual ? expected.error().message : actual.error().message);
    return false;
  }
  if (actual->status_code != expected->status_code || actual->status != expected->status ||
      actual->header != expected->header) {
    *why = "status " + std::to_string(actual->status_code) + " " + actual->status + " with " +
           std::to_string(actual->header.size()) + " headers, expected 200 OK with none";
    return false;
  }
  const auto parse = [](const Bytes& body) { return nlohmann::json::parse(body.begin(), body.end(), nullptr, false); };
  const nlohmann::json got = parse(actual->body);
  if (got.is_discarded() || got != parse(expected->body)) {
    *why = "body " + std::string(actual->body.begin(), actual->body.end());
    return false;
  }
  return true;
}

}  // namespace stratus::bench
