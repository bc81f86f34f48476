// A capability provider for the host's tests (contract "stratus:test"), built through the public SDK like the
// first-party ones. Compile-time variants make the faulty libraries the loader must refuse or survive:
//   TEST_PROVIDER_ABI=<n>          report ABI version n
//   TEST_PROVIDER_CRASH_ON_STOP    dereference null in stop
//   TEST_PROVIDER_HANG_ON_STOP     sleep for a minute in stop
//   TEST_PROVIDER_FAIL_CREATE      return null from stratus_provider_create
//   TEST_PROVIDER_LEGACY_ENTRY     export the table under the entry name of before the rename (as providers built
//                                  against version 1 of the header did), and not under stratus_provider_create
//
// Operations (from actors):
//   Echo      msg -> msg;  WhoAmI -> the calling actor's key;  Fail -> error "requested failure: <msg>"
//   Garbage   -> bytes that are not msgpack;  Crash -> null dereference (SIGSEGV)
//   Abort -> abort();  Exit -> _Exit(3);  CrashOnThread -> null dereference on a thread of the provider's own
//   Leak <n>  -> allocates and touches n bytes it never frees; the total so far;  Pid -> the process id
//   CallActor msgpack {actor, operation, payload} -> dispatches to the actor and returns its reply
//   SetHealthy "0"/"1" -> later HealthRequests report unhealthy ("told to be unhealthy") or healthy
//   Bindings  -> msgpack map actor -> map of the link values of every bound actor
//   Hang <path>        -> blocks until the file <path> exists (a provider call that hangs), then "released"
//   HangHealth <path>  -> later HealthRequests block until the file <path> exists ("" ends that)
//   Blocked   -> how many calls are blocked right now (Hang, HangHealth, BIND_GATE), as decimal text
// Link values: BIND_GATE=<path> makes BindActor block until the file <path> exists.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "stratus/codec/msgpack.h"
#include "stratus/provider.hpp"

namespace {

using stratus::Bytes;
using stratus::ErrorCode;
using stratus::Expected;

class TestProvider final : public stratus::provider::CapabilityProvider {
 public:
  std::string_view capabilityId() const override { return "stratus:test"; }
  std::string_view name() const override { return "stratus test provider"; }

  Expected<void> bindActor(std::string_view actor, const std::map<std::string, std::string>& values) override {
    if (auto gate = values.find("BIND_GATE"); gate != values.end()) waitFor(gate->second);
    if (values.count("REFUSE")) return stratus::fail(ErrorCode::kInvalidArgument, "told to refuse the bind");
    std::lock_guard lock(mu_);
    bindings_[std::string(actor)] = values;
    return stratus::ok();
  }

  Expected<void> removeActor(std::string_view actor) override {
    std::lock_guard lock(mu_);
    bindings_.erase(std::string(actor));
    return stratus::ok();
  }

  stratus::codec::HealthResponse health() override {
    std::string gate;
    {
      std::lock_guard lock(mu_);
      gate = health_gate_;
    }
    if (!gate.empty()) waitFor(gate);
    if (healthy_.load()) return {true, ""};
    return {false, "told to be unhealthy"};
  }

