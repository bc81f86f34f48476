// InstancePool: reuse of idle instances, the bound on instances, waiting and timing out when all are busy,
// poisoned instances dropped, generations retired, and factory errors.
#include "host/instance_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "stratus/engine/engine.h"
#include "support/actors.h"

namespace stratus::host {
namespace {

using namespace std::chrono_literals;

class InstancePoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = engine::createEngine(engine::Backend::kInterp);
    ASSERT_TRUE(engine);
    auto module = (*engine)->compile(testing::loadActor("test_actor"), {.name = "test_actor"});
    ASSERT_TRUE(module) << module.error().toString();
    module_ = std::move(*module);
    engine_ = std::move(*engine);
  }

  InstancePool::Factory factory() {
    return [this]() -> Expected<std::unique_ptr<wapc::WapcInstance>> {
      ++made_;
      if (fail_.load()) return fail(ErrorCode::kResourceExhausted, "factory told to fail");
      return wapc::WapcInstance::create(module_, {});
    };
  }

  std::unique_ptr<engine::Engine> engine_;
  std::shared_ptr<const engine::Module> module_;
  std::atomic<int> made_{0};
  std::atomic<bool> fail_{false};
};

TEST_F(InstancePoolTest, PrefillMakesInstancesUpToTheBoundAndCallsReuseThem) {
  InstancePool pool(factory(), 3);
  ASSERT_TRUE(pool.prefill(2));
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_EQ(made_.load(), 2);
  ASSERT_TRUE(pool.prefill(10));  // never beyond max
  EXPECT_EQ(pool.size(), 3u);
  for (int i = 0; i < 5; ++i) {
    auto lease = pool.acquire(1s);
    ASSERT_TRUE(lease);
    EXPECT_TRUE((*lease)->call("Echo", Bytes{1}));
  }
  EXPECT_EQ(made_.load(), 3) << "idle instances are reused";
}

TEST_F(InstancePoolTest, WhenAllAreBusyAcquireWaitsForOneAndTimesOutOtherwise) {
  InstancePool pool(factory(), 2);
  auto a = pool.acquire(1s);
  auto b = pool.acquire(1s);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(made_.load(), 2);

  auto none = pool.acquire(50ms);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(none.error().message.find("all 2 instances stayed busy for 50 ms"), std::string::npos)
      << none.error().message;

  // A waiter gets the instance returned while it waits.
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    auto c = pool.acquire(30s);
    EXPECT_TRUE(c);
    got = c.hasValue();
  });
  { auto returned = std::move(*a); }
  waiter.join();
  EXPECT_TRUE(got.load());
  EXPECT_EQ(made_.load(), 2);
}

TEST_F(InstancePoolTest, APoisonedInstanceIsDroppedOnReturn) {
  InstancePool pool(factory(), 1);
  {
    auto lease = pool.acquire(1s);
    ASSERT_TRUE(lease);
    EXPECT_FALSE((*lease)->call("Trap", {}));
  }
  EXPECT_EQ(pool.size(), 0u);
  auto fresh = pool.acquire(1s);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(made_.load(), 2);
  auto count = (*fresh)->call("Count", {});
  ASSERT_TRUE(count);
  EXPECT_EQ((*count)[0], 1) << "a new instance, not the trapped one";
}

TEST_F(InstancePoolTest, RetireAllReplacesIdleInstancesNowAndLeasedOnesOnReturn) {
  InstancePool pool(factory(), 2);
  ASSERT_TRUE(pool.prefill(2));
  auto leased = pool.acquire(1s);
  ASSERT_TRUE(leased);
  pool.retireAll();
  EXPECT_EQ(pool.size(), 1u) << "the idle instance is gone, the leased one serves on";
  EXPECT_TRUE((*leased)->call("Echo", Bytes{2}));
  { auto returned = std::move(*leased); }
  EXPECT_EQ(pool.size(), 0u) << "an instance of an earlier generation is not kept";
  ASSERT_TRUE(pool.prefill(1));
  EXPECT_EQ(made_.load(), 3);
}

TEST_F(InstancePoolTest, FactoryErrorsReachTheCallerAndFreeTheirSlot) {
  InstancePool pool(factory(), 1);
  fail_ = true;
  auto filled = pool.prefill(1);
  ASSERT_FALSE(filled);
  EXPECT_NE(filled.error().message.find("factory told to fail"), std::string::npos);
  auto lease = pool.acquire(50ms);
  ASSERT_FALSE(lease);
  EXPECT_EQ(lease.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(lease.error().message.find("factory told to fail"), std::string::npos) << lease.error().message;
  EXPECT_EQ(pool.size(), 0u);
  fail_ = false;
  EXPECT_TRUE(pool.acquire(50ms)) << "the failed attempts did not use up the one slot";
}

}  // namespace
}  // namespace stratus::host
