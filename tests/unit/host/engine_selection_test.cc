// EngineSelection: what an actor starts on for each engine choice, the background compile queue, and the errors
// when a backend cannot work here.
#include "host/engine_selection.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "engine/aot/toolchain.h"
#include "support/actors.h"

namespace stratus::host {
namespace {

namespace fs = std::filesystem;
using engine::Backend;

class EngineSelectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cache_ = fs::path(::testing::TempDir()) / ("stratus-selection-" + std::to_string(::getpid()) + "-" +
                                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(cache_);
  }
  void TearDown() override { fs::remove_all(cache_); }

  engine::EngineOptions options(std::string compiler = "") {
    return {.aot = {.compiler = std::move(compiler), .cache_dir = cache_.string()}};
  }
  static bool haveCompiler() { return engine::aot::defaultCompilerAvailable(); }

  fs::path cache_;
  const Bytes wasm_ = testing::loadActor("test_actor");
};

TEST_F(EngineSelectionTest, OneBackendChoicesStartThereAndNeverTierUp) {
  EngineSelection selection(EngineMode::only(Backend::kInterp), options());
  ASSERT_TRUE(selection.check());
  auto start = selection.compile(wasm_, "a", EngineMode::only(Backend::kInterp));
  ASSERT_TRUE(start) << start.error().toString();
  EXPECT_EQ(start->backend, Backend::kInterp);
  EXPECT_FALSE(start->tier_up);
  ASSERT_TRUE(start->module);
  if (!haveCompiler()) GTEST_SKIP() << "no C compiler for the aot half";
  auto native = selection.compile(wasm_, "a", EngineMode::only(Backend::kAot));
  ASSERT_TRUE(native) << native.error().toString();
  EXPECT_EQ(native->backend, Backend::kAot);
  EXPECT_FALSE(native->tier_up);
}

TEST_F(EngineSelectionTest, AutoStartsOnTheInterpreterThenOnCachedNativeCode) {
  if (!haveCompiler()) GTEST_SKIP() << "no C compiler: auto cannot tier up here";
  // A module no other test of this process compiles: the aot engine shares compiled code process-wide.
  const Bytes wasm = testing::loadActor("compute_actor");
  EngineSelection selection(EngineMode::automatic(), options());
  auto first = selection.compile(wasm, "a", EngineMode::automatic());
  ASSERT_TRUE(first) << first.error().toString();
  EXPECT_EQ(first->backend, Backend::kInterp);
  EXPECT_TRUE(first->tier_up);

  std::mutex mu;
  std::condition_variable cv;
  std::optional<Expected<std::shared_ptr<const engine::Module>>> done;
  selection.compileInBackground(wasm, "a", [&](Expected<std::shared_ptr<const engine::Module>> m, double) {
    std::lock_guard lock(mu);
    done = std::move(m);
    cv.notify_all();
  });
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::minutes(2), [&] { return done.has_value(); }));
    ASSERT_TRUE(*done) << done->error().toString();
  }
  auto again = selection.compile(wasm, "a", EngineMode::automatic());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->backend, Backend::kAot) << "the compiled code is at hand now";
  EXPECT_FALSE(again->tier_up);
}

TEST_F(EngineSelectionTest, WithoutACompilerAotFailsAndAutoStaysOnTheInterpreter) {
  EngineSelection aot_host(EngineMode::only(Backend::kAot), options("/nonexistent/bin/cc"));
  auto checked = aot_host.check();
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(checked.error().message.find("engine aot: "), std::string::npos) << checked.error().message;
  EXPECT_NE(checked.error().message.find("/nonexistent/bin/cc"), std::string::npos) << checked.error().message;

  EngineSelection auto_host(EngineMode::automatic(), options("/nonexistent/bin/cc"));
  ASSERT_TRUE(auto_host.check());
  auto start = auto_host.compile(wasm_, "a", EngineMode::automatic());
  ASSERT_TRUE(start) << start.error().toString();
  EXPECT_EQ(start->backend, Backend::kInterp);
  EXPECT_FALSE(start->tier_up) << "nothing to tier up to";
  auto pinned = auto_host.compile(wasm_, "name.wasm", EngineMode::only(Backend::kAot));
  ASSERT_FALSE(pinned);
  EXPECT_NE(pinned.error().message.find("name.wasm: engine aot: "), std::string::npos) << pinned.error().message;
}

TEST_F(EngineSelectionTest, AMalformedModuleFailsOnEveryChoice) {
  const Bytes garbage{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0xff};
  EngineSelection selection(EngineMode::automatic(), options());
  for (auto mode : {EngineMode::automatic(), EngineMode::only(Backend::kInterp)}) {
    auto start = selection.compile(garbage, "bad.wasm", mode);
    ASSERT_FALSE(start) << mode.name();
    EXPECT_EQ(start.error().code, ErrorCode::kMalformed) << start.error().toString();
  }
}

TEST_F(EngineSelectionTest, QueuedCompilesAreDroppedWithTheSelection) {
  if (!haveCompiler()) GTEST_SKIP() << "no C compiler";
  std::atomic<int> called{0};
  {
    EngineSelection selection(EngineMode::automatic(), options());
    for (int i = 0; i < 3; ++i) {
      selection.compileInBackground(wasm_, "queued", [&](auto, double) { ++called; });
    }
  }  // destroyed at once: the compile in progress is cancelled, the queued ones dropped, `done` never called
  EXPECT_EQ(called.load(), 0);
}

}  // namespace
}  // namespace stratus::host