  Expected<Bytes> handleCall(std::string_view actor, std::string_view op, std::span<const uint8_t> msg) override {
    if (op == "Echo") return Bytes(msg.begin(), msg.end());
    if (op == "WhoAmI") return Bytes(actor.begin(), actor.end());
    if (op == "Fail") {
      return stratus::fail(ErrorCode::kHostError,
                           "requested failure: " + std::string(reinterpret_cast<const char*>(msg.data()), msg.size()));
    }
    if (op == "Garbage") return Bytes{0xc1, 0xff, 0x00, 0x13};
    if (op == "Crash") {
      volatile int* null_pointer = nullptr;
      return Bytes{static_cast<uint8_t>(*null_pointer)};
    }
    // Faults that only a provider in a process of its own survives (process isolation tests).
    if (op == "Abort") std::abort();
    if (op == "Exit") std::_Exit(3);
    if (op == "CrashOnThread") {
      std::thread([] { *static_cast<volatile int*>(nullptr) = 1; }).detach();
      std::this_thread::sleep_for(std::chrono::seconds(5));
      return Bytes{};
    }
    if (op == "Leak") {
      const size_t n = std::stoul(std::string(msg.begin(), msg.end()));
      auto* p = static_cast<char*>(std::malloc(n));
      if (p) std::memset(p, 1, n);  // touched, so it counts against the process
      const std::string total = std::to_string(leaked_ += n);
      return Bytes(total.begin(), total.end());
    }
    if (op == "Pid") {
      const std::string pid = std::to_string(::getpid());
      return Bytes(pid.begin(), pid.end());
    }
    if (op == "Hang") {
      waitFor(std::string(reinterpret_cast<const char*>(msg.data()), msg.size()));
      return Bytes{'r', 'e', 'l', 'e', 'a', 's', 'e', 'd'};
    }
    if (op == "HangHealth") {
      std::lock_guard lock(mu_);
      health_gate_.assign(reinterpret_cast<const char*>(msg.data()), msg.size());
      return Bytes{};
    }
    if (op == "Blocked") {
      const std::string n = std::to_string(blocked_.load());
      return Bytes(n.begin(), n.end());
    }
    if (op == "SetHealthy") {
      healthy_ = !msg.empty() && msg[0] == '1';
      return Bytes{};
    }
    if (op == "CallActor") {
      auto v = stratus::codec::decode(msg);
      if (!v) return stratus::fail(v.takeError());
      auto r = stratus::codec::StructReader::of(*v, "CallActor");
      if (!r) return stratus::fail(r.takeError());
      auto target = r->str("actor");
      auto operation = r->str("operation");
      auto payload = r->bytes("payload");
      if (!target || !operation || !payload) return stratus::fail(ErrorCode::kMalformed, "bad CallActor payload");
      return dispatcher().call(*target, *operation, *payload);
    }
    if (op == "Bindings") {
      std::lock_guard lock(mu_);
      stratus::codec::Writer w;
      w.mapHeader(static_cast<uint32_t>(bindings_.size()));
      for (const auto& [a, values] : bindings_) w.str(a).stringMap(values);
      return w.take();
    }
    return stratus::fail(ErrorCode::kNotFound, "stratus:test has no operation '" + std::string(op) + "'");
  }

  void stop() override {
#if defined(TEST_PROVIDER_CRASH_ON_STOP)
    volatile int* null_pointer = nullptr;
    *null_pointer = 1;
#elif defined(TEST_PROVIDER_HANG_ON_STOP)
    std::this_thread::sleep_for(std::chrono::minutes(1));
#endif
  }

 private:
  // Blocks until the file `path` exists (a test's way to release a call it made hang), at most ten minutes.
  void waitFor(const std::string& path) {
    ++blocked_;
    for (int i = 0; i < 60000 && !std::filesystem::exists(path); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    --blocked_;
  }

  std::atomic<int> blocked_{0};
  std::string health_gate_;  // guarded by mu_
  std::atomic<bool> healthy_{true};
  std::atomic<size_t> leaked_{0};
  std::mutex mu_;
  std::map<std::string, std::map<std::string, std::string>> bindings_;
};

}  // namespace

#if defined(TEST_PROVIDER_FAIL_CREATE)
extern "C" __attribute__((visibility("default"))) const stratus_provider* stratus_provider_create(void) {
  return nullptr;
}
#elif defined(TEST_PROVIDER_LEGACY_ENTRY)
extern "C" __attribute__((visibility("default"))) const stratus_provider* __capability_provider_create(void) {
  return stratus::provider::detail::exportProvider(
      [] { return std::unique_ptr<stratus::provider::CapabilityProvider>(new TestProvider()); });
}
#elif defined(TEST_PROVIDER_ABI)
extern "C" __attribute__((visibility("default"))) const stratus_provider* stratus_provider_create(void) {
  static stratus_provider table = *stratus::provider::detail::exportProvider([] {
    return std::unique_ptr<stratus::provider::CapabilityProvider>(new TestProvider());
  });
  table.abi_version = TEST_PROVIDER_ABI;
  return &table;
}
#else
STRATUS_PROVIDER(TestProvider)
#endif
