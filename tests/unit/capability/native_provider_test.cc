// NativeProvider's call/stop protocol with in-process providers: no call runs once stop has begun, stop waits for
// the calls in flight but only up to its bound, and a stop that hangs is abandoned without blocking the caller.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "common/bounded_task.h"
#include "stratus/capability/native_provider.h"
#include "stratus/provider.hpp"

namespace stratus::capability {
namespace {

using namespace std::chrono_literals;

// What the probe provider records, shared with the test (the provider itself is owned by its C table).
struct Probe {
  std::atomic<bool> stopped{false};
  std::atomic<int> calls_after_stop{0};
  std::atomic<int> calls{0};
  std::atomic<int> blocked{0};
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;  // guarded by mu: releases Block and a blocking stop

  void wait() {
    ++blocked;
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return open; });
    --blocked;
  }
  void release() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
};

class ProbeProvider final : public provider::CapabilityProvider {
 public:
  ProbeProvider(std::shared_ptr<Probe> probe, bool block_in_stop) : probe_(std::move(probe)), block_(block_in_stop) {}
  std::string_view capabilityId() const override { return "stratus:probe"; }
  std::string_view name() const override { return "probe"; }
  Expected<Bytes> handleCall(std::string_view, std::string_view op, std::span<const uint8_t>) override {
    if (probe_->stopped.load()) ++probe_->calls_after_stop;
    ++probe_->calls;
    if (op == "Block") probe_->wait();
    return Bytes{};
  }
  void stop() override {
    if (block_) probe_->wait();
    probe_->stopped = true;
  }

 private:
  std::shared_ptr<Probe> probe_;
  bool block_;
};

std::unique_ptr<NativeProvider> makeProvider(const std::shared_ptr<Probe>& probe, bool block_in_stop = false) {
  auto table = provider::detail::exportProvider(
      [&] { return std::unique_ptr<provider::CapabilityProvider>(new ProbeProvider(probe, block_in_stop)); });
  auto p = NativeProvider::fromTable(table, "probe");
  EXPECT_TRUE(p) << p.error().toString();
  return p ? std::move(*p) : nullptr;
}

TEST(NativeProviderTest, NoCallRunsOnceStopHasBegun) {
  for (int round = 0; round < 300; ++round) {
    auto probe = std::make_shared<Probe>();
    auto provider = makeProvider(probe);
    ASSERT_TRUE(provider);
    std::vector<std::thread> callers;
    for (int t = 0; t < 3; ++t) {
      callers.emplace_back([&] {
        while (provider->call("M", "Ping", {})) {
        }
      });
    }
    while (probe->calls.load() < 3) std::this_thread::yield();
    ASSERT_TRUE(provider->stop(5s));
    for (auto& c : callers) c.join();
    ASSERT_EQ(probe->calls_after_stop.load(), 0) << "round " << round << ": a call ran after the provider's stop";
    auto late = provider->call("M", "Ping", {});
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(late.error().message.find("is stopped"), std::string::npos) << late.error().message;
  }
}

// A call admitted just before stop begins is waited for: stop cannot run the provider's stop under it. The hook
// holds the call between its admission and handle_call until stop has given up waiting.
std::atomic<bool> hold_admitted{false};
std::atomic<bool> holding{false};
void holdAdmittedCall() {
  if (!hold_admitted.exchange(false)) return;
  holding = true;
  while (holding.load()) std::this_thread::yield();
}

TEST(NativeProviderTest, ACallAdmittedBeforeStopIsWaitedFor) {
  auto probe = std::make_shared<Probe>();
  auto provider = makeProvider(probe);
  NativeProvider::setAdmissionHookForTesting(&holdAdmittedCall);
  hold_admitted = true;
  std::thread caller([&] { EXPECT_TRUE(provider->call("M", "Ping", {})); });
  while (!holding.load()) std::this_thread::yield();

  auto stopped = provider->stop(200ms);
  EXPECT_FALSE(stopped) << "stop must see the admitted call";
  EXPECT_FALSE(probe->stopped.load()) << "the provider's stop ran while a call was admitted";
  holding = false;
  caller.join();
  NativeProvider::setAdmissionHookForTesting(nullptr);
  EXPECT_EQ(probe->calls_after_stop.load(), 0);
}

TEST(NativeProviderTest, StopWaitsForCallsInFlightOnlyUpToItsBound) {
  auto probe = std::make_shared<Probe>();
  auto provider = makeProvider(probe);
  std::thread caller([&] { EXPECT_TRUE(provider->call("M", "Block", {})); });
  while (probe->blocked.load() == 0) std::this_thread::yield();

  const auto start = std::chrono::steady_clock::now();
  auto stopped = provider->stop(200ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code, ErrorCode::kDeadlineExceeded);
  EXPECT_NE(stopped.error().message.find("1 call(s) still running after 200 ms"), std::string::npos)
      << stopped.error().message;
  EXPECT_FALSE(probe->stopped.load()) << "the provider's stop must not overlap a call";

  probe->release();
  caller.join();
}

TEST(NativeProviderTest, AStopThatHangsIsAbandonedAndItsThreadJoinedWhenItReturns) {
  auto probe = std::make_shared<Probe>();
  auto provider = makeProvider(probe, /*block_in_stop=*/true);
  const size_t hung_before = hungTaskCount();
  auto stopped = provider->stop(100ms);
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code, ErrorCode::kDeadlineExceeded);
  EXPECT_NE(stopped.error().message.find("did not stop within 100 ms"), std::string::npos) << stopped.error().message;
  EXPECT_EQ(hungTaskCount(), hung_before + 1);

  probe->release();
  for (int i = 0; i < 3000 && hungTaskCount() > hung_before; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(hungTaskCount(), hung_before);
  EXPECT_TRUE(probe->stopped.load());
}

}  // namespace
}  // namespace stratus::capability
