// Providers in a child process (`stratus provider-host`): every way a provider can die or hang fails the calls in
// flight with an error saying what happened, never hangs them, and the provider comes back configured and with
// its actors bound; a provider that keeps crashing is given up; the host's own fds and memory stay flat.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <fstream>
#include <mutex>
#include <thread>

#include "stratus/capability/native_provider.h"
#include "stratus/codec/core.h"
#include "stratus/codec/msgpack.h"
#include "support/payloads.h"
#include "support/rust_providers.h"

namespace stratus::capability {
namespace {

using stratus::testing::bytesOf;
using stratus::testing::textOf;

using namespace std::chrono_literals;

const std::string kTestProvider = std::string(STRATUS_TEST_PROVIDER_DIR) + "/libstratus_test_provider.so";
constexpr const char* kActor = "MB2ZQB6ROOMAYBO4ZCTFYWN7YIVBWA3MTKZYAQKJMGIHE2A7WGASTAMPLE";

// A SIGSEGV on a provider's own thread kills its process; under ThreadSanitizer (whose runtime the child has too)
// the sanitizer's handler reports it and exits with its exit code, 66.
#if defined(__SANITIZE_THREAD__)
constexpr const char* kDiesOfSegvOnItsOwnThread = "its process exited with status 66";
#else
constexpr const char* kDiesOfSegvOnItsOwnThread = "its process killed by SIGSEGV";
#endif


class ProcessProviderTest : public ::testing::Test {
 protected:
  ProcessIsolation options() {
    ProcessIsolation o;
    o.executable = STRATUS_EXECUTABLE;
    o.restart_backoff = 20ms;
    o.restart_backoff_max = 200ms;
    o.log = [this](stratus_log_level, std::string_view line) {
      std::lock_guard lock(mu_);
      log_.emplace_back(line);
    };
    return o;
  }

  std::unique_ptr<NativeProvider> start(ProcessIsolation o, const std::string& lib = kTestProvider) {
    auto p = NativeProvider::loadInChildProcess(lib, {"stratus:test", "test provider"}, std::move(o));
    EXPECT_TRUE(p) << p.error().toString();
    if (!p) return nullptr;
    auto configured = (*p)->configureDispatch(
        [](std::string_view actor, std::string_view op, std::span<const uint8_t> msg) -> Expected<Bytes> {
          Bytes out = bytesOf(std::string(actor) + "/" + std::string(op) + ":");
          out.insert(out.end(), msg.begin(), msg.end());
          return out;
        },
        nullptr);
    EXPECT_TRUE(configured) << configured.error().toString();
    return std::move(*p);
  }

  static void bind(NativeProvider& p) {
    auto r = p.call("system", "BindActor", codec::encode(codec::CapabilityConfiguration{kActor, {{"K", "V"}}}));
    ASSERT_TRUE(r) << r.error().toString();
  }

  // Waits (bounded) until the provider answers again after a restart.
  static Expected<Bytes> callOnceBack(NativeProvider& p, std::string_view op, const Bytes& msg) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    for (;;) {
      auto r = p.call(kActor, op, msg);
      if (r || r.error().code != ErrorCode::kUnavailable || std::chrono::steady_clock::now() > deadline) return r;
      std::this_thread::sleep_for(10ms);
    }
  }

  static std::string pidOf(NativeProvider& p) {
    auto r = callOnceBack(p, "Pid", {});
    return r ? textOf(*r) : "error: " + r.error().message;
  }

  static Bytes callActorPayload() {
    codec::Writer w;
    w.mapHeader(3).str("actor").str(kActor).str("operation").str("Echo").str("payload").bin(bytesOf("back"));
    return w.take();
  }

  bool logged(std::string_view needle) {
    std::lock_guard lock(mu_);
    for (const auto& l : log_) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }

  std::mutex mu_;
  std::vector<std::string> log_;
};

TEST_F(ProcessProviderTest, RunsInAChildProcessAndServesBothWays) {
  auto p = start(options());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->abi(), ProviderAbi::kC);
  EXPECT_EQ(p->abiDescription(), "C ABI v1 in a child process");
  EXPECT_EQ(p->capabilityId(), "stratus:test");
  const std::string pid = pidOf(*p);
  EXPECT_NE(pid, std::to_string(::getpid()));
  auto echo = p->call(kActor, "Echo", bytesOf("hello"));
  ASSERT_TRUE(echo) << echo.error().toString();
  EXPECT_EQ(textOf(*echo), "hello");
  auto failed = p->call(kActor, "Fail", bytesOf("x"));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kHostError);
  EXPECT_EQ(failed.error().message, "requested failure: x");
  auto back = p->call(kActor, "CallActor", callActorPayload());  // provider -> host dispatcher -> "actor"
  ASSERT_TRUE(back) << back.error().toString();
  EXPECT_EQ(textOf(*back), std::string(kActor) + "/Echo:back");
  ASSERT_TRUE(p->stop());
  EXPECT_EQ(p->call(kActor, "Echo", {}).error().code, ErrorCode::kUnavailable);
}

