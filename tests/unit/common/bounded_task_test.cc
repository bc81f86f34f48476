// BoundedTask: waiting with a bound, and threads whose function outlives its task joined once it returns.
#include "common/bounded_task.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

namespace stratus {
namespace {

using namespace std::chrono_literals;

bool eventually(const std::function<bool()>& condition) {
  for (int i = 0; i < 3000 && !condition(); ++i) std::this_thread::sleep_for(10ms);
  return condition();
}

TEST(BoundedTaskTest, AFunctionThatReturnsInTimeIsWaitedForAndJoined) {
  std::atomic<int> ran{0};
  BoundedTask task([&] { ++ran; });
  EXPECT_TRUE(task.waitFor(30s));
  EXPECT_TRUE(task.done());
  EXPECT_EQ(ran.load(), 1);
}

TEST(BoundedTaskTest, TheWaitEndsAtItsBoundAndALateFunctionIsJoinedWhenItReturns) {
  const size_t hung_before = hungTaskCount();
  std::atomic<bool> release{false};
  auto shared = std::make_shared<std::atomic<int>>(0);
  {
    BoundedTask task([&release, shared] {
      while (!release.load()) std::this_thread::sleep_for(1ms);
      ++*shared;  // what the function uses is owned by it, not by the task
    });
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(task.waitFor(50ms));
    EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
    EXPECT_FALSE(task.done());
  }  // destroyed without blocking: the thread is handed to the reaper
  EXPECT_EQ(hungTaskCount(), hung_before + 1);
  release = true;
  EXPECT_TRUE(eventually([&] { return hungTaskCount() == hung_before; })) << "the returned thread is joined";
  EXPECT_EQ(shared->load(), 1);
}

TEST(BoundedTaskTest, ATaskDestroyedAfterItsFunctionReturnedJoinsAtOnce) {
  const size_t hung_before = hungTaskCount();
  {
    BoundedTask task([] {});
    ASSERT_TRUE(eventually([&] { return task.done(); }));
  }
  EXPECT_EQ(hungTaskCount(), hung_before);
}

}  // namespace
}  // namespace stratus
