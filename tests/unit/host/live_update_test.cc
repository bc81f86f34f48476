// Live updates of running actors: the checks (allowed, subject, revision, capabilities), the events, and no call
// dropped or failed while calls run on other threads.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "stratus/claims/nkeys.h"
#include "stratus/host/host.h"
#include "support/actors.h"
#include "support/payloads.h"

namespace stratus::host {
namespace {

using stratus::testing::bytesOf;
using stratus::testing::loadActor;
using stratus::testing::signActor;

struct LiveUpdateTest : ::testing::Test {
  void SetUp() override { seed = *claims::KeyPair::generate(claims::KeyType::kModule)->seed(); }

  std::unique_ptr<Host> build(bool live_updates, bool strict = true) {
    auto host = HostBuilder()
                    .withProviderHealthInterval(std::chrono::milliseconds(0))
                    .withLiveUpdates(live_updates, strict)
                    .withEventListener([this](const HostEvent& e) {
                      std::lock_guard lock(mu);
                      events.push_back(e);
                    })
                    .build();
    EXPECT_TRUE(host) << host.error().toString();
    return host ? std::move(*host) : nullptr;
  }

  // Another revision of the same actor; `key` is set by the first (before any caller thread reads it).
  Bytes revision(int32_t rev, std::vector<std::string> caps = {"wasmcloud:keyvalue"}) {
    std::string subject;
    Bytes wasm = signActor(loadActor("test_actor"),
                           {.name = "live", .caps = std::move(caps), .rev = rev, .module_seed = seed}, &subject);
    if (key.empty()) key = subject;
    return wasm;
  }

  std::string seed, key;
  std::mutex mu;
  std::vector<HostEvent> events;
};

TEST_F(LiveUpdateTest, RefusedUnlessEnabledAndTheModuleIsANewerRevisionOfTheSameActor) {
  auto locked = build(false);
  ASSERT_TRUE(locked->startActor(revision(1)));
  auto refused = locked->updateActor(key, revision(2));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(refused.error().message.find("--allow-live-updates"), std::string::npos) << refused.error().message;

  auto host = build(true);
  ASSERT_TRUE(host->startActor(revision(3)));
  auto check = [&](Bytes wasm, const std::string& expected) {
    auto result = host->updateActor(key, wasm);
    ASSERT_FALSE(result) << expected;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument) << result.error().toString();
    EXPECT_NE(result.error().message.find(expected), std::string::npos) << result.error().message;
  };
  check(revision(3), "revision 3 is not higher than the running revision 3");
  check(revision(2), "revision 2 is not higher than the running revision 3");
  check(revision(4, {"wasmcloud:keyvalue", "wasmcloud:httpserver"}),
        "capabilities [wasmcloud:httpserver, wasmcloud:keyvalue] differ from the running [wasmcloud:keyvalue]");
  std::string other;
  const Bytes other_actor =
      signActor(loadActor("test_actor"), {.name = "other", .caps = {"wasmcloud:keyvalue"}, .rev = 9}, &other);
  check(other_actor, "the new module is " + other + ", another actor");
  auto unsigned_module = host->updateActor(key, loadActor("test_actor"));
  ASSERT_FALSE(unsigned_module);
  EXPECT_EQ(unsigned_module.error().code, ErrorCode::kInvalidClaims);
  auto absent = host->updateActor(std::string(56, 'M'), revision(5));
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().code, ErrorCode::kNotFound);

  // Nothing of that touched the running actor.
  ASSERT_EQ(host->actors().size(), 1u);
  EXPECT_EQ(host->actors()[0].claims.metadata.rev, 3);
  EXPECT_TRUE(host->callActor(key, "Echo", bytesOf("still here")));

  // Without the strict check other capabilities are fine.
  auto relaxed = build(true, /*strict=*/false);
  ASSERT_TRUE(relaxed->startActor(revision(1)));
  EXPECT_TRUE(relaxed->updateActor(key, revision(2, {"wasmcloud:httpserver"})));
  EXPECT_EQ(relaxed->actors()[0].claims.metadata.caps, std::vector<std::string>{"wasmcloud:httpserver"});
}

TEST_F(LiveUpdateTest, ReportsTheNewRevisionAndReferenceWithBeganAndCompletedEvents) {
  auto host = build(true);
  ASSERT_TRUE(host->startActor(revision(1)));
  ASSERT_TRUE(host->updateActor(key, revision(2), "registry.example/live:2"));
  ASSERT_EQ(host->actors().size(), 1u);
  EXPECT_EQ(host->actors()[0].claims.metadata.rev, 2);
  EXPECT_EQ(host->actors()[0].image_ref, "registry.example/live:2");
  std::vector<HostEvent> updates;
  for (const auto& e : events) {
    if (e.kind == HostEvent::Kind::kActorUpdateBegan || e.kind == HostEvent::Kind::kActorUpdateCompleted) {
      updates.push_back(e);
    }
  }
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[0].kind, HostEvent::Kind::kActorUpdateBegan);
  EXPECT_EQ(updates[1].kind, HostEvent::Kind::kActorUpdateCompleted);
  for (const auto& e : updates) {
    EXPECT_EQ(e.public_key, key);
    EXPECT_EQ(e.old_revision, 1);
    EXPECT_EQ(e.new_revision, 2);
  }
  EXPECT_TRUE(host->callActor(key, "Echo", bytesOf("after")));
}

TEST_F(LiveUpdateTest, TheUpdateRunsOnTheEngineTheActorWasStartedWith) {
  auto host = build(true);  // the host's default engine is the interpreter
  ASSERT_TRUE(host->startActor(revision(1), {.engine = EngineMode::only(engine::Backend::kAot)}));
  ASSERT_EQ(host->actors()[0].engine, engine::Backend::kAot);
  ASSERT_TRUE(host->updateActor(key, revision(2)));
  EXPECT_EQ(host->actors()[0].engine, engine::Backend::kAot);
}

TEST_F(LiveUpdateTest, NoCallFailsWhileTheActorIsUpdatedUnderLoad) {
  auto host = build(true);
  ASSERT_TRUE(host->startActor(revision(1)));
  std::atomic<bool> stop{false};
  std::atomic<int> calls{0}, failures{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&, t] {
      const Bytes payload = bytesOf("caller " + std::to_string(t));
      while (!stop) {
        auto r = host->callActor(key, "Echo", payload);
        if (!r || *r != payload) failures++;
        calls++;
      }
    });
  }
  for (int rev = 2; rev <= 6; ++rev) {
    const int before = calls.load();
    while (calls.load() < before + 50) std::this_thread::yield();
    auto updated = host->updateActor(key, revision(rev));
    ASSERT_TRUE(updated) << updated.error().toString();
  }
  const int before = calls.load();
  while (calls.load() < before + 50) std::this_thread::yield();
  stop = true;
  for (auto& c : callers) c.join();
  EXPECT_EQ(failures.load(), 0) << "of " << calls.load() << " calls";
  EXPECT_EQ(host->actors()[0].claims.metadata.rev, 6);
}

}  // namespace
}  // namespace stratus::host
