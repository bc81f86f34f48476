// Engine selection per host and per actor, and `auto` tiering: an actor starts on the interpreter and moves to
// native code when its background compile finishes, without failing a call in flight. The C compiler is a wrapper
// script that waits for a gate file, so the tests decide when the compile finishes.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

#include "engine/aot/toolchain.h"
#include "stratus/host/host.h"
#include "support/actors.h"
#include "support/payloads.h"
#include "support/wat.h"

namespace stratus::host {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using stratus::testing::bytesOf;
using stratus::testing::hostCallPayload;
using stratus::testing::loadActor;
using stratus::testing::signActor;
using stratus::testing::textOf;

// Holds actor→actor calls to one operation until released (the host asks the Authorizer on every such call).
class Latch final : public Authorizer {
 public:
  explicit Latch(std::string op) : op_(std::move(op)) {}
  bool canInvoke(const claims::ActorClaims&, const Entity&, std::string_view operation) const override {
    if (operation != op_) return true;
    std::unique_lock lock(mu_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    return true;
  }
  void awaitWaiter() const {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return waiting_ > 0; });
  }
  void open() const {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::string op_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  mutable int waiting_ = 0;
  mutable bool open_ = false;
};

// Captures what the host logs.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(text_)) {
    spdlog::default_logger()->sinks().push_back(sink_);
  }
  ~LogCapture() {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  size_t count(const std::string& needle) {
    sink_->flush();
    const std::string all = text_.str();
    size_t n = 0;
    for (size_t pos = all.find(needle); pos != std::string::npos; pos = all.find(needle, pos + 1)) ++n;
    return n;
  }

 private:
  std::ostringstream text_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

class TieringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!engine::aot::defaultCompilerAvailable()) GTEST_SKIP() << "no C compiler: auto cannot tier up here";
    std::string pattern = (fs::temp_directory_path() / "stratus-tiering-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
    gate_ = dir_ / "gate";
    // A compiler that answers the engine's probes (--version, -dM) at once and compiles only once the gate exists
    // (or fails, for FailedCompileKeepsTheInterpreter), noting the priority it runs at. Its path is part of the
    // cache key: no other test's code is reused.
    compiler_ = dir_ / "gated-cc";
    std::ofstream(compiler_) << "#!/bin/sh\n"
                                "case \"$1\" in --version|-dM) exec cc \"$@\";; esac\n"
                                "nice > '" << (dir_ / "niceness").string() << "'\n"
                                "[ -e '" << (dir_ / "broken").string() << "' ] && { echo 'broken compiler' >&2; exit 3; }\n"
                                "n=0; while [ ! -e '" << gate_.string() << "' ] && [ $n -lt 3000 ]; do sleep 0.01; n=$((n+1)); done\n"
                                "exec cc \"$@\"\n";
    fs::permissions(compiler_, fs::perms::owner_all);
  }
  void TearDown() override {
    if (dir_.empty()) return;
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::unique_ptr<Host> makeHost(std::string engine, std::shared_ptr<const Authorizer> authorizer = nullptr,
                                 std::string compiler = "") {
    HostBuilder builder;
    builder.withEngine(mode(engine))
        .withAotOptions({.compiler = compiler.empty() ? compiler_.string() : compiler,
                         .cache_dir = (dir_ / "cache").string()})
        .withBuiltinExtras(false)
        .withProviderHealthInterval(0ms);
    if (authorizer) builder.withAuthorizer(std::move(authorizer));
    auto host = builder.build();
    EXPECT_TRUE(host) << host.error().toString();
    return host ? std::move(*host) : nullptr;
  }

  void openGate() { std::ofstream(gate_) << "go\n"; }

  static EngineMode mode(std::string_view name) {
    auto parsed = EngineMode::parse(name);
    EXPECT_TRUE(parsed) << parsed.error().toString();
    return parsed ? *parsed : EngineMode::automatic();
  }

  static std::string engineOf(Host& host, const std::string& pk) {
    for (const auto& a : host.actors()) {
      if (a.public_key == pk) return std::string(engine::backendName(a.engine));
    }
    return "(not running)";
  }

  // Waits (bounded) for the actor to run on `engine`.
  static bool waitForEngine(Host& host, const std::string& pk, const std::string& engine) {
    for (int i = 0; i < 3000; ++i) {
      if (engineOf(host, pk) == engine) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  fs::path dir_;
  fs::path gate_;
  fs::path compiler_;
  const Bytes actor_ = loadActor("test_actor");
};

TEST_F(TieringTest, AutoStartsOnTheInterpreterAndMovesToNativeCodeWithoutFailingACallInFlight) {
  auto latch = std::make_shared<Latch>("Echo");
  auto host = makeHost("auto", latch);
  ASSERT_TRUE(host);
  auto caller = host->startActor(signActor(actor_, {.name = "caller"}));
  ASSERT_TRUE(caller) << caller.error().toString();
  auto callee = host->startActor(signActor(actor_, {.name = "callee", .call_alias = "callee"}));
  ASSERT_TRUE(callee) << callee.error().toString();
  EXPECT_EQ(engineOf(*host, *caller), "interp");
  EXPECT_EQ(engineOf(*host, *callee), "interp");

  // A call that is inside the interpreter (waiting on the latch in its host call) while the code changes.
  auto in_flight = std::async(std::launch::async, [&] {
    return host->callActor(*caller, "HostCall", hostCallPayload("", "callee", "Echo", bytesOf("in flight")));
  });
  latch->awaitWaiter();

  openGate();
  ASSERT_TRUE(waitForEngine(*host, *caller, "aot"));
  ASSERT_TRUE(waitForEngine(*host, *callee, "aot"));
  EXPECT_EQ(in_flight.wait_for(0s), std::future_status::timeout) << "the call must still be in flight";

  latch->open();
  auto result = in_flight.get();
  ASSERT_TRUE(result) << result.error().toString();
  EXPECT_EQ(textOf(*result), "in flight");

  // New calls run on native instances; the caller's interpreter instance was destroyed when its call returned.
  for (int i = 0; i < 20; ++i) {
    auto r = host->callActor(*caller, "HostCall", hostCallPayload("", "callee", "Echo", bytesOf("native")));
    ASSERT_TRUE(r) << r.error().toString();
    EXPECT_EQ(textOf(*r), "native");
  }
  for (const auto& a : host->actors()) EXPECT_EQ(a.instances, 1u) << a.public_key;
}

TEST_F(TieringTest, AutoStartsOnNativeCodeAtOnceWhenTheCacheHasIt) {
  openGate();
  {
    auto first = makeHost("auto");
    auto pk = first->startActor(signActor(actor_, {.name = "cached"}));
    ASSERT_TRUE(pk) << pk.error().toString();
    ASSERT_TRUE(waitForEngine(*first, *pk, "aot"));
  }
  auto second = makeHost("auto");
  auto pk = second->startActor(signActor(actor_, {.name = "cached"}));
  ASSERT_TRUE(pk) << pk.error().toString();
  EXPECT_EQ(engineOf(*second, *pk), "aot");
  auto r = second->callActor(*pk, "Echo", bytesOf("hi"));
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(textOf(*r), "hi");
}

TEST_F(TieringTest, EngineCanBeChosenPerActor) {
  openGate();
  auto host = makeHost("interp");
  auto native = host->startActor(signActor(actor_, {.name = "native"}), {.engine = mode("aot")});
  ASSERT_TRUE(native) << native.error().toString();
  EXPECT_EQ(engineOf(*host, *native), "aot");
  auto interp = host->startActor(signActor(actor_, {.name = "interp"}));
  ASSERT_TRUE(interp) << interp.error().toString();
  EXPECT_EQ(engineOf(*host, *interp), "interp");

  auto bad = EngineMode::parse("jit");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("'jit'"), std::string::npos) << bad.error().message;

  // An auto host keeps an actor asked to run on the interpreter there: no tier-up is scheduled for it. Background
  // compiles run one at a time in the order they were asked for, so once an auto actor started after it has
  // moved to native code, a tier-up of the pinned one would have happened before.
  auto auto_host = makeHost("auto");
  auto pinned = auto_host->startActor(signActor(actor_, {.name = "pinned"}), {.engine = mode("interp")});
  ASSERT_TRUE(pinned) << pinned.error().toString();
  auto later = auto_host->startActor(signActor(actor_, {.name = "later"}));
  ASSERT_TRUE(later) << later.error().toString();
  ASSERT_TRUE(waitForEngine(*auto_host, *later, "aot"));
  EXPECT_EQ(engineOf(*auto_host, *pinned), "interp");
}

TEST_F(TieringTest, BackgroundCompilesRunAtALowerPriorityThanTheCaller) {
  openGate();
  errno = 0;
  const int own = getpriority(PRIO_PROCESS, 0);
  ASSERT_EQ(errno, 0);
  const auto niceness = [&] {
    std::ifstream in(dir_ / "niceness");
    int n = -100;
    in >> n;
    return n;
  };
  // Asked for aot, the actor's compile runs on the starting thread, at its priority.
  auto host = makeHost("interp");
  auto foreground = host->startActor(signActor(actor_, {.name = "foreground"}), {.engine = mode("aot")});
  ASSERT_TRUE(foreground) << foreground.error().toString();
  EXPECT_EQ(niceness(), own);
  // auto's tier-up compile (of another module, whose code no cache has) runs in the background, 10 nice levels
  // lower.
  auto auto_host = makeHost("auto");
  auto background = auto_host->startActor(signActor(testing::loadActor("compute_actor"), {.name = "background"}));
  ASSERT_TRUE(background) << background.error().toString();
  ASSERT_TRUE(waitForEngine(*auto_host, *background, "aot"));
  EXPECT_EQ(niceness(), std::min(own + 10, 19));
}

TEST_F(TieringTest, WithoutACompilerAutoStaysOnTheInterpreterAndSaysSoOnce) {
  LogCapture log;
  auto host = makeHost("auto", nullptr, "/nonexistent/bin/cc");
  ASSERT_TRUE(host);
  for (const char* name : {"one", "two"}) {
    auto pk = host->startActor(signActor(actor_, {.name = name}));
    ASSERT_TRUE(pk) << pk.error().toString();
    EXPECT_EQ(engineOf(*host, *pk), "interp");
    auto r = host->callActor(*pk, "Echo", bytesOf(name));
    ASSERT_TRUE(r) << r.error().toString();
  }
  EXPECT_EQ(log.count("actors run on the interpreter"), 1u);
  EXPECT_EQ(log.count("/nonexistent/bin/cc"), 1u);

  // Asking for aot without a compiler is an error, for the host and for one actor.
  auto refused = HostBuilder().withEngine(mode("aot")).withAotOptions({.compiler = "/nonexistent/bin/cc"}).build();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(refused.error().message.find("/nonexistent/bin/cc"), std::string::npos) << refused.error().message;
  auto actor = host->startActor(signActor(actor_, {.name = "three"}), {.engine = mode("aot")});
  ASSERT_FALSE(actor);
  EXPECT_EQ(actor.error().code, ErrorCode::kUnavailable);
}

TEST_F(TieringTest, AModuleTheAotEngineCannotTakeRunsOnTheInterpreter) {
  LogCapture log;
  auto host = makeHost("auto");
  // A waPC module with a SIMD function (wasm2c 1.0.32 has no SIMD): auto runs it on the interpreter.
  const Bytes simd = stratus::testing::wat2wasm(R"((module
    (memory (export "memory") 1)
    (func (export "__guest_call") (param i32 i32) (result i32) i32.const 0)
    (func (export "lanes") (result i32) v128.const i32x4 1 2 3 4 i32x4.extract_lane 2)))");
  auto pk = host->startActor(signActor(simd, {.name = "simd"}));
  ASSERT_TRUE(pk) << pk.error().toString();
  EXPECT_EQ(engineOf(*host, *pk), "interp");
  EXPECT_EQ(log.count("uses SIMD (v128), which the aot engine does not support yet"), 1u);
  EXPECT_EQ(log.count("the actor stays on the interpreter"), 1u);
  // Asked for aot explicitly, it is refused with the reason.
  auto refused = host->startActor(signActor(simd, {.name = "simd2"}), {.engine = mode("aot")});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("SIMD"), std::string::npos) << refused.error().message;
}

