// Providers in child processes inside the standalone host: the isolation policy (by kind, by the host, by the
// start) and an actor whose provider dies: its call fails, the host goes on, and once the provider is back the
// actor's link works again without anyone setting it anew.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>

#include "stratus/host/host.h"
#include "support/actors.h"
#include "support/payloads.h"
#include "support/rust_providers.h"

namespace stratus::host {
namespace {

using namespace std::chrono_literals;
using stratus::testing::bytesOf;
using stratus::testing::hostCallPayload;
using stratus::testing::loadActor;
using stratus::testing::signActor;
using stratus::testing::textOf;

const std::string kTestProvider = std::string(STRATUS_TEST_PROVIDER_DIR) + "/libstratus_test_provider.so";

claims::ProviderClaims testClaims() {
  claims::ProviderClaims c;
  c.subject = claims::KeyPair::generate(claims::KeyType::kService)->publicKey();
  c.metadata.capid = "stratus:test";
  c.metadata.name = "test provider";
  return c;
}

class ProviderIsolationTest : public ::testing::Test {
 protected:
  std::unique_ptr<Host> build(std::optional<capability::ProviderIsolation> mode) {
    ProviderIsolationPolicy policy;
    policy.mode = mode;
    policy.process.executable = STRATUS_EXECUTABLE;
    policy.process.restart_backoff = 20ms;
    auto built = HostBuilder()
                     .withProviderHealthInterval(0ms)
                     .withProviderCacheDir(::testing::TempDir() + "/stratus-isolation-cache")
                     .withProviderIsolation(policy)
                     .build();
    EXPECT_TRUE(built) << built.error().toString();
    return built ? std::move(*built) : nullptr;
  }

  static std::string abiOf(Host& host, const std::string& provider) {
    auto infos = host.providers();
    auto it = std::find_if(infos.begin(), infos.end(), [&](const auto& p) { return p.public_key == provider; });
    return it == infos.end() ? "(not running)" : it->abi;
  }
};

TEST_F(ProviderIsolationTest, ByKindRustProvidersGetAProcessAndCProvidersStayInProcess) {
  auto host = build(std::nullopt);
  ASSERT_TRUE(host);
  const auto versions = stratus::testing::rustProviderVersions(STRATUS_RUST_PROVIDER_VERSIONS);
  ASSERT_FALSE(versions.empty());
  auto rust = host->startProviderFromArchive(std::string(STRATUS_RUST_PROVIDER_DIR) + "/kv_provider-" +
                                             versions.front() + ".par.gz");
  ASSERT_TRUE(rust) << rust.error().toString();
  EXPECT_TRUE(abiOf(*host, *rust).ends_with("in a child process")) << abiOf(*host, *rust);
  auto c = host->startProviderFromLibrary(kTestProvider, testClaims());
  ASSERT_TRUE(c) << c.error().toString();
  EXPECT_EQ(abiOf(*host, *c), "C ABI v1");

  // An actor uses the Rust provider in its process through its link, as in process.
  auto actor = host->startActor(signActor(loadActor("test_actor"), {.name = "kv", .caps = {"wasmcloud:keyvalue"}}));
  ASSERT_TRUE(actor);
  ASSERT_TRUE(host->setLink({*actor, *rust, "wasmcloud:keyvalue", "default", {}}));
  auto set = host->callActor(*actor, "HostCall",
                             hostCallPayload("", "wasmcloud:keyvalue", "Set",
                                             nlohmann::json::to_msgpack({{"key", "k"}, {"value", "v"}, {"expires", 0}})));
  ASSERT_TRUE(set) << set.error().toString();
  auto got = host->callActor(*actor, "HostCall",
                             hostCallPayload("", "wasmcloud:keyvalue", "Get", nlohmann::json::to_msgpack({{"key", "k"}})));
  ASSERT_TRUE(got) << got.error().toString();
  EXPECT_EQ(nlohmann::json::from_msgpack(*got)["value"], "v");
}

TEST_F(ProviderIsolationTest, TheStartsChoiceOverridesTheHostsPolicy) {
  auto host = build(capability::ProviderIsolation::kInProcess);
  ASSERT_TRUE(host);
  auto p = host->startProviderFromLibrary(kTestProvider, testClaims(), "default", capability::ProviderIsolation::kProcess);
  ASSERT_TRUE(p) << p.error().toString();
  EXPECT_EQ(abiOf(*host, *p), "C ABI v1 in a child process");
}

TEST_F(ProviderIsolationTest, AnActorsProviderDiesTheHostGoesOnAndTheLinkWorksAgain) {
  auto host = build(capability::ProviderIsolation::kProcess);
  ASSERT_TRUE(host);
  auto provider = host->startProviderFromLibrary(kTestProvider, testClaims());
  ASSERT_TRUE(provider) << provider.error().toString();
  auto actor = host->startActor(signActor(loadActor("test_actor"), {.name = "user", .caps = {"stratus:test"}}));
  ASSERT_TRUE(actor);
  ASSERT_TRUE(host->setLink({*actor, *provider, "stratus:test", "default", {{"K", "V"}}}));
  auto call = [&](std::string_view op) {
    return host->callActor(*actor, "HostCall", hostCallPayload("", "stratus:test", op, bytesOf("x")));
  };
  ASSERT_TRUE(call("Echo"));
  auto died = call("Crash");
  ASSERT_FALSE(died);
  EXPECT_NE(died.error().message.find("crashed: SIGSEGV"), std::string::npos) << died.error().message;
  Expected<Bytes> again = fail(ErrorCode::kInternal, "");
  for (int i = 0; i < 500 && !(again = call("Bindings")); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(again) << again.error().toString();
  EXPECT_NE(textOf(*again).find(*actor), std::string::npos) << "the actor was not bound again after the restart";
  ASSERT_TRUE(host->stopProvider(*provider));
}

}  // namespace
}  // namespace stratus::host
