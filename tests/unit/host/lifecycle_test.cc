// Lifecycle changes under concurrency: no host lock is held while provider code or an event listener runs, hung
// providers cannot block stopping or shutdown, health checks stay bounded, and a call racing a stop never reaches
// a freed actor.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <thread>

#include "common/bounded_task.h"
#include "stratus/claims/nkeys.h"
#include "stratus/codec/extras.h"
#include "stratus/host/host.h"
#include "support/actors.h"
#include "support/payloads.h"

namespace stratus::host {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using stratus::testing::bytesOf;
using stratus::testing::hostCallPayload;
using stratus::testing::loadActor;
using stratus::testing::signActor;
using stratus::testing::textOf;

const std::string kTestProvider = std::string(STRATUS_TEST_PROVIDER_DIR) + "/libstratus_test_provider.so";
constexpr std::string_view kContract = "stratus:test";

// Runs `fn` and waits up to `limit` for it. A deadlock cannot be undone: when `fn` does not return in time the
// test binary aborts with a message, so the failure is reported instead of hanging until the suite's timeout.
void finishesWithin(std::chrono::seconds limit, const std::string& what, std::function<void()> fn) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::thread worker([&] {
    fn();
    std::lock_guard lock(mu);
    done = true;
    cv.notify_all();
  });
  std::unique_lock lock(mu);
  if (!cv.wait_for(lock, limit, [&] { return done; })) {
    std::cerr << "FAILED: " << what << " did not finish within " << limit.count() << " s (deadlock)" << std::endl;
    std::abort();
  }
  lock.unlock();
  worker.join();
}

size_t threadCount() {
  size_t n = 0;
  for (const auto& entry : fs::directory_iterator("/proc/self/task")) {
    (void)entry;
    ++n;
  }
  return n;
}

