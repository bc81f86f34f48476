// The standalone host: claims checks at load, routing by key and alias, policy, pools.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "stratus/claims/jwt.h"
#include "stratus/host/host.h"
#include "support/actors.h"
#include "support/payloads.h"
#include "support/wat.h"
#include "support/engine_params.h"

namespace stratus::host {
namespace {

using stratus::testing::loadActor;
using stratus::testing::SignSpec;
using stratus::testing::signActor;

using stratus::testing::bytesOf;
using stratus::testing::hostCallPayload;
using stratus::testing::textOf;

class HostTest : public ::testing::TestWithParam<engine::Backend> {
 protected:
  std::unique_ptr<Host> makeHost(HostBuilder builder = HostBuilder()) {
    auto host = builder.withEngine(EngineMode::only(GetParam())).build();
    EXPECT_TRUE(host) << host.error().toString();
    return host ? std::move(*host) : nullptr;
  }
  const Bytes actor_ = loadActor("test_actor");
};

TEST_P(HostTest, StartsAndCallsAnActorByKeyAndAlias) {
  auto host = makeHost();
  std::string subject;
  auto pk = host->startActor(signActor(actor_, {.name = "echo", .call_alias = "echoer"}, &subject));
  ASSERT_TRUE(pk) << pk.error().toString();
  EXPECT_EQ(*pk, subject);
  EXPECT_EQ(host->id().size(), 56u);
  EXPECT_EQ(host->id()[0], 'N');

  auto r = host->callActor(*pk, "Echo", bytesOf("ping"));
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(textOf(*r), "ping");
  r = host->callActor("echoer", "Echo", bytesOf("by alias"));
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(textOf(*r), "by alias");

  auto claims = host->actorClaims();
  ASSERT_EQ(claims.size(), 1u);
  EXPECT_EQ(claims[0].metadata.name, "echo");
  EXPECT_EQ(claims[0].subject, *pk);
}

TEST_P(HostTest, RefusesActorsWithBadClaims) {
  auto host = makeHost();
  auto unsigned_actor = host->startActor(actor_);
  ASSERT_FALSE(unsigned_actor);
  EXPECT_EQ(unsigned_actor.error().code, ErrorCode::kInvalidClaims);
  EXPECT_NE(unsigned_actor.error().message.find("jwt"), std::string::npos) << unsigned_actor.error().message;

  const int64_t now = claims::unixNow();
  auto expired = host->startActor(signActor(actor_, {.expires = now - 3600}));
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, ErrorCode::kInvalidClaims);
  EXPECT_NE(expired.error().message.find("expired"), std::string::npos) << expired.error().message;

  auto early = host->startActor(signActor(actor_, {.not_before = now + 3600}));
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, ErrorCode::kInvalidClaims);

  Bytes tampered = signActor(actor_, {});
  tampered[tampered.size() / 3] ^= 0x01;  // inside the code, before the jwt section at the end
  auto bad_hash = host->startActor(tampered);
  ASSERT_FALSE(bad_hash);
  EXPECT_EQ(bad_hash.error().code, ErrorCode::kInvalidClaims);
  EXPECT_NE(bad_hash.error().message.find("hash"), std::string::npos) << bad_hash.error().message;
  EXPECT_TRUE(host->actors().empty());
}

