// The httpserver's pool for actor calls (providers/httpserver/call_pool.h): every job runs, in order; a stream of
// quick jobs stays on one thread; a blocked job does not hold up the ones behind it; at most max_threads run at
// once; join() finishes what was queued.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <vector>

#include "call_pool.h"
#include "support/gate.h"

namespace stratus::httpserver {
namespace {

using namespace std::chrono_literals;
using testing::Gate;

// Liveness bound for the tests below: far beyond any stall period, only reached when the pool is broken.
constexpr auto kWaitLimit = 10s;

// Tracks how many jobs run at the same time.
struct Concurrency {
  std::atomic<int> now{0};
  std::atomic<int> peak{0};
  void enter() {
    const int n = ++now;
    int p = peak.load();
    while (n > p && !peak.compare_exchange_weak(p, n)) {
    }
  }
  void leave() { --now; }
};

bool waitFor(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + kWaitLimit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(CallPoolTest, RunsEveryJobInPostOrder) {
  // Nothing stalls, so one thread at a time runs them, in the order they were posted.
  std::vector<int> order;
  std::mutex mu;
  CallPool pool(4, 1h);
  for (int i = 0; i < 1000; ++i) {
    pool.post([&, i] {
      std::lock_guard lock(mu);
      order.push_back(i);
    });
  }
  ASSERT_TRUE(waitFor([&] {
    std::lock_guard lock(mu);
    return order.size() == 1000u;
  }));
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], i);
}

TEST(CallPoolTest, QuickJobsRunOneAtATimeWhileNothingStalls) {
  // With a stall period no job reaches, no second thread is ever woken: each job runs on the thread that finished
  // the one before, or on the single thread woken when none was running.
  Concurrency c;
  CallPool pool(8, 1h);
  std::atomic<int> done{0};
  for (int i = 0; i < 20000; ++i) {
    pool.post([&] {
      c.enter();
      volatile int spin = 0;
      for (int k = 0; k < 200; k = k + 1) spin = spin + k;
      c.leave();
      ++done;
    });
  }
  ASSERT_TRUE(waitFor([&] { return done.load() == 20000; }));
  EXPECT_EQ(c.peak.load(), 1);
}

// One job blocks; the one posted behind it runs on a second thread once it has waited a stall period. `idle_first`
// lets the pool sit idle long enough for its monitor to go to sleep before the jobs come.
void expectBlockedJobDoesNotHoldUpTheNext(std::chrono::milliseconds idle_first) {
  CallPool pool(4, 2ms);
  std::this_thread::sleep_for(idle_first);
  Gate gate;
  std::promise<void> blocked_started;
  pool.post([&] {
    blocked_started.set_value();
    gate.wait();
  });
  blocked_started.get_future().wait();
  std::promise<void> behind;
  auto behind_done = behind.get_future();
  pool.post([&] { behind.set_value(); });
  // Ran while the first job is still blocked: the gate opens only now.
  EXPECT_EQ(behind_done.wait_for(kWaitLimit), std::future_status::ready);
  gate.open();
}

TEST(CallPoolTest, BlockedJobDoesNotHoldUpTheOnesBehindIt) { expectBlockedJobDoesNotHoldUpTheNext(0ms); }

TEST(CallPoolTest, BlockedJobDoesNotHoldUpOthersAfterAnIdleSpell) {
  // 300 stall periods idle: the monitor sleeps, and must wake when the first job starts.
  expectBlockedJobDoesNotHoldUpTheNext(600ms);
}

TEST(CallPoolTest, AtMostMaxThreadsRunAtOnce) {
  constexpr unsigned kMax = 3;
  CallPool pool(kMax, 1ms);
  Gate gate;
  Concurrency c;
  std::atomic<int> done{0};
  for (unsigned i = 0; i < kMax + 2; ++i) {
    pool.post([&] {
      c.enter();
      gate.wait();
      c.leave();
      ++done;
    });
  }
  ASSERT_TRUE(waitFor([&] { return pool.running() == kMax; }));
  // Many stall periods later the two extra jobs still wait: there is no fourth thread.
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(pool.running(), kMax);
  EXPECT_EQ(c.peak.load(), static_cast<int>(kMax));
  gate.open();
  ASSERT_TRUE(waitFor([&] { return done.load() == static_cast<int>(kMax) + 2; }));
  EXPECT_EQ(c.peak.load(), static_cast<int>(kMax));
}

TEST(CallPoolTest, JoinRunsQueuedJobsAndWaitsForRunningOnes) {
  std::atomic<int> done{0};
  CallPool pool(1, 1h);
  Gate gate;
  std::promise<void> started;
  pool.post([&] {
    started.set_value();
    gate.wait();
    ++done;
  });
  started.get_future().wait();
  for (int i = 0; i < 5; ++i) pool.post([&] { ++done; });
  auto joined = std::async(std::launch::async, [&] { pool.join(); });
  EXPECT_EQ(joined.wait_for(50ms), std::future_status::timeout);  // the running job holds join() up
  gate.open();
  joined.get();
  EXPECT_EQ(done.load(), 6);
  pool.post([&] { ++done; });  // after join: dropped
  pool.join();
  EXPECT_EQ(done.load(), 6);
}

}  // namespace
}  // namespace stratus::httpserver
