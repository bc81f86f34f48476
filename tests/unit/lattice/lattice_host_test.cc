// Hosts in one lattice on a real nats-server (started on a free loopback port): calls between hosts, shared
// actors, call chains that come back, links and claims everywhere, and what a dead target or server does.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "stratus/claims/nkeys.h"
#include "stratus/lattice/lattice.h"
#include "support/actors.h"
#include "support/eventually.h"
#include "support/nats_server.h"
#include "support/payloads.h"

namespace stratus::lattice {
namespace {

using namespace std::chrono_literals;
using stratus::testing::bytesOf;
using stratus::testing::hostCallPayload;
using stratus::testing::loadActor;
using stratus::testing::eventually;
using stratus::testing::signActor;
using stratus::testing::textOf;

uint32_t u32le(const Bytes& b) {
  return b.size() < 4 ? 0 : uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
}

class LatticeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = stratus::testing::NatsServer::start("lattice-test");
    ASSERT_TRUE(server) << server.error().toString() << " (scripts/install-deps.sh --test installs nats-server)";
    nats_ = std::move(*server);
    actor_ = loadActor("test_actor");
  }

  LatticeOptions options() const {
    LatticeOptions o;
    o.rpc.port = o.control.port = nats_->port();
    o.ns = "test";
    o.rpc_timeout = 2s;
    return o;
  }

  std::unique_ptr<LatticeHost> join(LatticeOptions o, host::ActorOptions actor_options = {}) {
    host::HostBuilder builder;
    builder.withProviderHealthInterval(0ms).withActorOptions(actor_options);
    auto joined = LatticeHost::start(std::move(builder), std::move(o));
    EXPECT_TRUE(joined) << joined.error().toString();
    return joined ? std::move(*joined) : nullptr;
  }
  std::unique_ptr<LatticeHost> join() { return join(options()); }

  std::unique_ptr<stratus::testing::NatsServer> nats_;
  Bytes actor_;
};

TEST_F(LatticeTest, AHostCallsAnActorOnAnotherHost) {
  auto a = join(), b = join();
  ASSERT_TRUE(a && b);
  std::string callee;
  ASSERT_TRUE(a->host().startActor(signActor(actor_, {.name = "callee"}, &callee)));

  auto reply = b->host().callActor(callee, "Echo", bytesOf("over the lattice"));
  ASSERT_TRUE(reply) << reply.error().toString();
  EXPECT_EQ(textOf(*reply), "over the lattice");

  // The remote side's failure comes back as an error naming the actor.
  auto failed = b->host().callActor(callee, "Fail", bytesOf("boom"));
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find("requested failure: boom"), std::string::npos) << failed.error().message;
  EXPECT_NE(failed.error().message.find(callee), std::string::npos) << failed.error().message;
}

TEST_F(LatticeTest, AnActorCallsAnActorOnAnotherHostByKeyAndByAlias) {
  auto a = join(), b = join();
  ASSERT_TRUE(a && b);
  std::string callee, caller;
  ASSERT_TRUE(a->host().startActor(signActor(actor_, {.name = "callee", .call_alias = "lattice/callee"}, &callee)));
  ASSERT_TRUE(b->host().startActor(signActor(actor_, {.name = "caller"}, &caller)));

  auto by_key = b->host().callActor(caller, "HostCall", hostCallPayload("", callee, "Echo", bytesOf("k")));
  ASSERT_TRUE(by_key) << by_key.error().toString();
  EXPECT_EQ(textOf(*by_key), "k");

  // The alias is known on B once A's claims advert arrived.
  ASSERT_TRUE(eventually([&] { return b->host().knownActorClaims(callee).has_value(); }));
  auto by_alias = b->host().callActor(caller, "HostCall", hostCallPayload("", "lattice/callee", "Echo", bytesOf("a")));
  ASSERT_TRUE(by_alias) << by_alias.error().toString();
  EXPECT_EQ(textOf(*by_alias), "a");
}