TEST_P(HostTest, InvalidWasmWithValidClaimsIsAClearError) {
  auto host = makeHost();
  // Properly signed, but its code does not validate (i32.add of an i64): claims pass, compilation must not.
  Bytes invalid = stratus::testing::wat2wasm(
      "(module (memory (export \"memory\") 1) (func (export \"__guest_call\") (param i32 i32) (result i32) "
      "i64.const 1 i32.const 1 i32.add))");
  auto r = host->startActor(signActor(invalid, {.name = "invalid"}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kMalformed) << r.error().toString();
  EXPECT_NE(r.error().message.find("invalid"), std::string::npos) << r.error().message;
  EXPECT_TRUE(host->actors().empty());
}

TEST_P(HostTest, StartingTheSameActorTwiceFails) {
  auto host = makeHost();
  Bytes signed_actor = signActor(actor_, {});
  ASSERT_TRUE(host->startActor(signed_actor));
  auto again = host->startActor(signed_actor);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
}

TEST_P(HostTest, ActorToActorCallsByKeyAndAlias) {
  auto host = makeHost();
  std::string callee;
  ASSERT_TRUE(host->startActor(signActor(actor_, {.name = "ponger", .call_alias = "ponger"}, &callee)));
  auto caller = host->startActor(signActor(actor_, {.name = "pinger"}));
  ASSERT_TRUE(caller);

  for (const std::string& target : {callee, std::string("ponger")}) {
    auto r = host->callActor(*caller, "HostCall", hostCallPayload("", target, "Echo", bytesOf("pong?")));
    ASSERT_TRUE(r) << target << ": " << r.error().toString();
    EXPECT_EQ(textOf(*r), "pong?");
  }
  // The callee's own error comes back to the caller as the host error.
  auto r = host->callActor(*caller, "HostCall", hostCallPayload("", "ponger", "Fail", bytesOf("x")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "host call failed: requested failure: x");
}

TEST_P(HostTest, CallAliasFirstClaimWins) {
  auto host = makeHost();
  std::string first, second;
  ASSERT_TRUE(host->startActor(signActor(actor_, {.name = "first", .call_alias = "shared"}, &first)));
  ASSERT_TRUE(host->startActor(signActor(actor_, {.name = "second", .call_alias = "shared"}, &second)));
  // Count answers 1 on an instance's first call: the alias call must have gone to `first`.
  ASSERT_TRUE(host->callActor("shared", "Count", {}));
  auto direct_second = host->callActor(second, "Count", {});
  auto direct_first = host->callActor(first, "Count", {});
  ASSERT_TRUE(direct_first && direct_second);
  EXPECT_EQ((*direct_first)[0], 2);
  EXPECT_EQ((*direct_second)[0], 1);
}

TEST_P(HostTest, ContractCallsNeedTheClaimThenALink) {
  auto host = makeHost();
  auto no_caps = host->startActor(signActor(actor_, {.name = "nocaps"}));
  auto with_caps = host->startActor(signActor(actor_, {.name = "kv", .caps = {"wasmcloud:keyvalue"}}));
  ASSERT_TRUE(no_caps && with_caps);

  auto r = host->callActor(*no_caps, "HostCall", hostCallPayload("", "wasmcloud:keyvalue", "Get", {}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no capability claim for 'wasmcloud:keyvalue'"), std::string::npos)
      << r.error().message;

  r = host->callActor(*with_caps, "HostCall", hostCallPayload("", "wasmcloud:keyvalue", "Get", {}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no link definition"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("link name 'default'"), std::string::npos) << r.error().message;
}

class DenyingAuthorizer : public Authorizer {
 public:
  bool canLoad(const claims::ActorClaims& actor) const override { return actor.metadata.name != "forbidden"; }
  bool canInvoke(const claims::ActorClaims& caller, const Entity& target, std::string_view op) const override {
    return op != "Echo";
  }
};

TEST_P(HostTest, AuthorizerDecidesLoadsAndInvocations) {
  auto host = makeHost(std::move(HostBuilder().withAuthorizer(std::make_shared<DenyingAuthorizer>())));
  auto forbidden = host->startActor(signActor(actor_, {.name = "forbidden"}));
  ASSERT_FALSE(forbidden);
  EXPECT_EQ(forbidden.error().code, ErrorCode::kPermissionDenied);

  auto a = host->startActor(signActor(actor_, {.name = "a", .call_alias = "a"}));
  ASSERT_TRUE(a);
  // Calls from the host itself are not subject to canInvoke.
  EXPECT_TRUE(host->callActor(*a, "Echo", bytesOf("x")));
  auto r = host->callActor(*a, "HostCall", hostCallPayload("", "a", "Echo", {}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("authorizer refused"), std::string::npos) << r.error().message;
  EXPECT_TRUE(host->callActor(*a, "HostCall", hostCallPayload("", "a", "Count", {})));
}

TEST_P(HostTest, PoolServesConcurrentCallsAndReplacesTrappedInstances) {
  ActorOptions options;
  options.min_instances = 1;
  options.max_instances = 3;
  auto host = makeHost(std::move(HostBuilder().withActorOptions(options)));
  auto pk = host->startActor(signActor(actor_, {}));
  ASSERT_TRUE(pk);

  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        std::string msg = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto r = host->callActor(*pk, "Echo", bytesOf(msg));
        if (r && textOf(*r) == msg) ++good;
        if (i % 10 == 0) (void)host->callActor(*pk, "Trap", {});
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 6 * 40);
  auto actors = host->actors();
  ASSERT_EQ(actors.size(), 1u);
  EXPECT_GE(actors[0].instances, 1u);
  EXPECT_LE(actors[0].instances, 3u);

  auto trap = host->callActor(*pk, "Trap", {});
  ASSERT_FALSE(trap);
  EXPECT_EQ(trap.error().code, ErrorCode::kTrap);
  EXPECT_TRUE(host->callActor(*pk, "Echo", bytesOf("still serving")));
}

TEST_P(HostTest, ATrappedInstanceIsReplacedByAFreshOne) {
  ActorOptions options;
  options.min_instances = 1;
  options.max_instances = 1;  // every call runs on the one instance there is
  auto host = makeHost(std::move(HostBuilder().withActorOptions(options)));
  auto pk = host->startActor(signActor(actor_, {}));
  ASSERT_TRUE(pk);
  auto count = [&] {
    auto r = host->callActor(*pk, "Count", {});
    EXPECT_TRUE(r) << r.error().toString();
    return r && r->size() == 4 ? uint32_t((*r)[0]) | uint32_t((*r)[1]) << 8 | uint32_t((*r)[2]) << 16 |
                                     uint32_t((*r)[3]) << 24
                               : 0u;
  };
  EXPECT_EQ(count(), 1u);
  EXPECT_EQ(count(), 2u);
  EXPECT_EQ(count(), 3u);
  auto trap = host->callActor(*pk, "Trap", {});
  ASSERT_FALSE(trap);
  EXPECT_EQ(trap.error().code, ErrorCode::kTrap);
  // Count restarts: the next call runs on a new instance, not on the one whose guest state the trap left behind.
  EXPECT_EQ(count(), 1u);
  EXPECT_EQ(count(), 2u);
}

TEST_P(HostTest, StoppedActorsAreGone) {
  auto host = makeHost();
  auto pk = host->startActor(signActor(actor_, {.call_alias = "gone"}));
  ASSERT_TRUE(pk);
  ASSERT_TRUE(host->stopActor(*pk));
  auto r = host->callActor(*pk, "Echo", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(host->callActor("gone", "Echo", {}));
  auto again = host->stopActor(*pk);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
}

TEST_P(HostTest, UnknownEngineIsNamed) {
  auto mode = EngineMode::parse("warp-drive");
  ASSERT_FALSE(mode);
  EXPECT_EQ(mode.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(mode.error().message.find("'warp-drive' (use interp, aot, auto)"), std::string::npos)
      << mode.error().message;
}

INSTANTIATE_TEST_SUITE_P(AllEngines, HostTest, ::testing::ValuesIn(engine::availableBackends()),
                         stratus::testing::backendParamName);

}  // namespace
}  // namespace stratus::host