// Polls `condition` every 5 ms for up to 30 s.
bool eventually(const std::function<bool()>& condition) {
  for (int i = 0; i < 6000; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("stratus-lifecycle-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    release();  // whatever still hangs in a test provider returns
    host_.reset();
    fs::remove_all(dir_);
  }

  void build(HostBuilder builder = HostBuilder()) {
    auto built = builder.withProviderHealthInterval(0ms)
                     .withProviderCacheDir(::testing::TempDir() + "/stratus-provider-cache")
                     .withEventListener([this](const HostEvent& e) {
                       std::function<void(const HostEvent&)> hook;
                       {
                         std::lock_guard lock(mu_);
                         events_.push_back(e);
                         hook = hook_;
                       }
                       if (hook) hook(e);
                     })
                     .build();
    ASSERT_TRUE(built) << built.error().toString();
    host_ = std::move(*built);
  }

  std::string startActor(const std::string& name, std::optional<std::string> alias = std::nullopt) {
    auto pk =
        host_->startActor(signActor(actor_, {.name = name, .caps = {std::string(kContract)}, .call_alias = alias}));
    EXPECT_TRUE(pk) << pk.error().toString();
    return pk ? *pk : std::string();
  }

  std::string startProvider(const std::string& link_name) {
    claims::ProviderClaims claims;
    claims.subject = claims::KeyPair::generate(claims::KeyType::kService)->publicKey();
    claims.metadata.capid = std::string(kContract);
    claims.metadata.name = "test provider " + link_name;
    auto pk = host_->startProviderFromLibrary(kTestProvider, claims, link_name);
    EXPECT_TRUE(pk) << pk.error().toString();
    return pk ? *pk : std::string();
  }

  // The actor calls the provider linked under `link_name`.
  Expected<Bytes> viaProvider(const std::string& actor, std::string_view op, const Bytes& payload,
                              std::string_view link_name = "default") {
    return host_->callActor(actor, "HostCall", hostCallPayload(link_name, kContract, op, payload));
  }

  int blocked(const std::string& actor, std::string_view link_name = "default") {
    auto r = viaProvider(actor, "Blocked", {}, link_name);
    return r ? std::stoi(textOf(*r)) : -1;
  }

  std::string gate() const { return (dir_ / "gate").string(); }
  void release() const { std::ofstream(dir_ / "gate") << "open\n"; }

  std::vector<HostEvent> eventsOf(HostEvent::Kind kind) {
    std::lock_guard lock(mu_);
    std::vector<HostEvent> out;
    for (const auto& e : events_) {
      if (e.kind == kind) out.push_back(e);
    }
    return out;
  }

  void onEvent(std::function<void(const HostEvent&)> hook) {
    std::lock_guard lock(mu_);
    hook_ = std::move(hook);
  }

  const Bytes actor_ = loadActor("test_actor");
  fs::path dir_;
  std::unique_ptr<Host> host_;
  std::mutex mu_;
  std::vector<HostEvent> events_;
  std::function<void(const HostEvent&)> hook_;
};

TEST_F(LifecycleTest, ASlowBindActorHoldsUpNoOtherLifecycleChange) {
  build();
  const std::string provider = startProvider("default");
  const std::string observer = startActor("observer");
  ASSERT_TRUE(host_->setLink({observer, provider, std::string(kContract), "default", {}}));
  const std::string slow = startActor("slow");

  // BindActor for `slow` blocks inside the provider until the gate opens.
  std::thread binding([&] {
    EXPECT_TRUE(host_->setLink({slow, provider, std::string(kContract), "default", {{"BIND_GATE", gate()}}}));
  });
  ASSERT_TRUE(eventually([&] { return blocked(observer) == 1; })) << "BindActor never reached the provider";

  // Meanwhile every other kind of lifecycle change goes through.
  finishesWithin(60s, "lifecycle changes while a BindActor hangs", [&] {
    const std::string other = startActor("other");
    EXPECT_FALSE(other.empty());
    EXPECT_TRUE(host_->setLink({other, std::string(codec::kExtrasProviderKey), "wasmcloud:extras", "default", {}}));
    EXPECT_TRUE(host_->removeLink(other, "wasmcloud:extras", "default"));
    const std::string second = startProvider("second");
    EXPECT_TRUE(host_->stopProvider(second, "second"));
    EXPECT_TRUE(host_->stopActor(other));
    EXPECT_EQ(host_->actors().size(), 2u);
    EXPECT_EQ(host_->links().size(), 2u);
    EXPECT_EQ(blocked(observer), 1);  // still hanging all along
  });

  release();
  binding.join();
  auto bound = viaProvider(observer, "Bindings", {});
  ASSERT_TRUE(bound) << bound.error().toString();
  EXPECT_NE(textOf(*bound).find(slow), std::string::npos) << "the slow bind completed and was recorded";
}

TEST_F(LifecycleTest, AnEventListenerMayCallBackIntoTheHost) {
  build();
  const std::string provider = startProvider("default");
  std::atomic<int> callbacks{0};
  onEvent([&](const HostEvent& e) {
    // Every kind of call a listener could make, from inside lifecycle changes.
    if (e.kind == HostEvent::Kind::kActorStarted) {
      EXPECT_TRUE(host_->setLink({e.public_key, provider, std::string(kContract), "default", {}}));
      ++callbacks;
    } else if (e.kind == HostEvent::Kind::kLinkSet) {
      EXPECT_FALSE(host_->links().empty());
      EXPECT_FALSE(host_->providers().empty());
      ++callbacks;
    } else if (e.kind == HostEvent::Kind::kActorStopped) {
      (void)host_->removeLink(e.public_key, kContract, "default");
      ++callbacks;
    }
  });
  finishesWithin(60s, "lifecycle changes whose listener calls the host", [&] {
    const std::string actor = startActor("listened");
    auto echoed = viaProvider(actor, "Echo", bytesOf("linked by the listener"));
    ASSERT_TRUE(echoed) << echoed.error().toString();
    EXPECT_EQ(textOf(*echoed), "linked by the listener");
    EXPECT_TRUE(host_->stopActor(actor));
  });
  EXPECT_EQ(callbacks.load(), 3);
  EXPECT_TRUE(host_->links().empty());
}

TEST_F(LifecycleTest, AHungProviderCallCannotBlockStopOrShutdown) {
  build(std::move(HostBuilder().withProviderStopTimeout(300ms)));
  const std::string provider = startProvider("default");
  const std::string actor = startActor("caller");
  ASSERT_TRUE(host_->setLink({actor, provider, std::string(kContract), "default", {}}));
  std::thread hung([&] {
    auto r = viaProvider(actor, "Hang", bytesOf(gate()));
    EXPECT_TRUE(r) << r.error().toString();  // it finishes once released, even though the provider stopped
  });
  ASSERT_TRUE(eventually([&] { return blocked(actor) == 1; }));

  finishesWithin(30s, "stopping a provider with a hung call",
                 [&] { EXPECT_TRUE(host_->stopProvider(provider, "default")); });
  auto stopped = eventsOf(HostEvent::Kind::kProviderStopped);
  ASSERT_EQ(stopped.size(), 1u);
  EXPECT_NE(stopped[0].message.find("1 call(s) still running"), std::string::npos) << stopped[0].message;
  EXPECT_EQ(host_->providers().size(), 1u) << "only the built-in extras provider is left";
  auto served = host_->callActor(actor, "Echo", bytesOf("still serving"));
  ASSERT_TRUE(served) << served.error().toString();
  auto gone = viaProvider(actor, "Echo", {});
  ASSERT_FALSE(gone);
  EXPECT_NE(gone.error().message.find("is not running on this host"), std::string::npos) << gone.error().message;

  // The embedder's call returns once the provider answers; the host is destroyed after it, as its contract says.
  release();
  hung.join();
}

TEST_F(LifecycleTest, AHungHealthCheckCostsOneThreadAndNeverBlocksStopOrShutdown) {
  build(std::move(HostBuilder().withProviderHealthTimeout(100ms).withProviderStopTimeout(300ms)));
  const std::string provider = startProvider("default");
  const std::string actor = startActor("caller");
  ASSERT_TRUE(host_->setLink({actor, provider, std::string(kContract), "default", {}}));
  ASSERT_TRUE(viaProvider(actor, "HangHealth", bytesOf(gate())));

  auto first = host_->checkProviderHealth();
  const size_t threads_after_first = threadCount();
  for (int round = 0; round < 5; ++round) {
    finishesWithin(30s, "a health round with a hung provider", [&] { (void)host_->checkProviderHealth(); });
  }
  EXPECT_LE(threadCount(), threads_after_first) << "a new thread per health round";
  auto states = host_->providers();
  auto it = std::find_if(states.begin(), states.end(), [&](const auto& p) { return p.public_key == provider; });
  ASSERT_NE(it, states.end());
  EXPECT_FALSE(it->healthy);
  EXPECT_NE(it->health_message.find("no answer to the HealthRequest sent"), std::string::npos) << it->health_message;
  EXPECT_EQ(eventsOf(HostEvent::Kind::kProviderUnhealthy).size(), 1u);

  // The hung check is a call in flight: the provider's stop is bounded all the same, and so is shutdown.
  finishesWithin(30s, "stopping a provider whose health check hangs",
                 [&] { EXPECT_TRUE(host_->stopProvider(provider, "default")); });
  auto stopped = eventsOf(HostEvent::Kind::kProviderStopped);
  ASSERT_EQ(stopped.size(), 1u);
  EXPECT_NE(stopped[0].message.find("still running"), std::string::npos) << stopped[0].message;
  finishesWithin(30s, "destroying the host", [&] { host_.reset(); });

  // Once the provider answers, its thread is joined.
  EXPECT_GE(hungTaskCount(), 1u);
  release();
  EXPECT_TRUE(eventually([] { return hungTaskCount() == 0; }));
}

TEST_F(LifecycleTest, CallsByAliasRacingStopsNeverReachAFreedActor) {
  build();
  std::atomic<bool> done{false};
  std::atomic<int> served{0};
  std::thread restarts([&] {
    const Bytes signed_actor = signActor(actor_, {.name = "flapping", .call_alias = "flapping"});
    for (int i = 0; i < 150; ++i) {
      auto pk = host_->startActor(signed_actor);
      ASSERT_TRUE(pk) << pk.error().toString();
      ASSERT_TRUE(host_->stopActor(*pk));
    }
    done = true;
  });
  std::vector<std::thread> callers;
  for (int t = 0; t < 2; ++t) {
    callers.emplace_back([&] {
      while (!done.load()) {
        auto r = host_->callActor("flapping", "Echo", bytesOf("racing"));
        if (r) {
          EXPECT_EQ(textOf(*r), "racing");
          ++served;
        } else {
          EXPECT_EQ(r.error().code, ErrorCode::kNotFound) << r.error().toString();
        }
      }
    });
  }
  restarts.join();
  for (auto& c : callers) c.join();
  EXPECT_TRUE(host_->actors().empty());
}

}  // namespace
}  // namespace stratus::host