TEST_F(LatticeTest, ACallChainThatComesBackFinishes) {
  // x on A calls y on B, which calls x on A again: A must serve the inner call while its outer one waits.
  auto a = join(options(), {.min_instances = 1, .max_instances = 2});
  auto b = join();
  ASSERT_TRUE(a && b);
  std::string x, y;
  ASSERT_TRUE(a->host().startActor(signActor(actor_, {.name = "x"}, &x)));
  ASSERT_TRUE(b->host().startActor(signActor(actor_, {.name = "y"}, &y)));
  ASSERT_TRUE(eventually([&] { return b->host().knownActorClaims(x) && a->host().knownActorClaims(y); }));

  const Bytes inner = hostCallPayload("", x, "Echo", bytesOf("home again"));
  const Bytes middle = hostCallPayload("", y, "HostCall", inner);
  for (int i = 0; i < 5; ++i) {
    auto reply = a->host().callActor(x, "HostCall", middle);
    ASSERT_TRUE(reply) << reply.error().toString();
    EXPECT_EQ(textOf(*reply), "home again");
  }
}

TEST_F(LatticeTest, HostsRunningTheSameActorShareItsCalls) {
  const Bytes signed_actor = signActor(actor_, {.name = "shared"});
  auto a = join(options(), {.min_instances = 1, .max_instances = 1});
  auto b = join(options(), {.min_instances = 1, .max_instances = 1});
  auto caller = join();
  ASSERT_TRUE(a && b && caller);
  auto key = a->host().startActor(signed_actor);
  ASSERT_TRUE(key);
  ASSERT_TRUE(b->host().startActor(signed_actor));

  // One instance per host, each with its own counter: if one host served every call the counts would reach 40.
  uint32_t highest = 0;
  for (int i = 0; i < 40; ++i) {
    auto count = caller->host().callActor(*key, "Count", {});
    ASSERT_TRUE(count) << count.error().toString();
    highest = std::max(highest, u32le(*count));
  }
  EXPECT_LT(highest, 40u) << "every call went to one host";

  // One host leaves: the other serves every call.
  a.reset();
  for (int i = 0; i < 5; ++i) {
    auto count = caller->host().callActor(*key, "Count", {});
    ASSERT_TRUE(count) << count.error().toString();
  }
}

TEST_F(LatticeTest, ACallToAnActorNowhereFailsAtOnce) {
  auto a = join();
  ASSERT_TRUE(a);
  std::string key;
  signActor(actor_, {}, &key);  // a key no host runs
  const auto start = std::chrono::steady_clock::now();
  auto reply = a->host().callActor(key, "Echo", {});
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, ErrorCode::kNotFound) << reply.error().toString();
  EXPECT_NE(reply.error().message.find("anywhere in the lattice"), std::string::npos) << reply.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);  // no responders: not the 2 s timeout
}

TEST_F(LatticeTest, AHungTargetHostGivesATimeoutWithinTheRpcTimeout) {
  auto o = options();
  o.rpc_timeout = 300ms;
  host::ActorOptions looping;
  looping.instance.call_timeout = 1s;  // so that A's loop ends soon after the test
  auto a = join(options(), looping), b = join(o);
  ASSERT_TRUE(a && b);
  std::string key;
  ASSERT_TRUE(a->host().startActor(signActor(actor_, {}, &key)));
  // A's actor loops until its deadline (30 s): B's call gives up after its rpc timeout.
  const auto start = std::chrono::steady_clock::now();
  auto reply = b->host().callActor(key, "Loop", {});
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, ErrorCode::kDeadlineExceeded) << reply.error().toString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  // Other calls to the same host are unaffected.
  auto echo = b->host().callActor(key, "Echo", bytesOf("still here"));
  ASSERT_TRUE(echo) << echo.error().toString();
}

TEST_F(LatticeTest, AHostLeavingUnderLoadStopsCleanly) {
  auto a = join(), b = join();
  ASSERT_TRUE(a && b);
  std::string key;
  ASSERT_TRUE(a->host().startActor(signActor(actor_, {}, &key)));
  std::atomic<bool> stop{false};
  std::atomic<int> served{0}, failed{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 8; ++t) {
    callers.emplace_back([&] {
      while (!stop) {
        auto reply = b->host().callActor(key, "Echo", bytesOf("load"));
        ++(reply ? served : failed);
        if (reply) {
          EXPECT_EQ(textOf(*reply), "load");
        }
      }
    });
  }
  ASSERT_TRUE(eventually([&] { return served > 50; }));
  // A goes while B's callers keep calling: what A took finishes, then it stops taking calls.
  a.reset();
  const int failed_before = failed;
  ASSERT_TRUE(eventually([&] { return failed > failed_before + 20; }));
  stop = true;
  for (auto& c : callers) c.join();
  auto after = b->host().callActor(key, "Echo", {});
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, ErrorCode::kNotFound) << after.error().toString();
}