TEST_F(ProcessProviderTest, EachKindOfDeathFailsItsCallClearlyAndTheProviderComesBackBound) {
  auto p = start(options());
  ASSERT_TRUE(p);
  bind(*p);
  struct Death {
    const char* op;
    const char* says;
  };
  for (const Death& d : {Death{"Crash", "crashed: SIGSEGV"}, Death{"Abort", "crashed: SIGABRT"},
                         Death{"Exit", "its process exited with status 3 during the call"},
                         Death{"CrashOnThread", kDiesOfSegvOnItsOwnThread}}) {
    const std::string before = pidOf(*p);
    auto r = p->call(kActor, d.op, {});
    ASSERT_FALSE(r) << d.op;
    EXPECT_NE(r.error().message.find(d.says), std::string::npos) << d.op << ": " << r.error().message;
    const std::string after = pidOf(*p);
    EXPECT_NE(after, before) << d.op;
    EXPECT_EQ(after.find("error"), std::string::npos) << d.op << ": " << after;
    // Configured again (the dispatcher works) and bound again (the actor's link values are back).
    auto back = p->call(kActor, "CallActor", callActorPayload());
    ASSERT_TRUE(back) << d.op << ": " << back.error().toString();
    auto bindings = p->call(kActor, "Bindings", {});
    ASSERT_TRUE(bindings) << bindings.error().toString();
    auto decoded = codec::decode(*bindings);
    ASSERT_TRUE(decoded);
    const auto* values = decoded->find(kActor);
    ASSERT_NE(values, nullptr) << d.op << ": the actor was not bound again";
    EXPECT_EQ(values->asStringMap("values")->at("K"), "V");
  }
  EXPECT_TRUE(logged("restarting in"));
  EXPECT_TRUE(logged("restarted, 1 actor(s) bound again"));
  ASSERT_TRUE(p->stop());
}

TEST_F(ProcessProviderTest, AHungCallIsKilledAtItsDeadlineAndTheProviderRestarts) {
  auto o = options();
  o.call_timeout = 500ms;
  auto p = start(std::move(o));
  ASSERT_TRUE(p);
  const auto began = std::chrono::steady_clock::now();
  auto r = p->call(kActor, "Hang", bytesOf("/nonexistent/never"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDeadlineExceeded);
  EXPECT_NE(r.error().message.find("did not answer Hang within 500 ms; its process was killed"), std::string::npos)
      << r.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - began, 10s);  // bounded, not hung (the bound is generous)
  auto echo = callOnceBack(*p, "Echo", bytesOf("again"));
  ASSERT_TRUE(echo) << echo.error().toString();
  EXPECT_TRUE(logged("did not answer within 500 ms and was killed"));
  ASSERT_TRUE(p->stop());
}

// What the kernel's OOM killer does to a provider that leaks: SIGKILL, here sent by the test while a call waits.
TEST_F(ProcessProviderTest, AKillFromOutsideFailsTheCallInFlightAtOnce) {
  auto p = start(options());
  ASSERT_TRUE(p);
  auto leaked = p->call(kActor, "Leak", bytesOf("33554432"));
  ASSERT_TRUE(leaked) << leaked.error().toString();
  const pid_t pid = std::stoi(pidOf(*p));
  Expected<Bytes> hung = Bytes{};
  std::thread caller([&] { hung = p->call(kActor, "Hang", bytesOf("/nonexistent/never")); });
  std::this_thread::sleep_for(100ms);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  caller.join();
  ASSERT_FALSE(hung);
  EXPECT_EQ(hung.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(hung.error().message.find("its process killed by SIGKILL (Killed) during the call"), std::string::npos)
      << hung.error().message;
  auto echo = callOnceBack(*p, "Echo", bytesOf("fresh"));
  ASSERT_TRUE(echo) << echo.error().toString();
  EXPECT_NE(pidOf(*p), std::to_string(pid));
  ASSERT_TRUE(p->stop());
}

TEST_F(ProcessProviderTest, AProviderThatKeepsCrashingIsGivenUp) {
  auto o = options();
  o.max_restarts = 2;
  auto p = start(std::move(o));
  ASSERT_TRUE(p);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(callOnceBack(*p, "Echo", {})) << "crash " << i;
    EXPECT_FALSE(p->call(kActor, "Exit", {}));
  }
  Expected<Bytes> r = fail(ErrorCode::kInternal, "");
  for (int i = 0; i < 200; ++i) {
    r = p->call(kActor, "Echo", {});
    if (!r && r.error().message.find("given up") != std::string::npos) break;
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("was given up after 3 crashes in a row; the last: its process exited with status 3"),
            std::string::npos)
      << r.error().message;
  EXPECT_TRUE(logged("given up after 3 crashes in a row"));
}

