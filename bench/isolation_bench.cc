// The process-isolation benchmark: what a provider in a child process costs beside the same provider in process.
//   call:    NativeProvider::call of the ping provider's Ping (64 bytes each way), in process and in a child
//            process (the frame to the child, its worker, the provider, the reply frame, the host's reader waking
//            the caller); and a key-value Get on the Rust provider (the newest rustc built here), both ways
//   restart: from a call that kills the child (the test provider's Exit) to the first call answered again (the death
//            seen, backoff 1 ms, a new `stratus provider-host`, its load, configure_dispatch)
// Rounds alternate the two placements to share the machine's noise; medians, and the difference per call.
// Usage: stratus_isolation_bench --stratus PATH --ping LIB --test-provider LIB [--rust-kv LIB] [--rounds N]
//        [--calls N] [--json FILE]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "stratus/capability/native_provider.h"

namespace {

using Clock = std::chrono::steady_clock;
using stratus::Bytes;
using stratus::Expected;
using stratus::capability::NativeProvider;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "isolation bench: %s\n", what.c_str());
  std::exit(2);
}

std::unique_ptr<NativeProvider> open(const std::string& lib, const stratus::capability::ProviderIdentity& id,
                                     const std::string& stratus, bool isolated) {
  stratus::capability::ProcessIsolation options;
  options.executable = stratus;
  options.restart_backoff = std::chrono::milliseconds(1);
  options.restart_backoff_max = std::chrono::milliseconds(1);  // the restart itself, not the backoff
  options.max_restarts = 1000000;
  auto p = isolated ? NativeProvider::loadInChildProcess(lib, id, options) : NativeProvider::load(lib, id);
  if (!p) die(lib + ": " + p.error().toString());
  auto configured = (*p)->configureDispatch(
      [](std::string_view, std::string_view, std::span<const uint8_t>) -> Expected<Bytes> { return Bytes{}; },
      nullptr);
  if (!configured) die("configureDispatch: " + configured.error().toString());
  return std::move(*p);
}

// ns per call over `calls` calls of `op`.
double timeCalls(NativeProvider& p, const std::string& op, const Bytes& msg, int calls) {
  const auto start = Clock::now();
  for (int i = 0; i < calls; ++i) {
    auto r = p.call("MBENCH", op, msg);
    if (!r) die(op + ": " + r.error().toString());
  }
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count() / calls;
}

}  // namespace

int main(int argc, char** argv) {
  std::string stratus, ping, test_provider, rust_kv, json_file;
  int rounds = 15, calls = 20000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--stratus") stratus = argv[i + 1];
    if (flag == "--ping") ping = argv[i + 1];
    if (flag == "--test-provider") test_provider = argv[i + 1];
    if (flag == "--rust-kv") rust_kv = argv[i + 1];
    if (flag == "--rounds") rounds = std::atoi(argv[i + 1]);
    if (flag == "--calls") calls = std::atoi(argv[i + 1]);
    if (flag == "--json") json_file = argv[i + 1];
  }
  if (stratus.empty() || ping.empty() || test_provider.empty()) die("--stratus, --ping and --test-provider are needed");

  nlohmann::ordered_json out;
  std::printf("%-34s %12s %12s %12s\n", "provider call (median ns)", "in process", "child", "difference");
  auto compare = [&](const std::string& name, const std::string& lib, const stratus::capability::ProviderIdentity& id,
                     const std::string& op, const Bytes& msg) {
    auto in = open(lib, id, stratus, false);
    auto child = open(lib, id, stratus, true);
    (void)timeCalls(*in, op, msg, calls / 10);  // warm up both
    (void)timeCalls(*child, op, msg, calls / 10);
    std::vector<double> a, b;
    for (int r = 0; r < rounds; ++r) {
      a.push_back(timeCalls(*in, op, msg, calls / rounds + 1));
      b.push_back(timeCalls(*child, op, msg, calls / rounds + 1));
    }
    const double ia = median(a), ib = median(b);
    std::printf("%-34s %12.0f %12.0f %12.0f\n", name.c_str(), ia, ib, ib - ia);
    out[name] = {{"in_process_ns", ia}, {"child_process_ns", ib}, {"added_ns", ib - ia}};
    (void)in->stop();
    (void)child->stop();
  };
  Bytes ping_msg(64);
  for (size_t i = 0; i < ping_msg.size(); ++i) ping_msg[i] = static_cast<uint8_t>(i * 7 + 1);
  compare("C ABI: Ping, 64 bytes", ping, {"stratus:bench", "ping"}, "Ping", ping_msg);
  if (!rust_kv.empty()) {
    const Bytes get = nlohmann::json::to_msgpack({{"key", "k"}});
    // The Rust provider serves only bound actors: bind MBENCH on both placements first.
    const Bytes bind = nlohmann::json::to_msgpack({{"module", "MBENCH"}, {"values", nlohmann::json::object()}});
    auto in = open(rust_kv, {"wasmcloud:keyvalue", "kv"}, stratus, false);
    auto child = open(rust_kv, {"wasmcloud:keyvalue", "kv"}, stratus, true);
    if (!in->call("system", "BindActor", bind) || !child->call("system", "BindActor", bind)) die("BindActor");
    std::vector<double> a, b;
    for (int r = 0; r < rounds; ++r) {
      a.push_back(timeCalls(*in, "Get", get, calls / rounds + 1));
      b.push_back(timeCalls(*child, "Get", get, calls / rounds + 1));
    }
    const double ia = median(a), ib = median(b);
    std::printf("%-34s %12.0f %12.0f %12.0f\n", "Rust ABI: key-value Get", ia, ib, ib - ia);
    out["Rust ABI: key-value Get"] = {{"in_process_ns", ia}, {"child_process_ns", ib}, {"added_ns", ib - ia}};
    (void)in->stop();
    (void)child->stop();
  }

  // Restart: Exit kills the child; time until a call is answered again.
  auto victim = open(test_provider, {"stratus:test", "test"}, stratus, true);
  std::vector<double> restarts;
  for (int r = 0; r < rounds; ++r) {
    const auto start = Clock::now();
    (void)victim->call("MBENCH", "Exit", {});
    for (;;) {
      if (victim->call("MBENCH", "Echo", {})) break;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    restarts.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  const double restart_ms = median(restarts);
  std::printf("%-34s %12.1f ms\n", "restart (death to next answer)", restart_ms);
  out["restart_ms"] = restart_ms;
  (void)victim->stop();
  if (!json_file.empty()) std::ofstream(json_file) << out.dump(2) << "\n";
  return 0;
}