TEST_F(TieringTest, FailedCompileKeepsTheInterpreter) {
  std::ofstream(dir_ / "broken") << "\n";
  LogCapture log;
  auto host = makeHost("auto");
  auto pk = host->startActor(signActor(actor_, {.name = "stays"}));
  ASSERT_TRUE(pk) << pk.error().toString();
  for (int i = 0; i < 3000 && log.count("stays on the interpreter") == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(log.count("stays on the interpreter"), 1u);
  EXPECT_EQ(log.count("broken compiler"), 1u);
  EXPECT_EQ(engineOf(*host, *pk), "interp");
  auto r = host->callActor(*pk, "Echo", bytesOf("still here"));
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(textOf(*r), "still here");
}

TEST_F(TieringTest, StoppingTheActorOrTheHostDuringItsCompileIsSafe) {
  auto host = makeHost("auto");
  auto stopped = host->startActor(signActor(actor_, {.name = "stopped early"}));
  ASSERT_TRUE(stopped) << stopped.error().toString();
  auto running = host->startActor(signActor(actor_, {.name = "running"}));
  ASSERT_TRUE(running) << running.error().toString();
  ASSERT_TRUE(host->stopActor(*stopped));
  // The compile of "stopped early" is blocked in the compiler: destroying the host kills it (no waiting for the
  // gate) and drops the queued one. Nothing is cached, nothing crashes.
  host.reset();
  EXPECT_FALSE(fs::exists(dir_ / "cache") && !fs::is_empty(dir_ / "cache"));
}

}  // namespace
}  // namespace stratus::host