TEST_F(ProcessProviderTest, CallsUnderLoadEitherSucceedOrFailClearlyWhileItCrashes) {
  auto p = start(options());
  ASSERT_TRUE(p);
  std::atomic<bool> done{false};
  std::atomic<int> ok{0};
  std::atomic<int> failed_clearly{0};
  std::atomic<int> unexpected{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&] {
      while (!done) {
        auto r = p->call(kActor, "Echo", bytesOf("load"));
        if (r && textOf(*r) == "load") {
          ++ok;
        } else if (!r && r.error().code == ErrorCode::kUnavailable) {
          ++failed_clearly;
        } else {
          ++unexpected;
        }
      }
    });
  }
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(callOnceBack(*p, "Echo", {}));
    EXPECT_FALSE(p->call(kActor, "Exit", {}));
  }
  ASSERT_TRUE(callOnceBack(*p, "Echo", {}));
  done = true;
  for (auto& t : callers) t.join();
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(unexpected.load(), 0);
  ASSERT_TRUE(p->stop());
}

size_t openFds() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

size_t residentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

TEST_F(ProcessProviderTest, TheHostsFdsAndMemoryStayFlatAcrossAHundredRestarts) {
  auto o = options();
  o.max_restarts = 1000;
  o.restart_backoff = 1ms;
  o.restart_backoff_max = 1ms;
  auto p = start(std::move(o));
  ASSERT_TRUE(p);
  bind(*p);
  auto cycle = [&] {
    ASSERT_TRUE(callOnceBack(*p, "Echo", {}));
    EXPECT_FALSE(p->call(kActor, "Exit", {}));
  };
  for (int i = 0; i < 10; ++i) cycle();  // warm up: threads, allocator
  ASSERT_TRUE(callOnceBack(*p, "Echo", {}));  // both counts are taken with a child running
  const size_t fds = openFds();
  const size_t rss = residentBytes();
  for (int i = 0; i < 100; ++i) cycle();
  ASSERT_TRUE(callOnceBack(*p, "Echo", {}));
  EXPECT_EQ(openFds(), fds);
  EXPECT_LT(residentBytes(), rss + 4 * 1024 * 1024) << "from " << rss << " to " << residentBytes();
  ASSERT_TRUE(p->stop());
}

TEST_F(ProcessProviderTest, ALoadFailureInTheChildIsReportedAsTheLoaderWouldSayIt) {
  const std::string lib = std::string(STRATUS_TEST_PROVIDER_DIR) + "/libnot_a_provider.so";
  auto p = NativeProvider::loadInChildProcess(lib, {"x:y", "x"}, options());
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find(lib + " is not a capability provider"), std::string::npos) << p.error().message;
  auto o = options();
  o.executable = "/nonexistent/stratus";
  auto missing = NativeProvider::loadInChildProcess(kTestProvider, {"x:y", "x"}, o);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("exited with status 127 while loading"), std::string::npos)
      << missing.error().message;
}

TEST_F(ProcessProviderTest, RustProvidersRunInAChildProcessToo) {
  for (const auto& version : stratus::testing::rustProviderVersions(STRATUS_RUST_PROVIDER_VERSIONS)) {
    auto p = NativeProvider::loadInChildProcess(
        std::string(STRATUS_RUST_PROVIDER_DIR) + "/libcallback_provider-" + version + ".so",
        {"stratus:callback", "callback"}, options());
    ASSERT_TRUE(p) << version << ": " << p.error().toString();
    EXPECT_EQ((*p)->abi(), ProviderAbi::kRust);
    EXPECT_TRUE((*p)->abiDescription().starts_with("Rust ABI (rustc " + version)) << (*p)->abiDescription();
    ASSERT_TRUE((*p)->configureDispatch(
        [](std::string_view, std::string_view op, std::span<const uint8_t> msg) -> Expected<Bytes> {
          if (op != "Echo") return fail(ErrorCode::kNotFound, "no such operation");
          return Bytes(msg.begin(), msg.end());
        },
        nullptr));
    auto r = (*p)->call(kActor, "Call", nlohmann::json::to_msgpack({{"actor", kActor}, {"operation", "Echo"},
                                                                    {"msg", nlohmann::json::binary(bytesOf("rs"))}}));
    ASSERT_TRUE(r) << version << ": " << r.error().toString();
    EXPECT_EQ(textOf(*r), "rs");
    ASSERT_TRUE((*p)->stop());
  }
}

}  // namespace
}  // namespace stratus::capability