TEST_F(LatticeTest, LinksAndClaimsReachEveryHost) {
  auto a = join(), b = join();
  ASSERT_TRUE(a && b);
  std::string actor;
  ASSERT_TRUE(a->host().startActor(signActor(actor_, {.name = "linked", .caps = {"stratus:test"}}, &actor)));
  const std::string provider = claims::KeyPair::generate(claims::KeyType::kService)->publicKey();
  host::LinkDefinition link{actor, provider, "stratus:test", "default", {{"KEY", "value"}}};
  ASSERT_TRUE(a->host().setLink(link));
  ASSERT_TRUE(eventually([&] { return b->host().links().size() == 1; }));
  EXPECT_EQ(b->host().links()[0].values.at("KEY"), "value");
  EXPECT_TRUE(eventually([&] { return b->host().knownActorClaims(actor).has_value(); }));
  EXPECT_EQ(b->host().knownActorClaims(actor)->metadata.name, "linked");

  ASSERT_TRUE(b->host().removeLink(actor, "stratus:test", "default"));
  EXPECT_TRUE(eventually([&] { return a->host().links().empty(); }));
}

TEST_F(LatticeTest, LinksAndClaimsOutliveEveryHostAndReachAHostThatJoinsLate) {
  std::string actor;
  const Bytes signed_actor = signActor(actor_, {.name = "durable", .caps = {"stratus:test"}}, &actor);
  const std::string provider = claims::KeyPair::generate(claims::KeyType::kService)->publicKey();
  {
    auto a = join();
    ASSERT_TRUE(a);
    ASSERT_TRUE(a->host().startActor(signed_actor));
    for (const std::string name : {"one", "two", "three"}) {
      ASSERT_TRUE(a->host().setLink({actor, provider, "stratus:test", name, {{"NAME", name}}}));
    }
    ASSERT_TRUE(a->host().removeLink(actor, "stratus:test", "two"));
  }  // every host is gone

  auto late = join();
  ASSERT_TRUE(late);
  // Known when the join returns: no waiting for adverts.
  const auto links = late->host().links();
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(links[0].link_name, "one");
  EXPECT_EQ(links[0].values.at("NAME"), "one");
  EXPECT_EQ(links[1].link_name, "three");
  ASSERT_TRUE(late->host().knownActorClaims(actor));
  EXPECT_EQ(late->host().knownActorClaims(actor)->metadata.name, "durable");
}

TEST_F(LatticeTest, AnUnreachableServerIsNamedAtStart) {
  auto o = options();
  o.rpc.port = o.control.port = stratus::testing::freeLoopbackPort();
  auto joined = LatticeHost::start(host::HostBuilder(), o);
  ASSERT_FALSE(joined);
  EXPECT_EQ(joined.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(joined.error().message.find("127.0.0.1:" + std::to_string(o.rpc.port)), std::string::npos)
      << joined.error().message;
}

TEST_F(LatticeTest, HostsReconnectAfterTheServerRestarts) {
  auto a = join(), b = join();
  ASSERT_TRUE(a && b);
  std::string key;
  ASSERT_TRUE(a->host().startActor(signActor(actor_, {.caps = {"stratus:test"}}, &key)));
  ASSERT_TRUE(b->host().callActor(key, "Echo", bytesOf("before")));
  const std::string provider = claims::KeyPair::generate(claims::KeyType::kService)->publicKey();
  ASSERT_TRUE(a->host().setLink({key, provider, "stratus:test", "default", {}}));

  nats_->process().stop();
  // Local calls go on while the server is away; remote ones fail with an error, not a hang.
  ASSERT_TRUE(a->host().callActor(key, "Echo", bytesOf("local")));
  auto remote = b->host().callActor(key, "Echo", bytesOf("remote"));
  EXPECT_FALSE(remote);

  ASSERT_TRUE(nats_->process().restart());
  EXPECT_TRUE(eventually([&] { return bool(b->host().callActor(key, "Echo", bytesOf("after"))); }));
  // Nothing lost: the server kept the bucket on disk, so a host joining now learns the link.
  auto late = join();
  ASSERT_TRUE(late);
  EXPECT_EQ(late->host().links().size(), 1u);
}

}  // namespace
}  // namespace stratus::lattice
